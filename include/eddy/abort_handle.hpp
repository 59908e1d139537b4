// AbortHandle: aborts a spawned task without owning its JoinHandle (tokio's AbortHandle).
//
// Made by JoinHandle::abort_handle(). Copyable, and usable from any thread: abort() marks the
// task cancelled and has its scheduler destroy its frame the next time it picks the task (at
// once if the task is idle); is_finished() is true once the task completed or was cancelled.
// Holding one keeps only the task's header alive, never its frame's objects: a finished or
// cancelled task's frame is already destroyed (its memory, which the header shares, is freed
// with the header: eddy/detail/task_frame.hpp). An empty (default-constructed or moved-from) handle
// does nothing.
#pragma once

#include <utility>

#include "eddy/detail/task_header.hpp"

namespace eddy {

class AbortHandle {
 public:
  AbortHandle() noexcept = default;
  // Takes a new reference to `task`.
  explicit AbortHandle(detail::TaskHeader* task) noexcept : task_(task) {
    if (task_) task_->ref();
  }
  AbortHandle(const AbortHandle& o) noexcept : AbortHandle(o.task_) {}
  AbortHandle(AbortHandle&& o) noexcept : task_(std::exchange(o.task_, nullptr)) {}
  AbortHandle& operator=(AbortHandle o) noexcept {
    std::swap(task_, o.task_);
    return *this;
  }
  ~AbortHandle() {
    if (task_) task_->unref();
  }

  // Requests cancellation (see the file comment). No effect on a finished task; idempotent.
  void abort() const noexcept {
    if (task_) task_->abort();
  }
  // True once the task has finished or been cancelled.
  bool is_finished() const noexcept { return task_ && task_->is_complete(); }

 private:
  detail::TaskHeader* task_ = nullptr;
};

}  // namespace eddy
