// The stack of drivers a runtime parks on. Today: the I/O driver, or a condition-variable parker
// when I/O is disabled. The time and signal drivers slot in above the I/O driver.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "eddy/detail/sync.hpp"
#include "eddy/io/driver.hpp"

namespace eddy::detail {

// Parks a thread on a condition variable (used when the runtime has no I/O driver).
class ParkThread {
 public:
  void park(std::optional<std::chrono::nanoseconds> timeout);
  void unpark();

 private:
  sync::Mutex mutex_;
  sync::CondVar cv_;
  bool notified_ = false;
};

// Wakes a parked runtime thread from any thread.
class Unparker {
 public:
  Unparker(std::shared_ptr<io::Handle> io, std::shared_ptr<ParkThread> park) noexcept
      : io_(std::move(io)), park_(std::move(park)) {}
  void unpark() const {
    if (io_) io_->unpark();
    else park_->unpark();
  }
  const std::shared_ptr<io::Handle>& io() const noexcept { return io_; }

 private:
  std::shared_ptr<io::Handle> io_;
  std::shared_ptr<ParkThread> park_;
};

class DriverStack {
 public:
  DriverStack(std::optional<io::Driver> io, std::shared_ptr<ParkThread> park) noexcept
      : io_(std::move(io)), park_(std::move(park)) {}

  void park() { turn(std::nullopt); }
  void park_timeout(std::chrono::nanoseconds d) { turn(d); }
  void shutdown() {
    if (io_) io_->shutdown();
  }

  io::Driver* io() noexcept { return io_ ? &*io_ : nullptr; }

 private:
  void turn(std::optional<std::chrono::nanoseconds> d) {
    if (io_) io_->turn(d);
    else park_->park(d);
  }

  std::optional<io::Driver> io_;
  std::shared_ptr<ParkThread> park_;
};

}  // namespace eddy::detail
