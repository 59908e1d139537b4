// MutableBuffer / ConstBuffer: a (pointer, length) view of the bytes a socket operation reads
// into or writes from. They convert implicitly from contiguous ranges of byte-sized elements
// (std::array<char, N>, std::vector<std::byte>, std::string, std::span<unsigned char>, ...) and
// from (pointer, length), so every read/write takes one parameter type and no overload set.
//
// A buffer does not own its bytes: the caller keeps them alive until the operation completes
// (or its awaiting coroutine is destroyed).
#pragma once

#include <cstddef>
#include <ranges>
#include <string_view>
#include <type_traits>

namespace eddy::net {

namespace detail {
template <class R>
concept ByteRange = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
                    sizeof(std::ranges::range_value_t<R>) == 1 &&
                    std::is_trivially_copyable_v<std::ranges::range_value_t<R>>;

template <class R>
concept MutableByteRange =
    ByteRange<R> && !std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<R>>>;
}  // namespace detail

class MutableBuffer {
 public:
  constexpr MutableBuffer() noexcept = default;
  constexpr MutableBuffer(void* data, std::size_t size) noexcept
      : data_(static_cast<std::byte*>(data)), size_(size) {}
  template <detail::MutableByteRange R>
  MutableBuffer(R&& r) noexcept  // NOLINT: implicit by design
      : data_(reinterpret_cast<std::byte*>(std::ranges::data(r))), size_(std::ranges::size(r)) {}

  constexpr std::byte* data() const noexcept { return data_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  // The bytes after the first `n` (n <= size()).
  constexpr MutableBuffer subspan(std::size_t n) const noexcept { return {data_ + n, size_ - n}; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

class ConstBuffer {
 public:
  constexpr ConstBuffer() noexcept = default;
  constexpr ConstBuffer(const void* data, std::size_t size) noexcept
      : data_(static_cast<const std::byte*>(data)), size_(size) {}
  template <detail::ByteRange R>
  ConstBuffer(R&& r) noexcept  // NOLINT: implicit by design
      : data_(reinterpret_cast<const std::byte*>(std::ranges::data(r))), size_(std::ranges::size(r)) {}
  ConstBuffer(std::string_view s) noexcept  // NOLINT: implicit by design
      : data_(reinterpret_cast<const std::byte*>(s.data())), size_(s.size()) {}
  ConstBuffer(const char* s) noexcept : ConstBuffer(std::string_view(s)) {}  // NOLINT
  constexpr ConstBuffer(MutableBuffer b) noexcept : data_(b.data()), size_(b.size()) {}  // NOLINT

  constexpr const std::byte* data() const noexcept { return data_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr ConstBuffer subspan(std::size_t n) const noexcept { return {data_ + n, size_ - n}; }

 private:
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace eddy::net
