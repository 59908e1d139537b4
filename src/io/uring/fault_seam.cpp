// The ring's fault seam (see fault_seam.hpp): the hook, and its lookup in a preloaded library.
#include "io/uring/fault_seam.hpp"

#include <dlfcn.h>

namespace eddy::io::uring {

namespace detail {
std::atomic<FaultHook> g_fault_hook{nullptr};
}  // namespace detail

FaultHook set_fault_hook_for_test(FaultHook hook) noexcept {
  return detail::g_fault_hook.exchange(hook, std::memory_order_relaxed);
}

namespace {

using CHook = int (*)(int);
CHook g_preloaded = nullptr;

int call_preloaded(EnterSite site) noexcept { return g_preloaded(static_cast<int>(site)); }

}  // namespace

void install_preloaded_fault_hook() noexcept {
  // Once per process (a static's initialisation is thread-safe): RTLD_DEFAULT sees an
  // LD_PRELOAD library's symbols; without one the lookup finds nothing and nothing changes.
  static const bool found = [] {
    g_preloaded = reinterpret_cast<CHook>(::dlsym(RTLD_DEFAULT, "eddy_fault_io_uring_enter"));
    return g_preloaded != nullptr;
  }();
  if (!found) return;
  FaultHook none = nullptr;
  detail::g_fault_hook.compare_exchange_strong(none, &call_preloaded, std::memory_order_relaxed);
}

}  // namespace eddy::io::uring
