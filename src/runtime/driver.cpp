#include "runtime/driver.hpp"

#include <memory>

namespace eddy::detail::driver {

Result<std::pair<Driver, Handle>> Driver::create(const Config& config) {
  Handle handle;
  std::optional<signal::IoStack> below;
  if (config.enable_io) {
    auto io = io::Driver::create(config.max_io_events, config.uring, config.uring_config);
    if (!io) return io.error();
    handle.io = io->handle();
    if (config.shared_by_threads) handle.io->pad_registrations();
    handle.signal = std::make_shared<SignalHandle>(handle.io);
    below.emplace(signal::Driver(std::move(*io), handle.signal));
  } else {
    handle.park_thread = std::make_shared<ParkThread>();
    below.emplace(handle.park_thread);
  }
  if (!config.enable_time) return std::pair<Driver, Handle>(Driver(std::move(*below)), std::move(handle));
  handle.time = std::make_shared<TimeHandle>(below->unpark(), config.start_paused);
  Driver d(TimeDriver(handle.time, std::move(*below)));
  return std::pair<Driver, Handle>(std::move(d), std::move(handle));
}

void Driver::layer_park(std::optional<std::chrono::nanoseconds> d) {
  if (auto* t = std::get_if<TimeDriver>(&top_)) t->park(d);
  else std::get<signal::IoStack>(top_).park(d);
}

void Driver::shutdown() {
  if (auto* t = std::get_if<TimeDriver>(&top_)) t->shutdown();
  else std::get<signal::IoStack>(top_).shutdown();
}

void Handle::unpark() const noexcept {
  if (time) time->unpark();
  else if (io) io->unpark();
  else park_thread->unpark();
}

}  // namespace eddy::detail::driver
