// eddy::time::Instant: a point on a monotonic clock.
//
// Inside a runtime with the time driver, Instant::now() reads the runtime's clock, which tests
// can pause and advance (see eddy/time/clock.hpp); elsewhere it reads std::chrono::steady_clock.
// Adding a duration saturates instead of overflowing, so sleep(hours::max()) means "as far as
// the clock goes".
#pragma once

#include <chrono>
#include <compare>
#include <ratio>

namespace eddy::time {

using Duration = std::chrono::nanoseconds;

// `d` in nanoseconds, saturated: hours::max() or a huge double is Duration::max(), not the
// negative number a plain conversion overflows to (which would make a sleep or a timeout end at
// once). Every public entry point that takes a duration converts through this.
template <class Rep, class Period>
constexpr Duration saturating_duration(std::chrono::duration<Rep, Period> d) noexcept {
  using D = std::chrono::duration<Rep, Period>;
  if constexpr (std::ratio_greater_equal_v<Period, std::nano>) {
    if (d >= std::chrono::duration_cast<D>(Duration::max())) return Duration::max();
    if (d <= std::chrono::duration_cast<D>(Duration::min())) return Duration::min();
  }
  return std::chrono::duration_cast<Duration>(d);
}

class Instant {
 public:
  using Clock = std::chrono::steady_clock;

  constexpr Instant() noexcept = default;
  constexpr explicit Instant(Clock::time_point tp) noexcept : tp_(tp) {}

  // Now, on the current runtime's clock (or the steady clock outside a runtime).
  static Instant now() noexcept;
  // The furthest instant representable.
  static constexpr Instant far_future() noexcept { return Instant(Clock::time_point::max()); }

  constexpr Clock::time_point time_point() const noexcept { return tp_; }

  // Time from `earlier` to this instant, or zero when `earlier` is later.
  constexpr Duration duration_since(Instant earlier) const noexcept {
    return tp_ > earlier.tp_ ? Duration(tp_ - earlier.tp_) : Duration::zero();
  }
  // Time since this instant, on the same clock as now().
  Duration elapsed() const noexcept { return now().duration_since(*this); }

  // Any std::chrono duration (converted by saturating_duration, so instant + hours::max() is
  // far_future(), not an overflow).
  template <class Rep, class Period>
  constexpr Instant& operator+=(std::chrono::duration<Rep, Period> d) noexcept {
    tp_ = add(tp_, saturating_duration(d));
    return *this;
  }
  template <class Rep, class Period>
  constexpr Instant& operator-=(std::chrono::duration<Rep, Period> d) noexcept {
    const Duration n = saturating_duration(d);
    tp_ = add(tp_, n == Duration::min() ? Duration::max() : -n);
    return *this;
  }
  template <class Rep, class Period>
  friend constexpr Instant operator+(Instant a, std::chrono::duration<Rep, Period> d) noexcept {
    return a += d;
  }
  template <class Rep, class Period>
  friend constexpr Instant operator-(Instant a, std::chrono::duration<Rep, Period> d) noexcept {
    return a -= d;
  }
  // The signed difference (use duration_since for a saturated non-negative one).
  friend constexpr Duration operator-(Instant a, Instant b) noexcept { return a.tp_ - b.tp_; }
  friend constexpr auto operator<=>(Instant a, Instant b) noexcept = default;

 private:
  // Saturating time_point + duration.
  static constexpr Clock::time_point add(Clock::time_point tp, Duration d) noexcept {
    using TP = Clock::time_point;
    const auto rep = tp.time_since_epoch().count();
    const auto dr = std::chrono::duration_cast<Clock::duration>(d).count();
    using Rep = decltype(rep + dr);
    Rep out;
    if (__builtin_add_overflow(rep, dr, &out)) return dr > 0 ? TP::max() : TP::min();
    return TP(Clock::duration(out));
  }

  Clock::time_point tp_{};
};

}  // namespace eddy::time
