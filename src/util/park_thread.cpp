#include "util/park_thread.hpp"

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

}  // namespace eddy::detail
