// LocalSetShared: the state of a LocalSet (include/eddy/local_set.hpp) that its tasks, and so
// their wakers, hold; shared across threads.
//
// Who touches what:
// - local_ (the run queue of tasks woken on the driving thread while the set polls) and the
//   polling itself: only the driving thread (owner_), and only inside local_set_poll.
// - remote_, closed_, driver_waker_: any thread, under mutex_.
// - owned_ (every unfinished task, one reference each): under owned_mutex_.
// Invariants: a task is polled only on owner_, the first thread that drove the set; once
// closed_ is set (the LocalSet is destroyed) no task is queued again, a late wake drops its
// reference, and every frame has been destroyed exactly once.
#pragma once

#include <cstddef>
#include <memory>
#include <thread>

#include "eddy/detail/linked_list.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/detail/task_header.hpp"
#include "eddy/waker.hpp"
#include "runtime/task_queue.hpp"

namespace eddy::detail {

class LocalSetShared final : public TaskScheduler, public std::enable_shared_from_this<LocalSetShared> {
 public:
  LocalSetShared() = default;
  LocalSetShared(const LocalSetShared&) = delete;
  LocalSetShared& operator=(const LocalSetShared&) = delete;
  ~LocalSetShared();

  // TaskScheduler: any thread.
  void schedule(TaskHeader* task) noexcept override;

  TaskHeader* spawn(TaskHeader* task);
  // See local_set_poll (include/eddy/local_set.hpp).
  bool poll(TaskHeader* main, const Waker& waker);
  // Destroys every unfinished task's frame; later wakes drop their reference.
  void close() noexcept;

 private:
  void run_task(TaskHeader* task) noexcept;
  void complete(TaskHeader* task, bool cancelled) noexcept;
  bool is_empty() noexcept;

  sync::Atomic<std::thread::id> owner_{};  // the driving thread; set by the first poll
  TaskQueue local_;        // the driving thread only, while it polls

  sync::Mutex mutex_;
  TaskQueue remote_;     // guarded by mutex_: tasks woken from elsewhere
  Waker driver_waker_;   // guarded by mutex_: the last poll's waker
  bool closed_ = false;  // guarded by mutex_

  sync::Mutex owned_mutex_;
  IntrusiveList<TaskHeader, OwnedTaskTag> owned_;  // guarded by owned_mutex_
  bool owned_closed_ = false;                       // guarded by owned_mutex_
};

// The set polling tasks on this thread right now (schedule() queues to local_ for it), or null.
LocalSetShared*& current_local_set() noexcept;

}  // namespace eddy::detail
