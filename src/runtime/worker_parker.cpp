#include "runtime/worker_parker.hpp"

namespace eddy::detail {

void WorkerParker::park(SharedDriver& shared, std::optional<std::chrono::nanoseconds> timeout) {
  if (timeout && timeout->count() == 0) {
    // A busy worker's periodic look at I/O and timers, or a yield: never sleeps.
    if (shared.mutex.try_lock()) {
      shared.driver.park_timeout(std::chrono::nanoseconds(0));
      shared.mutex.unlock();
    }
    return;
  }
  std::uint32_t s = kNotified;
  if (state_.compare_exchange_strong(s, kEmpty, std::memory_order_seq_cst)) return;
  if (shared.mutex.try_lock()) {
    park_driver(shared.driver);
    shared.mutex.unlock();
  } else {
    park_condvar();
  }
}

void WorkerParker::park_driver(driver::Driver& d) {
  std::uint32_t s = kEmpty;
  if (!state_.compare_exchange_strong(s, kParkedDriver, std::memory_order_seq_cst)) {
    // Notified meanwhile (the only other state it can be in).
    state_.store(kEmpty, std::memory_order_seq_cst);
    return;
  }
  // An unpark from now on wakes the driver (driver::Handle::unpark keeps the notification if it
  // comes before the driver blocks).
  d.park();
  state_.exchange(kEmpty, std::memory_order_seq_cst);  // PARKED_DRIVER or NOTIFIED: both consumed
}

void WorkerParker::park_condvar() {
  sync::UniqueLock<sync::Mutex> lock(mutex_);
  std::uint32_t s = kEmpty;
  if (!state_.compare_exchange_strong(s, kParkedCondvar, std::memory_order_seq_cst)) {
    state_.store(kEmpty, std::memory_order_seq_cst);
    return;
  }
  for (;;) {
    cv_.wait(lock);
    s = kNotified;
    if (state_.compare_exchange_strong(s, kEmpty, std::memory_order_seq_cst)) return;
    // Spurious wake-up: still PARKED_CONDVAR.
  }
}

void WorkerParker::unpark(const driver::Handle& driver) noexcept {
  switch (state_.exchange(kNotified, std::memory_order_seq_cst)) {
    case kParkedCondvar: {
      // Taking the lock orders this notify after the parker's wait began (it set PARKED_CONDVAR
      // under the lock).
      { sync::LockGuard<sync::Mutex> lock(mutex_); }
      cv_.notify_one();
      break;
    }
    case kParkedDriver:
      driver.unpark();
      break;
    default:  // EMPTY or already NOTIFIED: the next park returns at once
      break;
  }
}

}  // namespace eddy::detail
