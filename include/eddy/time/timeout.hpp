// eddy::time::timeout / timeout_at: await anything with a deadline.
//
//   Result<int> r = co_await eddy::time::timeout(100ms, read_something());   // a Task<int>
//   auto n = co_await eddy::time::timeout(1s, sock.recv(buf));   // Result<Result<size_t>>
//   if (!n && n.error() == eddy::Error::timed_out) { ... }
//
// co_await gives Result<T>, T being what co_await of the inner awaitable gives: its value, or
// Error::timed_out when the deadline passed first (Error::shutdown if the time driver shut
// down). Like tokio, an inner Result is not flattened: timing out a recv() gives
// Result<Result<size_t>>. An exception thrown by the inner awaitable is rethrown.
//
// What can be timed: a Task<T>, or any awaitable usable in an eddy task: a socket's read, recv,
// accept, readable(), an AsyncFd readiness wait, a JoinHandle, a Sleep... An rvalue is moved
// in and owned by the timeout; an lvalue is awaited in place and must outlive the timeout.
// Any std::chrono duration; durations saturate: zero means "already due" (the inner awaitable still gets its first poll,
// so one that is ready at once wins), Duration::max() never fires.
//
// How it works: nothing is spawned. A Task's coroutine runs inside the awaiting task as a child
// with its own waker (detail::ChildTask); another awaitable is first wrapped in a small
// coroutine that awaits it (one allocation). Each poll of the timeout first runs the child if it
// was woken, then checks the timer, so an inner operation that finishes at the same time as the
// deadline wins.
//
// Cancellation: when the deadline passes, the inner task's frame is destroyed at the point
// where it is suspended, before the co_await returns: every awaiter in it unlinks itself (a
// readiness wait forgets its waker, a nested sleep leaves the wheel, a JoinHandle stops waiting),
// exactly as if the inner task had been aborted; whatever it had read into its own frame is
// gone, and whatever it had already done (bytes written) stays done. For a wrapped awaitable
// this is that awaitable's own cancellation (each documents it: a timed-out read or recv has
// consumed nothing, a timed-out accept has lost no connection). A JoinHandle moved into a
// timeout that fires is dropped, which detaches its task (it keeps running); pass it as an
// lvalue to keep it. Destroying the coroutine that awaits the timeout destroys the inner
// frame and the timer in the same way.
#pragma once

#include <chrono>
#include <coroutine>
#include <ratio>
#include <system_error>
#include <type_traits>
#include <utility>

#include "eddy/time/detail/child_task.hpp"
#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/error.hpp"
#include "eddy/result.hpp"
#include "eddy/task.hpp"
#include "eddy/time/sleep.hpp"

namespace eddy::time {

template <class T>
class [[nodiscard]] Timeout : public detail::PollAwaiter<Timeout<T>, bool> {
 public:
  Timeout(Task<T> inner, Sleep delay) : child_(inner.release()), delay_(std::move(delay)) {}
  Timeout(Timeout&&) noexcept = default;

  // Ready when the inner task finished (true) or the timer fired first (false).
  Poll<bool> poll(const Waker& waker) noexcept {
    if (child_.poll(waker)) return true;
    if (auto fired = delay_.poll(waker)) {
      error_ = fired->has_value() ? std::error_code(Error::timed_out) : fired->error();
      child_.cancel();
      return false;
    }
    return Pending;
  }

  Result<T> await_resume() {
    if (!child_.done()) return Result<T>(unexpect, error_);
    auto& promise = std::coroutine_handle<detail::Promise<T>>::from_address(child_.root().address()).promise();
    if constexpr (std::is_void_v<T>) {
      promise.take();
      return {};
    } else {
      return promise.take();
    }
  }

  const Sleep& deadline_timer() const noexcept { return delay_; }

 private:
  detail::ChildTask child_;
  Sleep delay_;
  std::error_code error_;
};

template <class T>
inline constexpr bool is_task_v = false;
template <class T>
inline constexpr bool is_task_v<Task<T>> = true;

}  // namespace eddy::time

namespace eddy::detail {

// The awaiter behind `co_await a`: a's operator co_await (member or free), or a itself.
template <class A>
decltype(auto) awaiter_of(A&& a) {
  if constexpr (requires { static_cast<A&&>(a).operator co_await(); }) {
    return static_cast<A&&>(a).operator co_await();
  } else if constexpr (requires { operator co_await(static_cast<A&&>(a)); }) {
    return operator co_await(static_cast<A&&>(a));
  } else {
    return static_cast<A&&>(a);
  }
}

template <class A>
using await_result_t = decltype(awaiter_of(std::declval<A>()).await_resume());

// Internal linkage on purpose: clang 14 with ASan cannot emit a coroutine in a COMDAT section
// ("Cannot represent a difference across sections"), which a template coroutine with external
// linkage would be. The timeout() overloads that call it are internal for the same reason (so
// that no inline function refers to an entity that differs between translation units).
namespace {

// Owns `a` (or refers to it, when A is an lvalue reference) and awaits it.
template <class A>
Task<await_result_t<A>> await_in_task(A a) {
  if constexpr (std::is_void_v<await_result_t<A>>) {
    co_await static_cast<A&&>(a);
  } else {
    co_return co_await static_cast<A&&>(a);
  }
}

}  // namespace
}  // namespace eddy::detail

namespace eddy::time {

// Runs `inner` until it finishes or `d` has passed.
template <class Rep, class Period, class T>
Timeout<T> timeout(std::chrono::duration<Rep, Period> d, Task<T> inner) {
  return Timeout<T>(std::move(inner), sleep(saturating_duration(d)));
}

// Runs `inner` until it finishes or `deadline` has passed.
template <class T>
Timeout<T> timeout_at(Instant deadline, Task<T> inner) {
  return Timeout<T>(std::move(inner), sleep_until(deadline));
}

// Inline, so that qualified lookup (eddy::time::timeout) sees these beside the Task overloads;
// unnamed, for internal linkage (see await_in_task).
inline namespace {

// Awaits `inner` (any awaitable but a Task) until it completes or `d` has passed.
template <class Rep, class Period, class A>
  requires(!is_task_v<std::remove_cvref_t<A>>)
Timeout<eddy::detail::await_result_t<A>> timeout(std::chrono::duration<Rep, Period> d, A&& inner) {
  return Timeout<eddy::detail::await_result_t<A>>(eddy::detail::await_in_task<A>(std::forward<A>(inner)),
                                                   sleep(saturating_duration(d)));
}

// Awaits `inner` (any awaitable but a Task) until it completes or `deadline` has passed.
template <class A>
  requires(!is_task_v<std::remove_cvref_t<A>>)
Timeout<eddy::detail::await_result_t<A>> timeout_at(Instant deadline, A&& inner) {
  return Timeout<eddy::detail::await_result_t<A>>(eddy::detail::await_in_task<A>(std::forward<A>(inner)),
                                                   sleep_until(deadline));
}

}  // namespace
}  // namespace eddy::time
