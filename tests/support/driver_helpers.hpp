// Helpers for tests that park a real Driver: bounded waits, so a broken driver fails a test
// instead of hanging the suite. None of them asserts how long anything took.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "io/driver.hpp"

namespace eddy_test {

// Turns `driver` (short bounded parks) until `pred()` holds; false if `limit` passes first.
template <class Pred>
bool turn_until(eddy::io::Driver& driver, Pred pred,
                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    driver.park_timeout(std::chrono::milliseconds(5));
  }
  return true;
}

// Rescues a park() that should have returned on its own: after `limit` it records that it fired
// and unparks the driver. A test that parks checks fired() afterwards: true means the park only
// returned because of the watchdog (if unpark itself is broken, the ctest timeout catches it).
class ParkWatchdog {
 public:
  explicit ParkWatchdog(std::shared_ptr<eddy::io::Handle> handle,
                        std::chrono::milliseconds limit = std::chrono::seconds(10))
      : handle_(std::move(handle)), thread_([this, limit] {
          std::unique_lock<std::mutex> lock(m_);
          if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
            fired_ = true;
            handle_->unpark();
          }
        }) {}
  ParkWatchdog(const ParkWatchdog&) = delete;
  ParkWatchdog& operator=(const ParkWatchdog&) = delete;
  ~ParkWatchdog() {
    {
      std::lock_guard<std::mutex> lock(m_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  bool fired() {
    std::lock_guard<std::mutex> lock(m_);
    return fired_;
  }

 private:
  std::shared_ptr<eddy::io::Handle> handle_;
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

}  // namespace eddy_test
