// Result<T>: a value or a std::error_code. A small stand-in for C++23 std::expected, used by
// every fallible eddy operation (errors are values; nothing on the I/O path throws).
#pragma once

#include <cassert>
#include <cerrno>
#include <type_traits>
#include <utility>
#include <new>
#include <system_error>

namespace eddy {

// Tag that makes a Result hold an error: Result<T>(eddy::unexpect, ec). Needed only where the
// value type is std::error_code itself (there a bare std::error_code is the value); generic code
// uses it always.
struct unexpect_t {
  explicit unexpect_t() = default;
};
inline constexpr unexpect_t unexpect{};

namespace detail {

// Storage for Result<T>: the value or the error, in one union, and which one it holds.
// When T is trivial (a byte count, a file descriptor) so is the storage and Result<T>: the
// Result<std::size_t> of every read and write is then copied as plain bytes, and building one
// from a value touches neither the error_code nor std::system_category().
template <class T, bool = std::is_trivial_v<T>>
struct ResultStorage {
  ResultStorage(T&& v) noexcept(std::is_nothrow_move_constructible_v<T>) : has_(true) {
    ::new (static_cast<void*>(&value_)) T(std::move(v));
  }
  ResultStorage(unexpect_t, std::error_code ec) noexcept : ec_(ec), has_(false) {}
  ResultStorage(const ResultStorage& o) noexcept(std::is_nothrow_copy_constructible_v<T>)
      : ec_(o.ec_), has_(o.has_) {
    if (has_) ::new (static_cast<void*>(&value_)) T(o.value_);
  }
  ResultStorage(ResultStorage&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
      : ec_(o.ec_), has_(o.has_) {
    if (has_) ::new (static_cast<void*>(&value_)) T(std::move(o.value_));
  }
  ResultStorage& operator=(const ResultStorage& o) {
    if (this != &o) {
      destroy();
      ec_ = o.ec_;
      if (o.has_) ::new (static_cast<void*>(&value_)) T(o.value_);
      has_ = o.has_;
    }
    return *this;
  }
  ResultStorage& operator=(ResultStorage&& o) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &o) {
      destroy();
      ec_ = o.ec_;
      if (o.has_) ::new (static_cast<void*>(&value_)) T(std::move(o.value_));
      has_ = o.has_;
    }
    return *this;
  }
  ~ResultStorage() { destroy(); }

  bool has() const noexcept { return has_; }
  std::error_code err() const noexcept { return ec_; }

  void destroy() noexcept {
    if (has_) {
      value_.~T();
      has_ = false;
    }
  }

  // The error_code is kept outside the union here: sharing it, g++ 12 reports false
  // maybe-uninitialized warnings for class types.
  union {
    T value_;
  };
  std::error_code ec_;
  bool has_;
};

template <class T>
struct ResultStorage<T, true> {
  ResultStorage(T&& v) noexcept : value_(v), cat_(nullptr) {}
  ResultStorage(unexpect_t, std::error_code ec) noexcept : err_(ec.value()), cat_(&ec.category()) {}

  bool has() const noexcept { return cat_ == nullptr; }
  std::error_code err() const noexcept { return {err_, *cat_}; }

  // The error is kept as its value and category, and a null category means "a value": a
  // Result<std::size_t> is then 16 bytes and travels in two registers.
  union {
    T value_;
    int err_;
  };
  const std::error_category* cat_;
};

}  // namespace detail

template <class T>
class [[nodiscard]] Result : private detail::ResultStorage<T> {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
  using Storage = detail::ResultStorage<T>;
  using Storage::has;
  using Storage::err;
  using Storage::value_;

 public:
  using value_type = T;

  Result(T value) noexcept(std::is_nothrow_move_constructible_v<T>)  // NOLINT: implicit by design
      : Storage(std::move(value)) {}
  // An error. For Result<std::error_code> a bare std::error_code is the value: make its errors
  // with eddy::unexpect (an error code enum such as eddy::Error is an error for every T).
  Result(std::error_code ec) noexcept  // NOLINT: implicit by design
    requires(!std::is_same_v<T, std::error_code>)
      : Result(unexpect, ec) {}
  Result(unexpect_t, std::error_code ec) noexcept : Storage(unexpect, ec) {
    assert(ec && "a Result holding an error needs a non-zero error_code");
  }
  template <class E, std::enable_if_t<std::is_error_code_enum_v<E>, int> = 0>
  Result(E e) noexcept : Result(unexpect, std::error_code(e)) {}  // NOLINT: implicit by design

  bool has_value() const noexcept { return has(); }
  explicit operator bool() const noexcept { return has(); }

  // Accessing the value of an error Result is a programmer's bug: it throws
  // std::system_error carrying the error (never undefined behaviour).
  T& value() & { check(); return value_; }
  const T& value() const& { check(); return value_; }
  T&& value() && { check(); return std::move(value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error, or an empty error_code when a value is held.
  std::error_code error() const noexcept { return has() ? std::error_code() : err(); }

 private:
  [[noreturn]] void throw_error() const { throw std::system_error(err(), "eddy::Result::value() on an error"); }
  void check() const {
    if (!has()) [[unlikely]] throw_error();
  }
};

// Result<void>: success, or an error_code.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() noexcept = default;
  Result(std::error_code ec) noexcept : ec_(ec) {}  // NOLINT: implicit by design
  Result(unexpect_t, std::error_code ec) noexcept : ec_(ec) {}
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
