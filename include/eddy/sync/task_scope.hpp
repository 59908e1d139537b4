// eddy::sync::scoped / TaskScope: a group of spawned tasks that cannot outlive its scope.
//
//   co_await eddy::sync::scoped([&](TaskScope& scope) -> Task<void> {
//     for (auto& c : conns) scope.spawn(handle(c));    // may borrow from the enclosing frame
//     co_await something_else();
//   });                                                 // returns only after every child ended
//
// scoped(body) runs body(scope), then waits until every task spawned into the scope has
// finished. If body throws, the children are aborted, awaited, and the exception is rethrown.
// A child's own exception is rethrown from scoped() (the first one joined) after all children
// have finished. Children are ordinary spawned tasks (they run on the runtime's threads).
//
// Cancellation: destroying the coroutine that awaits scoped() (a timeout, an aborted task)
// destroys the body's frame and aborts every child; a child's frame is then destroyed the next
// time its scheduler picks it (at once if it is idle), without running further, so children
// that borrow from the enclosing frame never run after it is gone on a current-thread runtime.
#pragma once

#include <exception>
#include <utility>

#include "eddy/sync/detail/config.hpp"
#include "eddy/sync/join_set.hpp"
#include "eddy/task.hpp"

namespace eddy::sync {

class TaskScope {
 public:
  TaskScope() = default;
  TaskScope(const TaskScope&) = delete;
  TaskScope& operator=(const TaskScope&) = delete;

  // Spawns `t` (on the current runtime) as a child of this scope.
  void spawn(Task<void> t) { set_.spawn(std::move(t)); }
  // Requests cancellation of every child still running.
  void abort_all() noexcept { set_.abort_all(); }
  std::size_t size() const noexcept { return set_.size(); }

 private:
  template <class F>
  friend Task<void> scoped(F body);
  JoinSet<void> set_;
};

template <class F>
EDDY_CORO_TEMPLATE Task<void> scoped(F body) {
  TaskScope scope;
  std::exception_ptr error;
  try {
    co_await body(scope);
  } catch (...) {
    error = std::current_exception();
    scope.abort_all();
  }
  for (;;) {
    std::optional<Result<void>> r;
    try {
      r = co_await scope.set_.join_next();
    } catch (...) {
      if (!error) error = std::current_exception();
      continue;
    }
    if (!r) break;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace eddy::sync
