// TimeHandle: the time driver's shared state (the wheel, its lock, the clock) and its two
// sides: timer registration (any thread) and the park/fire cycle (the runtime's thread).
//
// Ticks are whole milliseconds since the handle was created. A deadline is rounded up to its
// tick, "now" is rounded down, so a timer never fires before its deadline.
//
// Parking (TimeDriver::park, src/time/driver.hpp):
//   plan = before_park(limit)   lock; next = wheel's next expiration; record it as the park
//                               deadline and mark "parking"; work out how long to park below
//   <park the layer below (signal/io, or the thread parker) with plan.wait>
//   after_park(plan, active)    paused clock: auto-advance if nothing else woke; then fire
//                               every expired timer (wakers woken in batches, no lock held)
// A registration earlier than the recorded park deadline, made while parking, unparks the
// layer below (tokio#3190); registrations made while the runtime thread is running tasks need
// no unpark, because the next before_park sees them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "eddy/detail/sync.hpp"
#include "eddy/time/detail/timer_wheel.hpp"
#include "eddy/time/instant.hpp"
#include "signal/driver.hpp"
#include "time/clock.hpp"

namespace eddy::detail {

class TimeHandle {
 public:
  static constexpr std::chrono::nanoseconds kTick = std::chrono::milliseconds(1);

  // `below` wakes the layer the time driver parks on (the I/O driver or the thread parker).
  TimeHandle(signal::IoUnpark below, bool start_paused) noexcept;
  TimeHandle(const TimeHandle&) = delete;
  TimeHandle& operator=(const TimeHandle&) = delete;

  Clock& clock() noexcept { return clock_; }
  time::Instant now() const noexcept { return clock_.now(); }

  // The tick a deadline fires at (rounded up) and the tick an instant falls in (rounded down).
  std::uint64_t deadline_to_tick(time::Instant t) const noexcept;
  std::uint64_t instant_to_tick(time::Instant t) const noexcept;
  time::Instant tick_to_instant(std::uint64_t tick) const noexcept;

  // --- timer side (any thread) ---

  // Registers an idle entry for `tick` with `waker`. Returns the entry's new state: kRegistered,
  // or kFired when the tick has already been processed, or kShutdown.
  std::uint8_t register_timer(TimerEntry& e, std::uint64_t tick, const Waker& waker) noexcept;
  // Replaces a registered entry's waker. Returns the entry's state (it may have fired).
  std::uint8_t update_waker(TimerEntry& e, const Waker& waker) noexcept;
  // Unlinks a registered entry (cancellation) and makes it idle; a fired one just becomes idle.
  void cancel(TimerEntry& e) noexcept;
  // Moves registration from `from` to `to` (a Sleep being moved). `to` must be idle.
  void transfer(TimerEntry& from, TimerEntry& to) noexcept;

  // --- driver side (the runtime's thread) ---

  struct ParkPlan {
    std::optional<std::chrono::nanoseconds> wait;  // how long the layer below may block
    std::chrono::nanoseconds advance{0};           // paused clock: auto-advance by this much
  };
  ParkPlan before_park(std::optional<std::chrono::nanoseconds> limit) noexcept;
  // `below_active`: the layer below delivered something (I/O events, signals).
  void after_park(const ParkPlan& plan, bool below_active) noexcept;
  // Fires every timer due at the clock's now.
  void process() noexcept;
  // Fires every timer with the shutdown state; later registrations get it at once. Idempotent.
  void shutdown() noexcept;

  // Wakes the thread parked on this driver from any thread (driver::Handle::unpark): notes the
  // wake, so that a paused clock does not auto-advance past it, then wakes the layer below.
  void unpark() const noexcept {
    note_unpark();
    below_.unpark();
  }
  void note_unpark() const noexcept { did_wake_.store(true, std::memory_order_release); }

  // A scheduler whose "every task is idle" is not the parking thread's alone to decide (several
  // workers) installs a check: a paused clock auto-advances only when it returns true. Set
  // before the driver is first parked; `ctx` must outlive every park.
  using IdleCheck = bool (*)(void* ctx) noexcept;
  void set_auto_advance_check(IdleCheck check, void* ctx) noexcept {
    idle_check_ = check;
    idle_check_ctx_ = ctx;
  }

  bool is_shutdown() const noexcept;
  // Registered timers (for tests and metrics).
  std::size_t timer_count() const noexcept;

 private:
  void fire(std::uint64_t now_tick, bool shutdown) noexcept;

  const signal::IoUnpark below_;
  Clock clock_;
  const time::Instant start_;

  mutable sync::Mutex mutex_;
  TimerWheel wheel_;                      // guarded
  bool parking_ = false;                  // guarded: the runtime thread is (about to be) parked
  std::uint64_t park_deadline_ = UINT64_MAX;  // guarded: the tick it parks until (MAX: none)
  bool shutdown_ = false;                 // guarded
  mutable sync::Atomic<bool> did_wake_{false};
  IdleCheck idle_check_ = nullptr;  // immutable once the driver parks
  void* idle_check_ctx_ = nullptr;
};

}  // namespace eddy::detail
