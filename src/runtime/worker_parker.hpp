// WorkerParker: how one worker of a multi-thread runtime sleeps. The runtime has one driver
// stack (SharedDriver); the first idle worker to take its try-lock parks on it (and so polls
// I/O, timers and signals for everyone); the others sleep on their own condition variable
// (tokio's scheduler/multi_thread/park.rs design).
//
// Invariants:
// - state_ is EMPTY, PARKED_CONDVAR, PARKED_DRIVER or NOTIFIED. unpark() always leaves
//   NOTIFIED, and a park that finds NOTIFIED consumes it and returns at once: a notification is
//   never lost, whichever way the worker sleeps.
// - Only the holder of SharedDriver::mutex touches SharedDriver::driver, and nothing blocks on
//   that mutex except shutdown (after every worker has stopped).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "eddy/detail/driver_handle.hpp"
#include "eddy/detail/sync.hpp"
#include "runtime/driver.hpp"

namespace eddy::detail {

struct SharedDriver {
  explicit SharedDriver(driver::Driver d) noexcept : driver(std::move(d)) {}
  sync::Mutex mutex;
  driver::Driver driver;  // guarded by mutex (taken with try_lock by parking workers)
};

class WorkerParker {
 public:
  // Sleeps until unpark() (or, on the driver, until an event or timer). `timeout` 0: only polls
  // the driver if it is free, without consuming a notification.
  void park(SharedDriver& shared, std::optional<std::chrono::nanoseconds> timeout);
  // Any thread: wakes the worker, or makes its next park return at once.
  void unpark(const driver::Handle& driver) noexcept;

 private:
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kParkedCondvar = 1;
  static constexpr std::uint32_t kParkedDriver = 2;
  static constexpr std::uint32_t kNotified = 3;

  void park_driver(driver::Driver& d);
  void park_condvar();

  sync::Atomic<std::uint32_t> state_{kEmpty};
  sync::Mutex mutex_;
  sync::CondVar cv_;
};

}  // namespace eddy::detail
