// driver::Driver: a runtime's stack of drivers, owned by the thread that parks it (the
// scheduler's core). Parks bottom-up, does its work top-down after each park:
//
//   time (TimeDriver)   -> parks the layer below until the next timer, then fires timers
//   signal (signal::Driver over io::Driver), or the thread parker (ParkThread) without I/O
//
// driver::Handle (include/eddy/detail/driver_handle.hpp) is the thread-safe side: the handles
// of each layer, built here with the stack and immutable afterwards.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <utility>
#include <variant>

#include "eddy/detail/driver_handle.hpp"
#include "eddy/result.hpp"
#include "signal/driver.hpp"
#include "time/driver.hpp"

namespace eddy::detail::driver {

struct Config {
  bool enable_io = false;
  bool enable_time = false;
  bool start_paused = false;
  std::size_t max_io_events = io::Driver::kDefaultEvents;
  io::UringMode uring = io::UringMode::off;  // with enable_io only
  bool shared_by_threads = false;            // the multi-thread runtime: pad I/O resources
  io::uring::Config uring_config;
};

class Driver {
 public:
  // The stack `config` asks for, and its handle.
  static Result<std::pair<Driver, Handle>> create(const Config& config);

  // Blocks until something happens (an event, a timer, an unpark) and does the work it brought.
  void park() { layer_park(std::nullopt); }
  // The same, for at most `d` (0: poll without blocking).
  void park_timeout(std::chrono::nanoseconds d) { layer_park(d); }
  // Top down: fires every timer with the shutdown state, then shuts the I/O driver down (every
  // I/O waiter wakes with Error::shutdown). Idempotent.
  void shutdown();

 private:
  explicit Driver(std::variant<TimeDriver, signal::IoStack> top) noexcept : top_(std::move(top)) {}
  void layer_park(std::optional<std::chrono::nanoseconds> d);

  std::variant<TimeDriver, signal::IoStack> top_;
};

}  // namespace eddy::detail::driver
