// Result<T>: a value or a std::error_code. A small stand-in for C++23 std::expected, used by
// every fallible eddy operation (errors are values; nothing on the I/O path throws).
#pragma once

#include <cassert>
#include <cerrno>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace eddy {

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(std::error_code ec) : v_(std::in_place_index<1>, ec) {     // NOLINT: implicit by design
    assert(ec && "a Result holding an error needs a non-zero error_code");
  }
  template <class E, std::enable_if_t<std::is_error_code_enum_v<E>, int> = 0>
  Result(E e) : Result(std::error_code(e)) {}  // NOLINT: implicit by design

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error, or an empty error_code when a value is held.
  std::error_code error() const noexcept {
    return has_value() ? std::error_code{} : std::get<1>(v_);
  }

 private:
  std::variant<T, std::error_code> v_;
};

// Result<void>: success, or an error_code.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() noexcept = default;
  Result(std::error_code ec) noexcept : ec_(ec) {}  // NOLINT: implicit by design
  template <class E, std::enable_if_t<std::is_error_code_enum_v<E>, int> = 0>
  Result(E e) noexcept : ec_(e) {}  // NOLINT: implicit by design

  bool has_value() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return has_value(); }
  std::error_code error() const noexcept { return ec_; }

 private:
  std::error_code ec_;
};

// The error_code for the calling thread's errno.
inline std::error_code last_error() noexcept {
  return {errno, std::system_category()};
}

}  // namespace eddy
