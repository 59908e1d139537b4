#include "eddy/detail/context.hpp"

#include <cstdio>

#include "eddy/detail/fatal.hpp"

namespace eddy::detail {

namespace {
thread_local Context tls_context{nullptr, nullptr, kUnconstrained};
}  // namespace

Context& context() noexcept { return tls_context; }

TaskHeader& current_task_or_die(const char* what) noexcept {
  TaskHeader* t = tls_context.task;
  if (t == nullptr) {
    // Build the message without allocating: this is a crash path.
    static thread_local char buf[256];
    std::snprintf(buf, sizeof buf, "%s was awaited outside an eddy task (use Runtime::block_on or spawn)", what);
    fatal(buf);
  }
  return *t;
}

}  // namespace eddy::detail
