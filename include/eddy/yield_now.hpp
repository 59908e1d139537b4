// co_await eddy::yield_now(): lets every other ready task run, and the driver be polled, before
// this task continues.
//
// Cancellation: destroying the awaiting coroutine while it is yielded only drops the pending
// wake (the task's waker, held by the scheduler's deferred list, wakes a finished task: a no-op).
#pragma once

#include <coroutine>

#include "eddy/detail/context.hpp"
#include "eddy/detail/scheduler.hpp"
#include "eddy/detail/task_header.hpp"

namespace eddy {

namespace detail {
struct YieldNow {
  bool await_ready() noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    TaskHeader& task = current_task_or_die("eddy::yield_now()");
    task.set_resume_point(h);
    if (Scheduler* s = context().scheduler) s->defer(task.waker());
    else task.wake_by_ref();
  }
  void await_resume() noexcept {}
};
}  // namespace detail

inline detail::YieldNow yield_now() noexcept { return {}; }

}  // namespace eddy
