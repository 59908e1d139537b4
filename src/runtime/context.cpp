#include "eddy/detail/context.hpp"

#include <cstdio>

#include "eddy/detail/fatal.hpp"

namespace eddy::detail {

void awaited_outside_task(const char* what) noexcept {
  // Build the message without allocating: this is a crash path.
  static thread_local char buf[256];
  std::snprintf(buf, sizeof buf, "%s was awaited outside an eddy task (use Runtime::block_on or spawn)", what);
  fatal(buf);
}

}  // namespace eddy::detail
