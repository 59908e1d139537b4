// The signal layer of a driver stack, and the bottom of the stack as the time driver sees it.
//
// signal::Driver turns the I/O driver and, after a turn whose report says the signal token
// fired, drains this runtime's dup of the self-pipe and notifies every listener in the process.
//
// IoStack is "the layer below" the time driver: the signal-over-I/O driver, or a thread parker
// when the runtime has no I/O. IoUnpark wakes it from any thread. The time driver knows the
// layer below only through these two narrow types: park (with a limit) and report, unpark.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <variant>

#include "io/driver.hpp"
#include "signal/signal_handle.hpp"
#include "util/park_thread.hpp"

namespace eddy::detail::signal {

class Driver {
 public:
  Driver(io::Driver io, std::shared_ptr<SignalHandle> handle) noexcept
      : io_(std::move(io)), handle_(std::move(handle)) {}

  // One I/O turn of at most `d` (none: no limit); then the signal work the turn asked for.
  io::TurnReport park(std::optional<std::chrono::nanoseconds> d) {
    const io::TurnReport report = io_.turn(d);
    if (report.signal) handle_->process();
    return report;
  }
  void shutdown() { io_.shutdown(); }

  const std::shared_ptr<io::Handle>& io_handle() const noexcept { return io_.handle(); }
  const std::shared_ptr<SignalHandle>& handle() const noexcept { return handle_; }

 private:
  io::Driver io_;
  std::shared_ptr<SignalHandle> handle_;
};

// Wakes the bottom of the stack from any thread.
class IoUnpark {
 public:
  explicit IoUnpark(std::shared_ptr<io::Handle> io) noexcept : io_(std::move(io)) {}
  explicit IoUnpark(std::shared_ptr<ParkThread> park) noexcept : park_(std::move(park)) {}
  void unpark() const noexcept {
    if (io_) io_->unpark();
    else park_->unpark();
  }

 private:
  std::shared_ptr<io::Handle> io_;
  std::shared_ptr<ParkThread> park_;
};

class IoStack {
 public:
  explicit IoStack(Driver signal) noexcept : layer_(std::move(signal)) {}
  explicit IoStack(std::shared_ptr<ParkThread> park) noexcept : layer_(std::move(park)) {}

  // Parks at most `d` (none: until unparked). The report says what was delivered (nothing for
  // the thread parker).
  io::TurnReport park(std::optional<std::chrono::nanoseconds> d) {
    if (auto* s = std::get_if<Driver>(&layer_)) return s->park(d);
    std::get<std::shared_ptr<ParkThread>>(layer_)->park(d);
    return {};
  }
  void shutdown() {
    if (auto* s = std::get_if<Driver>(&layer_)) s->shutdown();
  }
  IoUnpark unpark() const {
    if (auto* s = std::get_if<Driver>(&layer_)) return IoUnpark(s->io_handle());
    return IoUnpark(std::get<std::shared_ptr<ParkThread>>(layer_));
  }

 private:
  std::variant<Driver, std::shared_ptr<ParkThread>> layer_;
};

}  // namespace eddy::detail::signal
