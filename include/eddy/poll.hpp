// Poll<T>: the result of polling something that may not be finished: a value (ready), or
// Pending. Whoever returns Pending has stored the caller's Waker and will wake it.
//
// A named type rather than std::optional, so that a Poll<Result<T>> reads as what it is:
// `p.is_pending()`, then `p->` / `*p` for the Result, instead of two nested bool tests.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

namespace eddy {

struct PendingT {
  explicit constexpr PendingT(int) noexcept {}
};
inline constexpr PendingT Pending{0};

template <class T>
class Poll {
 public:
  constexpr Poll() noexcept = default;   // Pending
  constexpr Poll(PendingT) noexcept {}  // NOLINT: meant to convert (return Pending;)
  template <class U = T>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::remove_cvref_t<U>, Poll> &&
             !std::is_same_v<std::remove_cvref_t<U>, PendingT>)
  constexpr Poll(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>)  // NOLINT: meant to convert
      : value_(std::in_place, std::forward<U>(value)) {}

  constexpr bool is_ready() const noexcept { return value_.has_value(); }
  constexpr bool is_pending() const noexcept { return !value_.has_value(); }
  // Same as is_ready(), for `if (auto p = poll(w))`.
  constexpr explicit operator bool() const noexcept { return value_.has_value(); }

  // The value of a ready poll.
  constexpr T& operator*() & noexcept { return *value_; }
  constexpr const T& operator*() const& noexcept { return *value_; }
  constexpr T&& operator*() && noexcept { return std::move(*value_); }
  constexpr T* operator->() noexcept { return &*value_; }
  constexpr const T* operator->() const noexcept { return &*value_; }

  // Resets to Pending.
  constexpr void reset() noexcept { value_.reset(); }

 private:
  std::optional<T> value_;
};

}  // namespace eddy
