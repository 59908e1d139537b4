// The runtime layer's side of the scheduler seam (the tasks' side is Scheduler, in
// include/eddy/detail/scheduler.hpp):
//
// - SchedulerShared: what every kind's shared handle has beyond the Scheduler interface (the
//   blocking pool, the shutdown flag). Every Scheduler is one, so the runtime layer may
//   static_cast a Context's scheduler to it.
// - RuntimeScheduler: what the Runtime owns and drives, one per runtime, not shared: block_on
//   (runs the scheduler on the calling thread until a task completes) and shutdown.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "eddy/detail/context.hpp"
#include "eddy/detail/linked_list.hpp"
#include "eddy/detail/scheduler.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/runtime.hpp"
#include "eddy/runtime_metrics.hpp"
#include "runtime/blocking_pool.hpp"

namespace eddy::detail {

// Per-worker counters: written by the worker's thread only (relaxed load+store, no RMW), read
// anywhere (metrics).
struct WorkerCounters {
  sync::Atomic<std::uint64_t> polls{0};
  sync::Atomic<std::uint64_t> steals{0};           // tasks stolen by this worker
  sync::Atomic<std::uint64_t> steal_operations{0};  // successful steals
  sync::Atomic<std::uint64_t> parks{0};
  sync::Atomic<std::uint64_t> overflows{0};
  sync::Atomic<std::uint64_t> busy_ns{0};
  // The exception to the rule above: other threads wake the worker, so this one takes fetch_add.
  sync::Atomic<std::uint64_t> unparks{0};
  void bump(sync::Atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

struct SchedulerConfig {
  std::uint32_t event_interval = 61;         // tasks between two non-blocking driver polls
  std::uint32_t global_queue_interval = 31;  // tasks between two looks at the injection queue
};

class SchedulerShared : public Scheduler, public std::enable_shared_from_this<SchedulerShared> {
 public:
  // The threads behind spawn_blocking; shut down (joined) at the end of the runtime's shutdown.
  BlockingPool& blocking_pool() noexcept { return blocking_pool_; }
  bool is_shutdown() const noexcept { return shutdown_.load(std::memory_order_acquire); }
  // A snapshot of the scheduler's counters (any thread; not on any hot path).
  virtual RuntimeMetrics metrics() const { return RuntimeMetrics{}; }
  // Spawned tasks not yet finished or cancelled (the owned-task list's length).
  std::size_t alive_tasks() const noexcept;
  // A task poll was cut short by the cooperative budget (coop); any thread of the runtime.
  void count_budget_forced_yield() noexcept { budget_forced_yields_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t budget_forced_yields() const noexcept { return budget_forced_yields_.load(std::memory_order_relaxed); }
  // Which kind this is (RuntimeHandle::runtime_flavor).
  virtual RuntimeFlavor flavor() const noexcept { return RuntimeFlavor::current_thread; }

  // block_in_place, on the thread running this scheduler with `core`, inside a task's poll:
  // hands the core to another thread (true), or declines (false: the kind has no other thread
  // to run it, or it is shutting down), and the caller runs its function in place.
  virtual bool hand_off_core(SchedulerCore& /*core*/) noexcept { return false; }
  // After the function: takes `core` back if no other thread has taken it (then the context
  // is restored); otherwise the calling thread finishes the task's poll without a core.
  virtual void reclaim_core(SchedulerCore& /*core*/) noexcept {}

 protected:
  explicit SchedulerShared(driver::Handle driver,
                           std::size_t max_blocking_threads = BlockingPool::kDefaultMaxThreads) noexcept
      : Scheduler(std::move(driver)), blocking_pool_(max_blocking_threads) {}
  ~SchedulerShared() = default;

  // --- the owned-task list: every kind's spawned tasks, one reference each ----------------
  // spawn()'s common part: binds `task` to this scheduler and lists it. False once shut down:
  // then the task never runs (its frame is destroyed, its JoinHandle reports cancelled).
  bool own_spawned(TaskHeader* task) noexcept;
  // A task finished or was cancelled: its frame goes (a finished task's output moves into the
  // header first) before anyone can observe completion, so a JoinHandle that sees the task
  // complete knows that what the frame held is gone. Then it leaves the list.
  void complete_owned(TaskHeader* task, bool cancelled) noexcept;
  // Sets the shutdown flag under the list's lock: from here on own_spawned refuses.
  void close_owned() noexcept;
  // Shutdown: destroys every listed task's frame (JoinHandles report cancelled). A frame's
  // destructors may spawn (refused), wake or drop other tasks, so no lock is held while one
  // runs. Call after close_owned, with no task running.
  void destroy_owned() noexcept;

  sync::Atomic<bool> shutdown_{false};
  BlockingPool blocking_pool_;

 private:
  sync::Atomic<std::uint64_t> budget_forced_yields_{0};
  mutable sync::SpinLock owned_mutex_;
  IntrusiveList<TaskHeader, OwnedTaskTag> owned_;  // guarded by owned_mutex_; one ref each
};

// The runtime current on this thread (running here or entered), as the runtime layer sees it
// (null outside one).
inline SchedulerShared* current_scheduler_shared() noexcept {
  return static_cast<SchedulerShared*>(context().handle);
}
// The same, aborting with a message naming `what` outside a runtime.
inline SchedulerShared* current_scheduler_shared_or_die(const char* what) noexcept {
  return static_cast<SchedulerShared*>(&current_scheduler_or_die(what));
}

class RuntimeScheduler {
 public:
  virtual ~RuntimeScheduler() = default;
  // The shared handle (what RuntimeHandle holds).
  virtual std::shared_ptr<SchedulerShared> handle() const noexcept = 0;
  // Runs the scheduler on this thread until `main` completes. Not reentrant: called from
  // inside a runtime it aborts with a message.
  virtual void block_on(TaskHeader& main) = 0;
  // Destroys every task's frame, shuts the drivers down, then the blocking pool, waiting up to
  // `blocking_wait` for blocking functions still running (BlockingPool::shutdown). Idempotent.
  virtual void shutdown(std::chrono::nanoseconds blocking_wait) = 0;
};

}  // namespace eddy::detail
