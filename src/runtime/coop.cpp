#include "eddy/coop.hpp"

#include "eddy/detail/context.hpp"
#include "eddy/detail/task_header.hpp"
#include "eddy/detail/scheduler.hpp"
#include "runtime/scheduler.hpp"

namespace eddy::coop {

using eddy::detail::context;
using eddy::detail::kUnconstrained;

namespace detail {

void budget_exhausted(const Waker& waker) noexcept {
  auto& ctx = context();
  if (ctx.scheduler != nullptr) {
    static_cast<eddy::detail::SchedulerShared*>(ctx.scheduler)->count_budget_forced_yield();
    ctx.scheduler->defer(waker);
  } else {
    waker.wake_by_ref();
  }
}

bool budget_exhausted_or_refill(const Waker& waker) noexcept {
  auto& ctx = context();
  if (ctx.task == nullptr) {
    ctx.budget = kUnconstrained;
    return true;
  }
  budget_exhausted(waker);
  return false;
}

bool ConsumeBudget::await_ready() noexcept {
  auto& ctx = context();
  if (ctx.budget == kUnconstrained) return true;
  if (ctx.budget > 0) {
    --ctx.budget;
    return true;
  }
  return false;
}

bool ConsumeBudget::await_suspend(std::coroutine_handle<> h) noexcept {
  auto& task = eddy::detail::current_task_or_die("eddy::coop::consume_budget()");
  task.set_resume_point(h);
  auto& ctx = context();
  if (ctx.scheduler != nullptr) {
    static_cast<eddy::detail::SchedulerShared*>(ctx.scheduler)->count_budget_forced_yield();
    ctx.scheduler->defer(task.waker());
  } else {
    task.wake_by_ref();
  }
  return true;
}

}  // namespace detail
}  // namespace eddy::coop
