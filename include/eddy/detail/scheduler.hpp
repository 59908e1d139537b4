// Scheduler: the interface every scheduler kind implements (current_thread today; multi_thread
// and thread-per-core next), and all that tasks, wakers, the thread's Context and the layers
// above the runtime know of a scheduler.
//
// One Scheduler object per runtime, shared across threads (held by the RuntimeHandle, by every
// task, and so by every waker): it is the state shared across threads. The state owned by the
// thread that runs the scheduler is a SchedulerCore, reachable only through that thread's
// Context while it runs the scheduler; its type says which thread may touch it.
#pragma once

#include <coroutine>
#include <cstdint>
#include <utility>

#include "eddy/detail/driver_handle.hpp"
#include "eddy/detail/task_cell.hpp"
#include "eddy/detail/task_header.hpp"
#include "eddy/waker.hpp"

namespace eddy::detail {

// The base of a scheduler's thread-owned state (run queue, countdowns, deferred wakers). Only
// the thread running the scheduler has one in its Context; nothing else may touch it.
class SchedulerCore {
 public:
  // Which worker this core is (0 on the current-thread runtime): a file operation submits to
  // that worker's io_uring (src/io/uring/ring_set.hpp). Set once, before the core first runs.
  std::uint32_t worker_slot = 0;

 protected:
  SchedulerCore() = default;
  ~SchedulerCore() = default;
};

class Scheduler : public TaskScheduler {
 public:
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // schedule(task) (TaskScheduler): queues a woken task; any thread.

  // Registers a new task (a TaskCell<T> holding its root coroutine, one reference: the
  // JoinHandle's) with this scheduler and queues it. Returns `task`. Any thread. After shutdown
  // the task never runs: its frame is destroyed and it is complete (cancelled).
  virtual TaskHeader* spawn(TaskHeader* task) = 0;

  // spawn() for a Task<T>: the header with a place for its output.
  template <class T>
  TaskHeader* spawn_task(std::coroutine_handle<Promise<T>> root) {
    return spawn(TaskCell<T>::create(root));
  }

  // Wakes `waker` only after the driver has been polled (yield_now, an exhausted budget).
  // Called on a thread running this scheduler (the calling task's thread).
  virtual void defer(const Waker& waker) = 0;

  // The runtime's drivers. Immutable; any thread.
  const driver::Handle& driver() const noexcept { return driver_; }

 protected:
  explicit Scheduler(driver::Handle driver) noexcept : driver_(std::move(driver)) {}
  ~Scheduler() = default;

 private:
  const driver::Handle driver_;
};

}  // namespace eddy::detail
