// The current-thread scheduler: every task runs on the thread that calls block_on; tasks may be
// spawned and woken from any thread.
//
// Who owns what:
// - CurrentThreadHandle (shared: the RuntimeHandle, every task and so every waker hold it; any
//   thread): the injection queue (tasks spawned or woken from other threads) under its mutex,
//   the parked flag; and, from SchedulerShared, the owned-task list, the shutdown flag and the
//   blocking pool.
// - CurrentThreadCore (owned by the thread running block_on; reachable only through that
//   thread's Context while it runs): the local run queue, the deferred (yielded) wakers, the
//   countdowns, and the driver stack it parks on. Between block_on calls CurrentThread keeps it.
// - CurrentThread (owned by the Runtime): the core while no thread runs it; block_on, shutdown.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "eddy/detail/linked_list.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/detail/task_header.hpp"
#include "runtime/driver.hpp"
#include "runtime/scheduler.hpp"
#include "runtime/task_queue.hpp"

namespace eddy::detail {

class CurrentThreadCore final : public SchedulerCore {
 public:
  CurrentThreadCore(SchedulerConfig config, driver::Driver stack) noexcept
      : event_countdown(config.event_interval), driver(std::move(stack)) {}

  // Tasks woken on this thread (one reference each).
  TaskQueue local;
  // Yielded tasks: woken only after the driver has been polled.
  std::vector<Waker> deferred;
  std::vector<Waker> deferred_swap;
  // Countdowns to the next look at the injection queue and the next driver poll between tasks
  // (a decrement instead of a division per task). Both intervals are >= 1 (Builder checks).
  std::uint32_t global_countdown = 1;
  std::uint32_t event_countdown;
  driver::Driver driver;
  // When the thread last stopped parking (busy time is counted at each blocking park).
  std::chrono::steady_clock::time_point busy_since = std::chrono::steady_clock::now();
};

class CurrentThreadHandle final : public SchedulerShared {
 public:
  CurrentThreadHandle(SchedulerConfig config, driver::Handle driver,
                      std::size_t max_blocking_threads = BlockingPool::kDefaultMaxThreads) noexcept
      : SchedulerShared(std::move(driver), max_blocking_threads), config_(config) {}
  CurrentThreadHandle(const CurrentThreadHandle&) = delete;
  CurrentThreadHandle& operator=(const CurrentThreadHandle&) = delete;
  ~CurrentThreadHandle();

  // --- Scheduler: any thread ---
  void schedule(TaskHeader* task) noexcept override {
    // On the thread running this scheduler: its core's local queue (the hot path of a wake).
    Context& ctx = context();
    if (ctx.scheduler == this) [[likely]] {
      static_cast<CurrentThreadCore*>(ctx.core)->local.push(task);
      return;
    }
    schedule_remote(task);
  }
  TaskHeader* spawn(TaskHeader* task) override;
  // The thread running this scheduler only.
  void defer(const Waker& waker) override;

  // --- the thread running the scheduler, with its core ---
  void run_until(CurrentThreadCore& core, TaskHeader& main);
  void shutdown(CurrentThreadCore& core, std::chrono::nanoseconds blocking_wait);

  const SchedulerConfig& config() const noexcept { return config_; }
  RuntimeMetrics metrics() const override;

 private:
  // schedule() from another thread: the injection queue, and an unpark if needed. Out of line,
  // so that the local push stays a leaf function.
  [[gnu::noinline]] void schedule_remote(TaskHeader* task) noexcept;
  TaskHeader* next_task(CurrentThreadCore& core) noexcept;
  // Inlined into run_until, its only hot caller.
  [[gnu::always_inline]] inline void run_task(CurrentThreadCore& core, TaskHeader* task) noexcept;
  void complete(TaskHeader* task, bool cancelled) noexcept;
  void park(CurrentThreadCore& core, bool block);
  bool take_injected(CurrentThreadCore& core) noexcept;

  const SchedulerConfig config_;

  sync::SpinLock inject_mutex_;
  TaskQueue inject_;                        // guarded by inject_mutex_
  // Set (under inject_mutex_) once shutdown has drained inject_ for the last time: a wake that
  // arrives later drops its reference instead of queueing (nothing would ever drain it, and the
  // queued task would keep this object alive through its scheduler pointer: a leak).
  bool inject_closed_ = false;              // guarded by inject_mutex_
  sync::Atomic<bool> has_injected_{false};  // hint, read without the lock
  // True while the runtime thread is (about to be) blocked in the driver: wakes from other
  // threads unpark it only then.
  sync::Atomic<bool> parked_{false};
  // The one worker's counters (polls, parks, busy time); written by the runtime's thread.
  WorkerCounters counters_;

};

class CurrentThread final : public RuntimeScheduler {
 public:
  CurrentThread(std::shared_ptr<CurrentThreadHandle> handle, std::unique_ptr<CurrentThreadCore> core) noexcept
      : handle_(std::move(handle)), core_(std::move(core)) {}
  ~CurrentThread() override;

  std::shared_ptr<SchedulerShared> handle() const noexcept override { return handle_; }
  void block_on(TaskHeader& main) override;
  void shutdown(std::chrono::nanoseconds blocking_wait) override;

 private:
  std::shared_ptr<CurrentThreadHandle> handle_;
  // The core while no thread runs the scheduler; null while block_on has it.
  std::unique_ptr<CurrentThreadCore> core_;
};

}  // namespace eddy::detail
