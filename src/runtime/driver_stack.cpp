#include "runtime/driver_stack.hpp"

#include "signal/signal_handle.hpp"
#include "time/time_handle.hpp"

namespace eddy::detail {

void ParkThread::park(std::optional<std::chrono::nanoseconds> timeout) {
  sync::UniqueLock<sync::Mutex> lock(mutex_);
  if (!notified_) {
    if (!timeout) cv_.wait(lock, [this] { return notified_; });
    else if (timeout->count() > 0) cv_.wait_for(lock, *timeout, [this] { return notified_; });
  }
  notified_ = false;
}

void ParkThread::unpark() {
  {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    notified_ = true;
  }
  cv_.notify_one();
}

void Unparker::unpark() const {
  if (time_) time_->note_unpark();
  if (io_) io_->unpark();
  else park_->unpark();
}

void DriverStack::turn(std::optional<std::chrono::nanoseconds> d) {
  if (!time_) {
    turn_below(d);
    return;
  }
  const auto plan = time_->before_park(d);
  const bool active = turn_below(plan.wait);
  time_->after_park(plan, active);
}

bool DriverStack::turn_below(std::optional<std::chrono::nanoseconds> d) {
  if (!io_) {
    park_->park(d);
    return false;
  }
  const std::uint64_t before = io_->handle()->metrics().ready_count();
  io_->turn(d);
  bool active = io_->handle()->metrics().ready_count() != before;
  if (io_->consume_signal_ready() && signal_) {
    signal_->process();
    active = true;
  }
  return active;
}

void DriverStack::shutdown() {
  if (time_) time_->shutdown();
  if (io_) io_->shutdown();
}

}  // namespace eddy::detail
