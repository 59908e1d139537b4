// JoinHandle<T>: the handle spawn() returns for a task.
//
// co_await it for the task's result: a Result<T> holding the value, or Error::cancelled when the
// task was aborted or its runtime shut down before it finished. An exception thrown by the task
// is rethrown from the co_await.
//
// The task's coroutine frame is destroyed the moment the task finishes (its output waits in the
// task's header), so holding a JoinHandle keeps nothing the task owned alive: a finished
// connection task's socket is closed even while its handle is kept. (The frame's memory block,
// which also holds the header, is freed when the last reference goes, as in tokio.)
//
// Dropping the handle detaches the task: it keeps running and its result is discarded.
// Cancellation: destroying a coroutine suspended in `co_await handle` only stops waiting; the
// task itself keeps running.
#pragma once

#include <coroutine>
#include <utility>

#include "eddy/abort_handle.hpp"
#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/detail/task_cell.hpp"
#include "eddy/detail/task_header.hpp"
#include "eddy/error.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"
#include "eddy/task.hpp"

namespace eddy {

namespace detail {
// Polls for completion; stores the JoinHandle's waker when not yet complete.
Poll<bool> poll_join(TaskHeader& task, const Waker& waker) noexcept;
}  // namespace detail

template <class T>
class [[nodiscard]] JoinHandle {
 public:
  // Adopts one reference to `task`, a TaskCell<T>.
  explicit JoinHandle(detail::TaskHeader* task) noexcept : task_(task) {}
  JoinHandle(JoinHandle&& o) noexcept : task_(std::exchange(o.task_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& o) noexcept {
    if (this != &o) {
      reset();
      task_ = std::exchange(o.task_, nullptr);
    }
    return *this;
  }
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;
  ~JoinHandle() { reset(); }

  // Requests cancellation. The task's frame is destroyed the next time its scheduler picks it
  // (at once if it is idle), so everything it was waiting on is released. No effect on a
  // finished task.
  void abort() noexcept {
    if (task_) task_->abort();
  }
  // True once the task has finished or been cancelled.
  bool is_finished() const noexcept { return task_ && task_->is_complete(); }

  // A handle that can abort the task (from any thread) without owning this JoinHandle.
  AbortHandle abort_handle() const noexcept { return AbortHandle(task_); }

  // Detaches without waiting.
  void detach() noexcept { reset(); }

  class Awaiter : public detail::PollAwaiter<Awaiter, bool> {
   public:
    explicit Awaiter(detail::TaskHeader* task) noexcept : task_(task) {}
    Poll<bool> poll(const Waker& waker) noexcept { return detail::poll_join(*task_, waker); }
    Result<T> await_resume() { return take_result<T>(*task_); }

   private:
    detail::TaskHeader* task_;
  };

  Awaiter operator co_await() const& noexcept { return Awaiter(task_); }

  // The finished task's result (see the class comment). Only after is_finished().
  Result<T> take() { return take_result<T>(*task_); }

  detail::TaskHeader* header() const noexcept { return task_; }

 private:
  template <class U>
  static Result<U> take_result(detail::TaskHeader& task) {
    if (task.is_cancelled()) return Error::cancelled;
    if constexpr (std::is_void_v<U>) {
      detail::TaskCell<U>::take(task);
      return {};
    } else {
      return detail::TaskCell<U>::take(task);
    }
  }

  void reset() noexcept {
    if (task_) std::exchange(task_, nullptr)->unref();
  }

  detail::TaskHeader* task_;
};

}  // namespace eddy
