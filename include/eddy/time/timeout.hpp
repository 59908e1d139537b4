// eddy::time::timeout / timeout_at: run a Task with a deadline.
//
//   Result<int> r = co_await eddy::time::timeout(100ms, read_something());
//   if (!r && r.error() == eddy::Error::timed_out) { ... }
//
// co_await gives Result<T>: the task's value, or Error::timed_out when the deadline passed first
// (Error::shutdown if the time driver shut down). An exception thrown by the task is rethrown.
//
// How it works: nothing is spawned. The Task's coroutine runs inside the awaiting task as a
// child with its own waker (detail::ChildTask); each poll of the timeout first runs the child if
// it was woken, then checks the timer, so a task that finishes at the same time as the deadline
// wins.
//
// Cancellation: when the deadline passes, the inner task's frame is destroyed at the point
// where it is suspended, before the co_await returns: every awaiter in it unlinks itself (a
// readiness wait forgets its waker, a nested sleep leaves the wheel, a JoinHandle stops waiting),
// exactly as if the inner task had been aborted; whatever it had read into its own frame is
// gone, and whatever it had already done (bytes written) stays done. Destroying the coroutine
// that awaits the timeout destroys the inner frame and the timer in the same way.
#pragma once

#include <coroutine>
#include <system_error>
#include <type_traits>

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
    if (!child_.done()) return error_;
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

// Runs `inner` until it finishes or `d` has passed.
template <class T>
Timeout<T> timeout(Duration d, Task<T> inner) {
  return Timeout<T>(std::move(inner), sleep(d));
}

// Runs `inner` until it finishes or `deadline` has passed.
template <class T>
Timeout<T> timeout_at(Instant deadline, Task<T> inner) {
  return Timeout<T>(std::move(inner), sleep_until(deadline));
}

}  // namespace eddy::time
