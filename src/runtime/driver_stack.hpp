// The stack of drivers a runtime parks on: time -> signal -> io (or a condition-variable parker
// when I/O is disabled). The time layer parks the layers below until the next timer (or the
// caller's limit, if earlier) and fires expired timers afterwards; the signal layer, after an
// I/O turn that saw the reserved signal token, drains the process-wide self-pipe and notifies
// every signal listener in the process.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "eddy/detail/sync.hpp"
#include "eddy/io/driver.hpp"

namespace eddy::detail {

class TimeHandle;   // src/time/time_handle.hpp
class SignalHandle;  // src/signal/signal_handle.hpp

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

// Wakes a parked runtime thread from any thread; also the runtime's handles to its time driver
// (null without enable_time) and signal layer (null without I/O).
class Unparker {
 public:
  Unparker(std::shared_ptr<io::Handle> io, std::shared_ptr<ParkThread> park,
           std::shared_ptr<TimeHandle> time = nullptr, std::shared_ptr<SignalHandle> signal = nullptr) noexcept
      : io_(std::move(io)), park_(std::move(park)), time_(std::move(time)), signal_(std::move(signal)) {}
  // Tells the time driver someone woke it (a paused clock must not jump past that), then wakes
  // the bottom layer.
  void unpark() const;
  const std::shared_ptr<io::Handle>& io() const noexcept { return io_; }
  const std::shared_ptr<TimeHandle>& time() const noexcept { return time_; }
  const std::shared_ptr<SignalHandle>& signal() const noexcept { return signal_; }

 private:
  std::shared_ptr<io::Handle> io_;
  std::shared_ptr<ParkThread> park_;
  std::shared_ptr<TimeHandle> time_;
  std::shared_ptr<SignalHandle> signal_;
};

class DriverStack {
 public:
  DriverStack(std::optional<io::Driver> io, std::shared_ptr<ParkThread> park,
              std::shared_ptr<TimeHandle> time = nullptr, std::shared_ptr<SignalHandle> signal = nullptr) noexcept
      : io_(std::move(io)), park_(std::move(park)), time_(std::move(time)), signal_(std::move(signal)) {}

  void park() { turn(std::nullopt); }
  void park_timeout(std::chrono::nanoseconds d) { turn(d); }
  // Top down: fires every timer with the shutdown state, then shuts the I/O driver down.
  void shutdown();

  io::Driver* io() noexcept { return io_ ? &*io_ : nullptr; }
  TimeHandle* time() noexcept { return time_.get(); }

 private:
  void turn(std::optional<std::chrono::nanoseconds> d);
  // The layers below time: returns whether they delivered anything (I/O events, signals).
  bool turn_below(std::optional<std::chrono::nanoseconds> d);

  std::optional<io::Driver> io_;
  std::shared_ptr<ParkThread> park_;
  std::shared_ptr<TimeHandle> time_;
  std::shared_ptr<SignalHandle> signal_;
};

}  // namespace eddy::detail
