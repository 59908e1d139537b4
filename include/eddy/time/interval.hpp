// eddy::time::Interval: ticks at a fixed period.
//
//   auto iv = eddy::time::interval(10ms);   // Result<Interval>; the first tick is immediate
//   for (;;) { Instant t = co_await iv->tick(); ... }
//
// Each tick completes at (or after) its scheduled instant and returns that scheduled instant.
// When a tick is late by more than 5 ms (the task was busy, the runtime blocked), what happens
// to the ticks that were missed depends on MissedTickBehavior:
//   Burst (default)  fire the missed ticks back to back until the schedule is caught up; the
//                    schedule itself never shifts (ticks at start + k*period).
//   Delay            the next tick is one period after the late tick was observed; the schedule
//                    shifts by the lateness.
//   Skip             drop the missed ticks; the next tick is the next instant on the original
//                    schedule that is still in the future.
//
// Cancellation: destroying a coroutine suspended in co_await tick() consumes no tick; the
// interval stays as it was and the next tick() waits for the same scheduled instant.
#pragma once

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"
#include "eddy/time/instant.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/waker.hpp"

namespace eddy::time {

enum class MissedTickBehavior { Burst, Delay, Skip };

class Interval {
 public:
  Interval(Interval&&) noexcept = default;
  Interval& operator=(Interval&&) = delete;

  class TickAwaiter : public detail::PollAwaiter<TickAwaiter, Instant> {
   public:
    explicit TickAwaiter(Interval& iv) noexcept : iv_(&iv) {}
    TickAwaiter(TickAwaiter&&) noexcept = default;
    // Forgets the waiting task (a destroyed wait must not keep it alive nor be woken by reset).
    ~TickAwaiter() { iv_->waiter_.reset(); }
    Poll<Instant> poll(const Waker& waker) noexcept { return iv_->poll_tick(waker); }

   private:
    Interval* iv_;
  };

  // co_await gives the tick's scheduled instant.
  TickAwaiter tick() noexcept { return TickAwaiter(*this); }
  // The poll-style form of tick().
  Poll<Instant> poll_tick(const Waker& waker) noexcept;

  // Resetting moves the next tick; the ticks after it follow one period apart from it (the
  // missed-tick behaviour then applies to the new schedule). A task suspended in tick() (on
  // this thread, e.g. another task's) is woken and waits for the new instant.
  //
  // The next tick is one period from now.
  void reset() noexcept;
  // The next tick is now (a tick() completes at once).
  void reset_immediately() noexcept;
  // The next tick is `after` from now (saturating; a negative duration means now).
  void reset_after(Duration after) noexcept;
  template <class Rep, class Period>
  void reset_after(std::chrono::duration<Rep, Period> after) noexcept {
    reset_after(saturating_duration(after));
  }
  // The next tick is at `deadline` (an instant in the past means now, and counts as late).
  void reset_at(Instant deadline) noexcept;

  Duration period() const noexcept { return period_; }
  MissedTickBehavior missed_tick_behavior() const noexcept { return behavior_; }
  void set_missed_tick_behavior(MissedTickBehavior b) noexcept { behavior_ = b; }

 private:
  friend Result<Interval> interval_at(Instant start, Duration period) noexcept;
  Interval(Instant start, Duration period) noexcept : delay_(start), period_(period) {}

  Instant next_after_missed(Instant scheduled, Instant now) const noexcept;

  Sleep delay_;
  // The task waiting in tick(), woken by the reset_* calls so that it waits for the new instant.
  Waker waiter_;
  Duration period_;
  MissedTickBehavior behavior_ = MissedTickBehavior::Burst;
};

// Ticks at `start`, start + period, ... std::errc::invalid_argument when period <= 0. Any
// std::chrono duration (saturating, like sleep's).
Result<Interval> interval_at(Instant start, Duration period) noexcept;
template <class Rep, class Period>
Result<Interval> interval_at(Instant start, std::chrono::duration<Rep, Period> period) noexcept {
  return interval_at(start, saturating_duration(period));
}
// Ticks now, now + period, ...
Result<Interval> interval(Duration period) noexcept;
template <class Rep, class Period>
Result<Interval> interval(std::chrono::duration<Rep, Period> period) noexcept {
  return interval(saturating_duration(period));
}

}  // namespace eddy::time
