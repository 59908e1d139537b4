#include "time/current.hpp"

#include <cstdio>

#include "eddy/detail/context.hpp"
#include "eddy/detail/fatal.hpp"
#include "eddy/detail/scheduler.hpp"
#include "time/time_handle.hpp"

namespace eddy::detail {

namespace {
[[noreturn]] void no_time_driver(const char* what) noexcept {
  static thread_local char buf[256];
  std::snprintf(buf, sizeof buf, "%s needs a runtime built with the time driver (Builder::enable_time())", what);
  fatal(buf);
}
}  // namespace

TimeHandle* try_current_time_handle() noexcept {
  Scheduler* s = context().handle;
  return s != nullptr ? s->driver().time.get() : nullptr;
}

std::shared_ptr<TimeHandle> current_time_handle(const char* what) noexcept {
  return time_handle_of(current_scheduler_or_die(what).driver(), what);
}

std::shared_ptr<TimeHandle> time_handle_of(const driver::Handle& driver, const char* what) noexcept {
  if (!driver.time) no_time_driver(what);
  return driver.time;
}

Clock* driver::Handle::clock() const noexcept { return time ? &time->clock() : nullptr; }

}  // namespace eddy::detail
