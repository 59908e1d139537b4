// SchedulerShared's owned-task list, the part of spawn, completion and shutdown that every
// scheduler kind shares. Invariant: a task is in the list (holding one reference) from its
// accepted spawn until complete_owned or destroy_owned takes it out; once close_owned has run,
// no task enters it again.
#include "runtime/scheduler.hpp"

namespace eddy::detail {

bool SchedulerShared::own_spawned(TaskHeader* task) noexcept {
  task->bind(std::static_pointer_cast<TaskScheduler>(std::static_pointer_cast<Scheduler>(shared_from_this())));
  {
    sync::LockGuard<sync::SpinLock> lock(owned_mutex_);
    if (!shutdown_.load(std::memory_order_relaxed)) {
      task->ref();  // the owned list's
      owned_.push_back(*task);
      return true;
    }
  }
  task->destroy_frame();
  task->set_complete(true);
  return false;
}

void SchedulerShared::complete_owned(TaskHeader* task, bool cancelled) noexcept {
  if (cancelled) task->destroy_frame();
  else task->finish_frame();
  task->set_complete(cancelled);
  bool was_owned;
  {
    sync::LockGuard<sync::SpinLock> lock(owned_mutex_);
    was_owned = owned_.remove(*task);
  }
  task->wake_join();
  if (was_owned) task->unref();
}

std::size_t SchedulerShared::alive_tasks() const noexcept {
  sync::LockGuard<sync::SpinLock> lock(owned_mutex_);
  return owned_.size();
}

void SchedulerShared::close_owned() noexcept {
  sync::LockGuard<sync::SpinLock> lock(owned_mutex_);
  shutdown_.store(true, std::memory_order_release);
}

void SchedulerShared::destroy_owned() noexcept {
  for (;;) {
    TaskHeader* t;
    {
      sync::LockGuard<sync::SpinLock> lock(owned_mutex_);
      t = owned_.pop_front();
    }
    if (t == nullptr) return;
    t->destroy_frame();
    t->set_complete(true);
    t->wake_join();
    t->unref();  // the owned list's
  }
}

}  // namespace eddy::detail
