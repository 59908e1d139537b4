// The fault seam of the ring: every place where eddy's ring calls into the kernel after setup
// (submit, get_events, wait_cqe, the register calls) first asks `injected_fault(site)` whether
// to fail as the kernel could, and with which errno. liburing 2.3 issues io_uring_enter with its
// own syscall instruction, so an LD_PRELOAD interposer cannot catch it; this seam is how
// tests/fault/fault_inject.cpp (through the C symbol below) and the in-process regression tests
// (set_fault_hook_for_test) reach it.
//
// Invariant: with no hook installed (every production run) `injected_fault` is one relaxed load
// of a global and one branch that is never taken, and no call into the kernel is changed. A hook
// returns 0 (make the real call) or the errno to fail with; a failed call has no effect.
#pragma once

#include <atomic>

namespace eddy::io::uring {

// Where the ring enters the kernel. Numbered for the C interface below: do not renumber.
enum class EnterSite : int {
  submit = 0,      // io_uring_submit (Ring::flush)
  get_events = 1,  // io_uring_get_events (Ring::drain, and the CQ-overflow flush in reap)
  wait_cqe = 2,    // io_uring_wait_cqe (Ring::shutdown)
  register_ = 3,   // io_uring_register: enable rings (claim), eventfd, provided-buffer ring
  park = 4,        // io_uring_wait_cqe_timeout (Ring::park: the driver parking on the ring)
};

// Returns 0 or an errno; called on the ring's owner thread. Must not call back into eddy.
using FaultHook = int (*)(EnterSite) noexcept;

namespace detail {
extern std::atomic<FaultHook> g_fault_hook;
}  // namespace detail

inline int injected_fault(EnterSite site) noexcept {
  const FaultHook h = detail::g_fault_hook.load(std::memory_order_relaxed);
  if (h == nullptr) [[likely]] return 0;
  return h(site);
}

// Installs `hook` (null: none) for every ring of the process; returns the previous one. For
// tests: install it before the runtime is built or while no ring is being driven.
FaultHook set_fault_hook_for_test(FaultHook hook) noexcept;

// Called by Ring::create: if the process has a C function
//   extern "C" int eddy_fault_io_uring_enter(int site);
// (the fault interposer, LD_PRELOAD) and no hook is installed, installs it. Looked up once.
void install_preloaded_fault_hook() noexcept;

}  // namespace eddy::io::uring
