#include "time/current.hpp"

#include <cstdio>

#include "eddy/detail/fatal.hpp"
#include "runtime/runtime_shared.hpp"
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
  RuntimeShared* rt = current_runtime();
  return rt != nullptr ? rt->unparker().time().get() : nullptr;
}

std::shared_ptr<TimeHandle> current_time_handle(const char* what) noexcept {
  RuntimeShared* rt = current_runtime();
  if (rt == nullptr) no_runtime(what);
  const auto& t = rt->unparker().time();
  if (!t) no_time_driver(what);
  return t;
}

std::shared_ptr<TimeHandle> time_handle_of(const RuntimeHandle& rt, const char* what) noexcept {
  const auto& t = rt.shared().unparker().time();
  if (!t) no_time_driver(what);
  return t;
}

}  // namespace eddy::detail
