#include "eddy/time/detail/child_task.hpp"

#include <memory>

#include "eddy/detail/context.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/detail/task_header.hpp"

namespace eddy::detail {

// "Scheduling" the child means waking its parent; the parent's poll then runs the child. Lives
// as long as the child's header (which holds it), so a late wake from another thread, even
// after the ChildTask is gone, finds it alive; and a complete child ignores wakes altogether.
class ChildScheduler final : public TaskScheduler {
 public:
  void schedule(TaskHeader* task) noexcept override {
    Waker parent;
    {
      sync::LockGuard<sync::Mutex> lock(mutex_);
      parent = parent_;
    }
    // The run-queue reference is not needed: the child stays SCHEDULED until its parent polls
    // it, and the ChildTask's own reference keeps the header alive while it can be polled.
    task->unref();
    parent.wake();
  }

  void set_parent(const Waker& w) noexcept {
    Waker old;
    sync::LockGuard<sync::Mutex> lock(mutex_);
    if (parent_.will_wake(w)) return;
    old = std::exchange(parent_, Waker(w));
  }

  void clear_parent() noexcept {
    Waker old;
    sync::LockGuard<sync::Mutex> lock(mutex_);
    old = std::move(parent_);
  }

 private:
  sync::Mutex mutex_;
  Waker parent_;  // guarded
};

ChildTask::ChildTask(std::coroutine_handle<> root) {
  auto sched = std::make_shared<ChildScheduler>();
  sched_ = sched.get();
  // Built in the prefix of root's block (root is a Task<T> frame: eddy/detail/task_frame.hpp),
  // so the child's header costs no allocation of its own.
  header_ = TaskHeader::emplace(root, nullptr, std::move(sched));
  // Starts SCHEDULED, so that the first poll runs it (no parent to wake yet).
  header_->wake_by_ref();
}

ChildTask::~ChildTask() {
  if (header_ == nullptr) return;
  cancel();
  sched_->clear_parent();
  header_->unref();
}

std::coroutine_handle<> ChildTask::root() const noexcept { return header_ ? header_->root() : nullptr; }

void ChildTask::cancel() noexcept {
  if (header_ == nullptr) return;
  // Complete first, so that wakes issued by the frame's destructors are ignored.
  header_->set_complete(!done_);
  header_->destroy_frame();
}

bool ChildTask::poll(const Waker& parent) noexcept {
  if (done_) return true;
  sched_->set_parent(parent);
  if ((header_->state() & TaskHeader::kScheduled) == 0) return false;  // not woken: still waiting
  header_->transition_to_running();
  Context& ctx = context();
  TaskHeader* const outer = ctx.task;
  ctx.task = header_;
  header_->run();
  ctx.task = outer;
  if (header_->root_done()) {
    done_ = true;
    return true;
  }
  // Woken while it ran: it is SCHEDULED again; have the parent polled again.
  if (header_->transition_to_idle()) parent.wake_by_ref();
  return false;
}

}  // namespace eddy::detail
