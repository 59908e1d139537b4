#include "time/clock.hpp"

namespace eddy::detail {

Clock::Clock(bool start_paused) noexcept : paused_(start_paused), base_(Steady::now()), unfrozen_(base_.time_point()) {
  if (start_paused) may_be_paused_.store(true, std::memory_order_relaxed);
}

time::Instant Clock::now() const noexcept {
  if (!may_be_paused_.load(std::memory_order_acquire)) return time::Instant(Steady::now());
  sync::LockGuard<sync::Mutex> lock(mutex_);
  if (paused_) return base_;
  return base_ + (Steady::now() - unfrozen_);
}

bool Clock::is_paused() const noexcept {
  if (!may_be_paused_.load(std::memory_order_acquire)) return false;
  sync::LockGuard<sync::Mutex> lock(mutex_);
  return paused_;
}

void Clock::pause() noexcept {
  sync::LockGuard<sync::Mutex> lock(mutex_);
  if (paused_) return;
  // Before publishing the flag, so that now() never sees "maybe paused" with stale fields.
  if (may_be_paused_.load(std::memory_order_relaxed)) {
    base_ = base_ + (Steady::now() - unfrozen_);
  } else {
    base_ = time::Instant(Steady::now());
  }
  paused_ = true;
  may_be_paused_.store(true, std::memory_order_release);
}

void Clock::resume() noexcept {
  sync::LockGuard<sync::Mutex> lock(mutex_);
  if (!paused_) return;
  paused_ = false;
  unfrozen_ = Steady::now();
}

bool Clock::advance(time::Duration d) noexcept {
  sync::LockGuard<sync::Mutex> lock(mutex_);
  if (!paused_) return false;
  if (d > time::Duration::zero()) base_ += d;
  return true;
}

void Clock::advance_to(time::Instant t) noexcept {
  sync::LockGuard<sync::Mutex> lock(mutex_);
  if (paused_ && t > base_) base_ = t;
}

}  // namespace eddy::detail
