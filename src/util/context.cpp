#include "eddy/detail/context.hpp"

#include <cstdio>

#include "eddy/detail/fatal.hpp"

namespace eddy::detail {

// Both build their message without allocating: these are crash paths.

void awaited_outside_task(const char* what) noexcept {
  static thread_local char buf[256];
  std::snprintf(buf, sizeof buf, "%s was awaited outside an eddy task (use Runtime::block_on or spawn)", what);
  fatal(buf);
}

void no_runtime(const char* what) noexcept {
  static thread_local char buf[256];
  std::snprintf(buf, sizeof buf, "%s called outside of an eddy runtime (use Runtime::block_on)", what);
  fatal(buf);
}

}  // namespace eddy::detail
