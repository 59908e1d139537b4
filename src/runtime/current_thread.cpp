#include "runtime/current_thread.hpp"

#include "eddy/coop.hpp"
#include "eddy/detail/context.hpp"
#include "eddy/detail/fatal.hpp"

namespace eddy::detail {

CurrentThreadHandle::~CurrentThreadHandle() {
  // Late wakes from other threads after shutdown find complete tasks and queue nothing, but a
  // wake racing with shutdown may have queued one: drop its reference.
  while (TaskHeader* t = inject_.pop()) t->unref();
}

TaskHeader* CurrentThreadHandle::spawn(TaskHeader* task) {
  if (own_spawned(task)) task->wake_by_ref();
  return task;
}

void CurrentThreadHandle::schedule_remote(TaskHeader* task) noexcept {
  // The caller's reference to `task` becomes the queue's. Once the task is in inject_, the
  // runtime thread may run it and drop it, and with it the last reference to this object (a
  // runtime being destroyed meanwhile): keep this object alive until we are done with it.
  const std::shared_ptr<SchedulerShared> self = shared_from_this();
  {
    sync::LockGuard<sync::SpinLock> lock(inject_mutex_);
    if (!inject_closed_) {
      inject_.push(task);
      has_injected_.store(true, std::memory_order_seq_cst);
      task = nullptr;
    }
  }
  if (task != nullptr) {
    // Shut down: the task is complete (or about to be); drop the queue's reference.
    task->unref();
    return;
  }
  // Pairs with park(): either the runtime thread sees has_injected_ before it blocks, or we see
  // parked_ and wake it.
  if (parked_.load(std::memory_order_seq_cst)) {
    counters_.unparks.fetch_add(1, std::memory_order_relaxed);
    driver().unpark();
  }
}

void CurrentThreadHandle::defer(const Waker& waker) {
  // Only a task running on this scheduler's thread defers (yield_now, coop), and only through
  // its Context: the core is this thread's.
  static_cast<CurrentThreadCore*>(context().core)->deferred.push_back(waker);
}

bool CurrentThreadHandle::take_injected(CurrentThreadCore& core) noexcept {
  if (!has_injected_.load(std::memory_order_acquire)) return false;
  sync::LockGuard<sync::SpinLock> lock(inject_mutex_);
  const bool any = !inject_.empty();
  core.local.append(inject_);
  has_injected_.store(false, std::memory_order_relaxed);
  return any;
}

TaskHeader* CurrentThreadHandle::next_task(CurrentThreadCore& core) noexcept {
  // Every global_queue_interval tasks, look at the other threads' queue first, so that tasks
  // woken locally cannot starve it.
  if (--core.global_countdown == 0) {
    core.global_countdown = config_.global_queue_interval;
    take_injected(core);
  }
  if (TaskHeader* t = core.local.pop()) return t;
  if (take_injected(core)) return core.local.pop();
  return nullptr;
}

inline void CurrentThreadHandle::run_task(CurrentThreadCore& core, TaskHeader* task) noexcept {
  const std::uint32_t prev = task->transition_to_running();
  if ((prev & TaskHeader::kCancelled) != 0) {
    complete(task, true);
    task->unref();
    return;
  }
  // The context is not reset after the poll: the scheduler's own code between two tasks polls
  // nothing, and run_until resets it (no task, unconstrained budget) before anything else can
  // run on this thread: parking (wakers, timers) and returning from block_on.
  counters_.bump(counters_.polls);
  Context& ctx = context();
  ctx.task = task;
  ctx.budget = coop::kInitialBudget;
  task->run();

  // The frame is alive here: only complete() and shutdown() destroy it, never a poll.
  if (task->frame().done()) {
    complete(task, false);
    task->unref();
  } else if (task->transition_to_idle()) {
    core.local.push(task);  // woken or aborted while running: keeps the queue's reference
  } else {
    task->unref();
  }
}

RuntimeMetrics CurrentThreadHandle::metrics() const {
  RuntimeMetrics m;
  m.workers = 1;
  m.alive_tasks = alive_tasks();
  m.budget_forced_yields = budget_forced_yields();
  WorkerMetrics w;
  w.polls = counters_.polls.load(std::memory_order_relaxed);
  w.parks = counters_.parks.load(std::memory_order_relaxed);
  w.unparks = counters_.unparks.load(std::memory_order_relaxed);
  w.busy_duration = std::chrono::nanoseconds(counters_.busy_ns.load(std::memory_order_relaxed));
  m.worker.push_back(w);
  return m;
}

void CurrentThreadHandle::complete(TaskHeader* task, bool cancelled) noexcept { complete_owned(task, cancelled); }

void CurrentThreadHandle::park(CurrentThreadCore& core, bool block) {
  Context& ctx = context();
  ctx.task = nullptr;
  ctx.budget = kUnconstrained;
  if (block) {
    counters_.bump(counters_.parks);
    counters_.bump(counters_.busy_ns, static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now() - core.busy_since)
                                          .count()));
    parked_.store(true, std::memory_order_seq_cst);
    if (!has_injected_.load(std::memory_order_seq_cst)) core.driver.park();
    parked_.store(false, std::memory_order_relaxed);
    core.busy_since = std::chrono::steady_clock::now();
  } else {
    core.driver.park_timeout(std::chrono::nanoseconds(0));
  }
  // Tasks that yielded run only now, after the driver has been polled.
  if (!core.deferred.empty()) {
    core.deferred_swap.swap(core.deferred);
    for (Waker& w : core.deferred_swap) w.wake();
    core.deferred_swap.clear();
  }
}

void CurrentThreadHandle::run_until(CurrentThreadCore& core, TaskHeader& main) {
  Context& ctx = context();
  if (ctx.scheduler != nullptr) {
    fatal("block_on called from inside a runtime (it would block the runtime's own thread)");
  }
  Scheduler* const entered = ctx.handle;  // an enter() guard's, restored below
  ctx.handle = this;
  ctx.scheduler = this;
  ctx.core = &core;
  while (!main.is_complete()) {
    if (TaskHeader* t = next_task(core)) {
      run_task(core, t);
      if (--core.event_countdown == 0) {
        core.event_countdown = config_.event_interval;
        park(core, false);
      }
      continue;
    }
    // Nothing to run: block in the driver, unless yielded tasks are waiting for a driver poll.
    park(core, core.deferred.empty());
  }
  ctx.task = nullptr;
  ctx.budget = kUnconstrained;
  ctx.core = nullptr;
  ctx.scheduler = nullptr;
  ctx.handle = entered;
}

void CurrentThreadHandle::shutdown(CurrentThreadCore& core, std::chrono::nanoseconds blocking_wait) {
  close_owned();
  destroy_owned();
  while (TaskHeader* t = core.local.pop()) t->unref();
  {
    // A wake may have marked a task SCHEDULED before the loop above completed it, and queue it
    // only now: close the queue so that such late wakes drop their reference themselves.
    sync::LockGuard<sync::SpinLock> lock(inject_mutex_);
    inject_closed_ = true;
    core.local.append(inject_);
  }
  while (TaskHeader* t = core.local.pop()) t->unref();
  core.deferred.clear();
  core.driver.shutdown();
  // Last: cancels queued blocking functions, waits (up to blocking_wait) for running ones.
  blocking_pool_.shutdown(blocking_wait);
}


// --- CurrentThread ---------------------------------------------------------------------------

CurrentThread::~CurrentThread() { shutdown(BlockingPool::kWaitForever); }

void CurrentThread::block_on(TaskHeader& main) {
  if (context().scheduler != nullptr) {
    fatal("block_on called from inside a runtime (it would block the runtime's own thread)");
  }
  // The core travels to the thread that runs it and back: one thread at a time.
  std::unique_ptr<CurrentThreadCore> core = std::move(core_);
  if (!core) fatal("block_on called on a current-thread runtime that another thread is running");
  handle_->run_until(*core, main);
  core_ = std::move(core);
}

void CurrentThread::shutdown(std::chrono::nanoseconds blocking_wait) {
  if (!core_ || handle_->is_shutdown()) return;
  handle_->shutdown(*core_, blocking_wait);
}

}  // namespace eddy::detail
