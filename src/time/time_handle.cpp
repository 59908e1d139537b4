#include "time/time_handle.hpp"

#include <utility>

#include "util/wake_list.hpp"

namespace eddy::detail {

namespace {
// Ticks are kept well below UINT64_MAX so that wheel arithmetic (slot starts plus a lap) cannot
// overflow; the steady clock's whole range in milliseconds is far smaller anyway.
constexpr std::uint64_t kMaxTick = std::uint64_t{1} << 62;
}  // namespace

TimeHandle::TimeHandle(signal::IoUnpark below, bool start_paused) noexcept
    : below_(std::move(below)), clock_(start_paused), start_(clock_.now()) {}

std::uint64_t TimeHandle::deadline_to_tick(time::Instant t) const noexcept {
  if (t <= start_) return 0;
  const auto ns = (t - start_).count();
  const auto tick = static_cast<std::uint64_t>(ns / kTick.count()) + (ns % kTick.count() != 0 ? 1 : 0);
  return tick < kMaxTick ? tick : kMaxTick;
}

std::uint64_t TimeHandle::instant_to_tick(time::Instant t) const noexcept {
  if (t <= start_) return 0;
  const auto tick = static_cast<std::uint64_t>((t - start_).count() / kTick.count());
  return tick < kMaxTick ? tick : kMaxTick;
}

time::Instant TimeHandle::tick_to_instant(std::uint64_t tick) const noexcept {
  return start_ + std::chrono::duration_cast<time::Duration>(kTick * static_cast<std::int64_t>(tick));
}

std::uint8_t TimeHandle::register_timer(TimerEntry& e, std::uint64_t tick, const Waker& waker) noexcept {
  Waker w(waker);  // cloned outside the lock
  bool unpark = false;
  std::uint8_t result;
  {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    if (shutdown_) {
      result = TimerEntry::kShutdown;
    } else if (tick <= wheel_.elapsed()) {
      result = TimerEntry::kFired;
    } else {
      e.when = tick;
      std::swap(e.waker, w);
      wheel_.insert(e);
      result = TimerEntry::kRegistered;
      unpark = parking_ && tick < park_deadline_;
      // The next registration that is earlier still unparks again; later ones do not.
      if (unpark) park_deadline_ = tick;
    }
    e.state.store(result, std::memory_order_relaxed);
  }
  if (unpark) {
    note_unpark();
    below_.unpark();
  }
  return result;
}

std::uint8_t TimeHandle::update_waker(TimerEntry& e, const Waker& waker) noexcept {
  Waker w;  // the old waker, dropped after the lock
  sync::LockGuard<sync::Mutex> lock(mutex_);
  const std::uint8_t s = e.state.load(std::memory_order_relaxed);
  if (s == TimerEntry::kRegistered && !e.waker.will_wake(waker)) {
    w = std::exchange(e.waker, Waker(waker));
  }
  return s;
}

void TimeHandle::cancel(TimerEntry& e) noexcept {
  Waker w;
  {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    wheel_.remove(e);
    w = std::move(e.waker);
    e.state.store(TimerEntry::kIdle, std::memory_order_relaxed);
  }
}

void TimeHandle::transfer(TimerEntry& from, TimerEntry& to) noexcept {
  sync::LockGuard<sync::Mutex> lock(mutex_);
  const std::uint8_t s = from.state.load(std::memory_order_relaxed);
  to.state.store(s, std::memory_order_relaxed);
  to.waker = std::move(from.waker);
  if (s == TimerEntry::kRegistered) {
    wheel_.remove(from);
    to.when = from.when;
    wheel_.insert(to);
  }
  from.state.store(TimerEntry::kIdle, std::memory_order_relaxed);
}

TimeHandle::ParkPlan TimeHandle::before_park(std::optional<std::chrono::nanoseconds> limit) noexcept {
  did_wake_.store(false, std::memory_order_relaxed);
  std::optional<std::uint64_t> next;
  {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    next = wheel_.next_expiration();
    parking_ = true;
    park_deadline_ = next ? *next : UINT64_MAX;
  }
  ParkPlan plan;
  std::optional<std::chrono::nanoseconds> wait = limit;
  if (next) {
    const auto d = tick_to_instant(*next).duration_since(clock_.now());
    wait = limit ? std::min(d, *limit) : d;
  }
  if (wait && clock_.is_paused()) {
    // Paused: only poll below; time moves in after_park if everyone is idle.
    plan.advance = *wait;
    plan.wait = std::chrono::nanoseconds(0);
  } else {
    plan.wait = wait;
  }
  return plan;
}

void TimeHandle::after_park(const ParkPlan& plan, bool below_active) noexcept {
  if (plan.advance <= std::chrono::nanoseconds(0) || below_active) {
    process();
    return;
  }
  // The idle check comes before did_wake_ is read, and that order matters: a task on another
  // worker may register an earlier timer (which sets did_wake_, the plan being stale) and then
  // park. Read the other way round, did_wake_ could be read before the registration and the
  // idle check after the parking, and the clock jumped past the new timer to the old plan's
  // (TimeAutoAdvance.ATimerRegisteredByAWorkerThatThenParksStopsTheJump). In this order, a worker
  // seen parked by the check made its registration, and so its did_wake_ store, before it
  // parked (the check's seq_cst read of the parked count orders that store before this load).
  const bool idle = idle_check_ == nullptr || idle_check_(idle_check_ctx_);
  if (idle && !did_wake_.load(std::memory_order_acquire)) clock_.advance(plan.advance);
  process();
}

void TimeHandle::process() noexcept { fire(instant_to_tick(clock_.now()), false); }

void TimeHandle::shutdown() noexcept {
  {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    if (shutdown_) return;
    shutdown_ = true;
  }
  fire(0, true);
}

bool TimeHandle::is_shutdown() const noexcept {
  sync::LockGuard<sync::Mutex> lock(mutex_);
  return shutdown_;
}

std::size_t TimeHandle::timer_count() const noexcept {
  sync::LockGuard<sync::Mutex> lock(mutex_);
  return wheel_.size();
}

void TimeHandle::fire(std::uint64_t now_tick, bool shutdown) noexcept {
  WakeList wakes;
  sync::UniqueLock<sync::Mutex> lock(mutex_);
  parking_ = false;
  for (;;) {
    TimerEntry* e = shutdown ? wheel_.pop_any() : wheel_.poll(now_tick);
    if (e == nullptr) break;
    Waker w = std::move(e->waker);
    // The driver's last touch of the entry: once the owner sees this state it may free it.
    e->state.store(shutdown ? TimerEntry::kShutdown : TimerEntry::kFired, std::memory_order_release);
    if (!w) continue;
    wakes.push(std::move(w));
    if (!wakes.can_push()) {
      lock.unlock();
      wakes.wake_all();
      lock.lock();
    }
  }
  lock.unlock();
  wakes.wake_all();
}

}  // namespace eddy::detail
