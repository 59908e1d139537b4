// ChildTask: runs a Task<T>'s coroutine as a child of the task that polls it, without spawning.
//
// The child gets its own TaskHeader, so everything it awaits registers the child's waker; a
// child scheduler turns "schedule the child" into "wake the parent", and the parent's poll runs
// the child (making it the current task for the duration) when it has been woken. This is how
// eddy::time::timeout races an arbitrary Task against a timer inside one awaiter: whoever owns
// the ChildTask can destroy the child's frame at any suspension point (cancel()), which destroys
// every awaiter it is suspended in (they unlink themselves), exactly like aborting a task.
//
// Cost: one allocation per child (its scheduler) besides the Task's own frame, whose block
// holds the child's header (eddy/detail/task_frame.hpp).
// Single owner, polled from one thread at a time (the parent task's).
#pragma once

#include <coroutine>
#include <utility>

#include "eddy/waker.hpp"

namespace eddy::detail {

class TaskHeader;
class ChildScheduler;

class ChildTask {
 public:
  ChildTask() noexcept = default;
  // Takes ownership of the (not yet started) coroutine `root`.
  explicit ChildTask(std::coroutine_handle<> root);
  ChildTask(ChildTask&& o) noexcept
      : header_(std::exchange(o.header_, nullptr)), sched_(std::exchange(o.sched_, nullptr)), done_(o.done_) {}
  ChildTask& operator=(ChildTask&&) = delete;
  ChildTask(const ChildTask&) = delete;
  ChildTask& operator=(const ChildTask&) = delete;
  // Destroys the child's frame (cancelling it if it has not finished).
  ~ChildTask();

  // Runs the child if it was woken since the last poll (or never ran). True once its coroutine
  // has finished (its promise holds the result). `parent` is woken when the child is.
  bool poll(const Waker& parent) noexcept;
  // Destroys the child's frame now; poll() must not be called afterwards.
  void cancel() noexcept;

  bool done() const noexcept { return done_; }
  // The child's coroutine (valid until cancel() or destruction).
  std::coroutine_handle<> root() const noexcept;

 private:
  TaskHeader* header_ = nullptr;
  ChildScheduler* sched_ = nullptr;  // owned by the header
  bool done_ = false;
};

}  // namespace eddy::detail
