// ParkThread: the bottom of a driver stack without I/O. Parks a thread on a condition variable
// until unpark() or a timeout; an unpark that comes first makes the next park return at once
// (the notification is kept, never lost).
#pragma once

#include <chrono>
#include <optional>

#include "eddy/detail/sync.hpp"

namespace eddy::detail {

class ParkThread {
 public:
  // The parking thread only.
  void park(std::optional<std::chrono::nanoseconds> timeout);
  // Any thread.
  void unpark();

 private:
  sync::Mutex mutex_;
  sync::CondVar cv_;
  bool notified_ = false;  // guarded by mutex_
};

}  // namespace eddy::detail
