// block_in_place(f): runs the blocking function `f` on the calling task's thread without
// stalling the other tasks of a multi-thread runtime (tokio's task::block_in_place).
//
//   std::string s = eddy::block_in_place([] { return read_config_blocking(); });
//
// On a worker of the multi-thread runtime, inside a task: the worker hands its core (its local
// queue, its LIFO task, its yielded tasks) to another thread first (a spare one, started when
// none waits), so the other tasks, their I/O and their timers go on while `f` runs. When `f`
// returns (or throws), the thread takes its core back if no other thread has taken it yet;
// otherwise the calling task goes on running on this thread, as a plain thread, until it next
// suspends: then it is queued like a task woken from outside, and may continue on any worker.
// So code after block_in_place may run on a different thread only from its next co_await on,
// exactly as after any co_await on this runtime kind.
//
// Everywhere else `f` simply runs in place, and the call returns its result:
// - on the current-thread runtime (tokio panics there instead): every other task of that
//   runtime waits for `f`, as it would if the task called `f` directly; use spawn_blocking to
//   keep them running;
// - outside any runtime, outside a task (on_thread_start, block_on's own thread), inside `f`
//   itself (a nested call), or while the runtime shuts down.
//
// `f` runs with an unconstrained cooperative budget; the task's budget is restored afterwards.
// Nothing is in flight across the call (it is not an awaitable): destroying the task later has
// nothing to do with it. The runtime's shutdown waits for an `f` that is still running (a
// thread inside `f` cannot be stopped).
#pragma once

#include <cstdint>
#include <utility>

#include "eddy/detail/context.hpp"

namespace eddy {

namespace detail {

class SchedulerCore;

// Hands the calling worker's core to another thread (see above). Restores, when destroyed, the
// budget, and takes the core back if it is still free.
class BlockInPlaceGuard {
 public:
  BlockInPlaceGuard() noexcept;
  ~BlockInPlaceGuard();
  BlockInPlaceGuard(const BlockInPlaceGuard&) = delete;
  BlockInPlaceGuard& operator=(const BlockInPlaceGuard&) = delete;

 private:
  Scheduler* scheduler_ = nullptr;  // non-null when the core was handed off
  SchedulerCore* core_ = nullptr;
  std::uint32_t budget_;
};

}  // namespace detail

template <class F>
decltype(auto) block_in_place(F&& f) {
  detail::BlockInPlaceGuard guard;
  return std::forward<F>(f)();
}

}  // namespace eddy
