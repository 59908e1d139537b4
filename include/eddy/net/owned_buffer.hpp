// OwnedBuffer: a move-only run of heap bytes that an owned-buffer operation (write_owned,
// write_all_owned) takes from its caller and gives back when it completes, as tokio-uring's and
// monoio's buffers do; BufResult<T>: that operation's result and the buffer, together.
//
//   eddy::net::OwnedBuffer buf(std::string("hello"));          // the string's bytes, not copied
//   auto [n, back] = co_await stream.write_owned(std::move(buf));
//   // n: Result<size_t>; back: the same bytes, reusable for the next write
//
// Why owned: in io_uring completion mode the kernel reads the bytes after the call that asked
// for the send has returned, possibly after the awaiting coroutine is gone. An operation that
// owns its buffer hands the kernel the caller's bytes themselves (no copy into a staging buffer,
// and with SEND_ZC not even into the socket) and keeps them alive until the kernel is done.
//
// Invariant: data() stays at the same address for the buffer's whole life, whatever moves the
// OwnedBuffer object goes through (the bytes, and the std::string or std::vector adopted to hold
// them, live on the heap, never inside the object), so a pointer given to the kernel stays valid
// while the buffer is owned by an operation.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/result.hpp"

namespace eddy::net {

class OwnedBuffer {
 public:
  // Empty: no bytes, no allocation.
  OwnedBuffer() noexcept = default;
  // `size` zeroed bytes.
  explicit OwnedBuffer(std::size_t size) : OwnedBuffer(adopt_array(new std::byte[size](), size)) {}
  // A copy of `bytes`.
  static OwnedBuffer copy_of(std::span<const std::byte> bytes) {
    auto* p = new std::byte[bytes.size()];
    if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
    return adopt_array(p, bytes.size());
  }
  static OwnedBuffer copy_of(std::string_view s) { return copy_of(std::as_bytes(std::span(s.data(), s.size()))); }
  // Adopts the container's bytes without copying them (one small allocation holds the
  // container). into_string()/into_vector() do not exist: the bytes stay in the buffer.
  explicit OwnedBuffer(std::string&& s) : OwnedBuffer(adopt(std::move(s))) {}
  explicit OwnedBuffer(std::vector<std::byte>&& v) : OwnedBuffer(adopt(std::move(v))) {}
  explicit OwnedBuffer(std::vector<char>&& v) : OwnedBuffer(adopt(std::move(v))) {}
  explicit OwnedBuffer(std::vector<unsigned char>&& v) : OwnedBuffer(adopt(std::move(v))) {}

  OwnedBuffer(OwnedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        capacity_(std::exchange(o.capacity_, 0)),
        owner_(std::exchange(o.owner_, nullptr)),
        free_(std::exchange(o.free_, nullptr)) {}
  OwnedBuffer& operator=(OwnedBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      capacity_ = std::exchange(o.capacity_, 0);
      owner_ = std::exchange(o.owner_, nullptr);
      free_ = std::exchange(o.free_, nullptr);
    }
    return *this;
  }
  OwnedBuffer(const OwnedBuffer&) = delete;
  OwnedBuffer& operator=(const OwnedBuffer&) = delete;
  ~OwnedBuffer() { reset(); }

  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  // The bytes a write sends.
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // The bytes allocated: size() can be set anywhere up to this (set_size), to reuse one buffer
  // for messages of different lengths.
  std::size_t capacity() const noexcept { return capacity_; }
  // Sets size() to min(n, capacity()); the bytes keep their values.
  void set_size(std::size_t n) noexcept { size_ = n < capacity_ ? n : capacity_; }
  std::span<std::byte> span() noexcept { return {data_, size_}; }
  std::span<const std::byte> span() const noexcept { return {data_, size_}; }

  // Frees the bytes; empty afterwards.
  void reset() noexcept {
    if (free_ != nullptr) free_(owner_);
    data_ = nullptr;
    size_ = capacity_ = 0;
    owner_ = nullptr;
    free_ = nullptr;
  }

 private:
  using FreeFn = void (*)(void*) noexcept;
  OwnedBuffer(std::byte* data, std::size_t size, void* owner, FreeFn f) noexcept
      : data_(data), size_(size), capacity_(size), owner_(owner), free_(f) {}
  static OwnedBuffer adopt_array(std::byte* p, std::size_t size) noexcept {
    return OwnedBuffer(p, size, p, [](void* q) noexcept { delete[] static_cast<std::byte*>(q); });
  }
  template <class C>
  static OwnedBuffer adopt(C&& c) {
    auto* held = new C(std::move(c));
    // data() of a heap-held container never moves again: nothing resizes or moves it.
    return OwnedBuffer(reinterpret_cast<std::byte*>(held->data()), held->size(), held,
                       [](void* q) noexcept { delete static_cast<C*>(q); });
  }

  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  void* owner_ = nullptr;  // what free_ releases (the array, or the adopted container)
  FreeFn free_ = nullptr;
};

// An owned-buffer operation's result and its buffer, given back whatever the result
// (tokio-uring's BufResult). `auto [res, buf] = co_await ...;`
template <class T>
struct BufResult {
  Result<T> result;
  OwnedBuffer buf;
};

}  // namespace eddy::net
