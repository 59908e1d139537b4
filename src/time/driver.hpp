// TimeDriver: the time layer of a driver stack. Parks the layer below (IoStack: signal over I/O,
// or the thread parker) until the next timer or the caller's limit, whichever is earlier, then
// fires what expired. Owned by the thread that parks, like every driver.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "signal/driver.hpp"
#include "time/time_handle.hpp"

namespace eddy::detail {

class TimeDriver {
 public:
  TimeDriver(std::shared_ptr<TimeHandle> handle, signal::IoStack below) noexcept
      : handle_(std::move(handle)), below_(std::move(below)) {}

  void park(std::optional<std::chrono::nanoseconds> limit) {
    const auto plan = handle_->before_park(limit);
    const io::TurnReport report = below_.park(plan.wait);
    handle_->after_park(plan, report.delivered());
  }
  // Top down: fires every timer with the shutdown state, then shuts the layer below down.
  void shutdown() {
    handle_->shutdown();
    below_.shutdown();
  }

  const std::shared_ptr<TimeHandle>& handle() const noexcept { return handle_; }

 private:
  std::shared_ptr<TimeHandle> handle_;
  signal::IoStack below_;
};

}  // namespace eddy::detail
