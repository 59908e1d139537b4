// The calling thread's runtime context: which runtime is current here (for spawn and the driver
// look-ups), which scheduler runs here (and its thread-owned core), which task is being polled,
// and that task's cooperative budget. Set by the scheduler (and by a runtime's enter() guard);
// read by awaiters, spawn, coop and the layers that look up the current runtime's drivers.
//
// Ownership: a Context belongs to its thread (thread_local); `core` is the running scheduler's
// thread-owned state and is non-null only while this thread runs that scheduler.
#pragma once

#include <cstdint>

namespace eddy::detail {

class TaskHeader;
class Scheduler;
class SchedulerCore;

struct Context {
  // The runtime current on this thread: the one running here, or one entered with
  // RuntimeHandle::enter(). Where spawn() and the driver look-ups go. Null outside both.
  Scheduler* handle = nullptr;
  // The scheduler running on this thread (inside block_on or a worker), or null. Only it may
  // touch `core`, and only it queues a wake locally.
  Scheduler* scheduler = nullptr;
  // That scheduler's thread-owned state (its kind casts it back), or null.
  SchedulerCore* core = nullptr;
  // The task being polled right now, or null.
  TaskHeader* task = nullptr;
  // Cooperative budget of the current task poll; kUnconstrained disables it.
  std::uint32_t budget = 0;
};

inline constexpr std::uint32_t kUnconstrained = UINT32_MAX;

// Constant-initialised, so access is a plain TLS load with no guard (it sits on every hot path:
// each await, each wake, each budget check).
inline constinit thread_local Context tls_context{nullptr, nullptr, nullptr, nullptr, kUnconstrained};

// The calling thread's context.
inline Context& context() noexcept { return tls_context; }

[[noreturn]] void awaited_outside_task(const char* what) noexcept;
// Aborts with "<what> called outside of an eddy runtime".
[[noreturn]] void no_runtime(const char* what) noexcept;

// The runtime current on this thread (running here or entered), aborting with a message naming
// `what` outside one.
inline Scheduler& current_scheduler_or_die(const char* what) noexcept {
  Scheduler* s = tls_context.handle;
  if (s == nullptr) no_runtime(what);
  return *s;
}

// The task being polled on this thread; aborts with a clear message outside a task (awaiting an
// eddy awaitable from anything but an eddy task is a programmer's bug).
inline TaskHeader& current_task_or_die(const char* what) noexcept {
  TaskHeader* t = tls_context.task;
  if (t == nullptr) awaited_outside_task(what);
  return *t;
}

}  // namespace eddy::detail
