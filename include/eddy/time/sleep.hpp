// eddy::time::sleep / sleep_until: wait until a deadline on the runtime's clock.
//
//   co_await eddy::time::sleep(10ms);
//   co_await eddy::time::sleep_until(deadline);
//
// The runtime must have the time driver (Builder::enable_time() or enable_all()); using a timer
// outside a runtime, or on one without it, is a programming error and aborts with a message.
//
// Resolution: 1 ms. A deadline is rounded up to the next millisecond tick of the runtime's clock,
// so a sleep never ends early; how late it ends depends on the scheduler (on a paused clock it
// ends exactly at the rounded deadline).
//
// Allocation: none. The timer entry is intrusive and lives inside the Sleep, itself usually a
// temporary in the awaiting coroutine's frame; registering is O(1) in the timing wheel.
//
// Cancellation: destroying a Sleep (e.g. the frame of an aborted task, or the losing side of a
// timeout) unlinks its timer under the driver's lock; nothing is left behind and nothing fires.
// When the runtime shuts down with a Sleep still registered, the timer is fired with the shutdown
// state (poll() returns Error::shutdown; in practice the awaiting frames have already been
// destroyed by then).
#pragma once

#include <cstddef>
#include <memory>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/time/detail/timer_wheel.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"
#include "eddy/time/instant.hpp"

namespace eddy {
class RuntimeHandle;
}

namespace eddy::detail {
class TimeHandle;
}

namespace eddy::time {

class Sleep : public detail::PollAwaiter<Sleep, Result<void>> {
 public:
  // A sleep on the current runtime's time driver (aborts outside a runtime with one).
  explicit Sleep(Instant deadline) noexcept;
  // A sleep on `rt`'s time driver, usable from any thread (poll it with your own Waker). Aborts
  // when `rt` has no time driver. (Defined with RuntimeHandle, in the runtime layer: the time
  // layer sits below the runtime.)
  Sleep(const RuntimeHandle& rt, Instant deadline) noexcept;
  // A sleep on the given time driver (what the other two constructors resolve to).
  Sleep(std::shared_ptr<detail::TimeHandle> handle, Instant deadline) noexcept;
  // Moving a registered Sleep moves its timer (O(1), under the driver's lock).
  Sleep(Sleep&& other) noexcept;
  Sleep& operator=(Sleep&&) = delete;
  Sleep(const Sleep&) = delete;
  Sleep& operator=(const Sleep&) = delete;
  ~Sleep();

  Instant deadline() const noexcept { return deadline_; }
  // True once the timer has fired (or the deadline was found passed).
  bool is_elapsed() const noexcept;
  // Changes the deadline; the sleep waits again (also after it has completed).
  void reset(Instant deadline) noexcept;

  // Ready (with an empty Result) once the deadline has passed; Error::shutdown when the time
  // driver has shut down. Stores `waker` otherwise (only the latest poll's waker is woken).
  Poll<Result<void>> poll(const Waker& waker) noexcept;

  void await_resume() noexcept {}

 private:
  std::shared_ptr<detail::TimeHandle> handle_;
  Instant deadline_;
  detail::TimerEntry entry_;
};

// Completes once `d` has passed (from now, on the runtime's clock). Any std::chrono duration:
// it saturates (sleep(hours::max()) sleeps as far as the clock goes; see saturating_duration).
Sleep sleep(Duration d) noexcept;
template <class Rep, class Period>
Sleep sleep(std::chrono::duration<Rep, Period> d) noexcept {
  return sleep(saturating_duration(d));
}
// Completes once `deadline` has passed.
Sleep sleep_until(Instant deadline) noexcept;

// Timers registered with the current runtime's time driver right now (for tests and metrics;
// 0 outside a runtime or without the time driver).
std::size_t registered_timers() noexcept;

}  // namespace eddy::time
