// Cooperative scheduling budget.
//
// Each task poll starts with a budget of 128 units. I/O operations that make progress consume
// one unit (AsyncFd::async_io, the poll-style readiness API, the socket types). When the budget
// is spent, the next such operation yields to the scheduler instead of completing, so a task on
// an always-ready socket cannot starve the others. Waiting for readiness (readable(),
// writable(), ready()) costs nothing.
#pragma once

#include <coroutine>

#include "eddy/detail/context.hpp"
#include "eddy/waker.hpp"

namespace eddy::coop {

inline constexpr unsigned kInitialBudget = 128;

// True when the current task has budget left (always true outside a task, or unconstrained).
inline bool has_budget_remaining() noexcept {
  const auto b = eddy::detail::context().budget;
  return b == eddy::detail::kUnconstrained || b > 0;
}

namespace detail {
// Defers `waker` to after the next driver poll (the budget ran out).
void budget_exhausted(const Waker& waker) noexcept;
// has_budget() found none: outside a task, refills the unconstrained budget and returns true;
// in a task, defers `waker` (budget_exhausted) and returns false.
bool budget_exhausted_or_refill(const Waker& waker) noexcept;
}  // namespace detail

// has_budget() is false when no unit is left; then `waker` has been deferred (it is woken after
// the scheduler next polls the driver) and the caller must return pending. Callers that know
// whether their operation made progress take the unit only then (consume_one), so a pending
// poll costs no budget; poll_proceed() does both at once.
inline bool has_budget(const Waker& waker) noexcept {
  if (eddy::detail::context().budget != 0) [[likely]] return true;
  return detail::budget_exhausted_or_refill(waker);
}
// Takes one unit; call only after has_budget() said yes in the same poll. No test for
// "unconstrained": outside a task the budget is UINT32_MAX, and if four billion operations
// ever drain it there, has_budget() refills it instead of deferring.
inline void consume_one() noexcept { --eddy::detail::context().budget; }

// Takes one unit of budget; false when none is left (see has_budget).
inline bool poll_proceed(const Waker& waker) noexcept {
  if (!has_budget(waker)) return false;
  consume_one();
  return true;
}

// Gives back one unit (an operation that took budget but made no progress).
inline void restore_one() noexcept {
  auto& budget = eddy::detail::context().budget;
  if (budget != eddy::detail::kUnconstrained) ++budget;
}

namespace detail {
// The awaiter behind consume_budget().
struct ConsumeBudget {
  bool await_ready() noexcept;
  bool await_suspend(std::coroutine_handle<> h) noexcept;
  void await_resume() noexcept {}
};
}  // namespace detail

// co_await consume_budget(): takes one unit, yielding first if the budget is spent. For
// compute loops that should play fair.
inline detail::ConsumeBudget consume_budget() noexcept { return {}; }

}  // namespace eddy::coop
