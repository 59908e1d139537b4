#include "eddy/time/interval.hpp"

#include <system_error>
#include <utility>

namespace eddy::time {

namespace {
// Lateness below this is jitter, not a missed tick (the same tolerance as tokio).
constexpr Duration kMissedTolerance = std::chrono::milliseconds(5);
}  // namespace

Result<Interval> interval_at(Instant start, Duration period) noexcept {
  if (period <= Duration::zero()) return std::make_error_code(std::errc::invalid_argument);
  return Interval(start, period);
}

Result<Interval> interval(Duration period) noexcept { return interval_at(Instant::now(), period); }

Poll<Instant> Interval::poll_tick(const Waker& waker) noexcept {
  // A shut-down driver: the tick is returned anyway (the task is about to be destroyed).
  if (!delay_.poll(waker)) {
    waiter_.clone_from(waker);
    return Pending;
  }
  waiter_.reset();
  const Instant scheduled = delay_.deadline();
  const Instant now = Instant::now();
  const Instant next =
      now > scheduled + kMissedTolerance ? next_after_missed(scheduled, now) : scheduled + period_;
  delay_.reset(next);
  return scheduled;
}

Instant Interval::next_after_missed(Instant scheduled, Instant now) const noexcept {
  switch (behavior_) {
    case MissedTickBehavior::Burst:
      return scheduled + period_;
    case MissedTickBehavior::Delay:
      return now + period_;
    case MissedTickBehavior::Skip:
      return now + period_ - (now - scheduled) % period_;
  }
  return scheduled + period_;
}

void Interval::reset_at(Instant deadline) noexcept {
  delay_.reset(deadline);
  // The sleep forgot its timer; the waiting task re-polls and waits for the new deadline.
  if (waiter_) std::exchange(waiter_, Waker()).wake();
}
void Interval::reset() noexcept { reset_at(Instant::now() + period_); }
void Interval::reset_immediately() noexcept { reset_at(Instant::now()); }
void Interval::reset_after(Duration after) noexcept {
  reset_at(Instant::now() + (after < Duration::zero() ? Duration::zero() : after));
}

}  // namespace eddy::time
