// LocalSet and spawn_local: tasks that stay on one thread (tokio's task::LocalSet and
// task::spawn_local, for what tokio calls !Send futures: code holding thread-affine state).
//
//   eddy::LocalSet local;
//   int v = local.block_on(rt, [](...) -> eddy::Task<int> {
//     auto h = eddy::spawn_local(child());   // runs on this thread only
//     co_return *co_await h;
//   }(...));
//
// Invariant: every task of a LocalSet is only ever polled on the one thread that drives the
// set (the first to drive it; driving it from another thread later aborts with a message).
// Wakes may come from any thread (I/O, timers and the multi-thread runtime's workers): a wake
// from elsewhere goes through the set's mutex-guarded queue and wakes the driver.
//
// Driving the set:
// - `local.block_on(rt, task)`: on the calling thread, with `rt` entered (its I/O, timers and
//   spawn() are used by the set's tasks). On the current-thread runtime this is
//   rt.block_on(...) with the set driven inside it; on the multi-thread runtime the calling
//   thread runs only the set's tasks while the workers run the rest. Returns the task's value
//   (rethrowing its exception), like Runtime::block_on.
// - `co_await local.run_until(task)`: from a task of a current-thread runtime (or of another
//   LocalSet). From a task of the multi-thread runtime it aborts with a message: such a task may
//   move between workers, and the set with it; use block_on instead (tokio forbids it too).
// - `co_await local.run_all()`: the same, until every task of the set has finished.
// Each poll of the set runs at most kTasksPerTick tasks, then lets the thread's other tasks and
// its driver run.
//
// spawn_local(task): into the LocalSet that is polling the calling task; else, on the
// current-thread runtime, into that runtime (all its tasks stay on its thread anyway); else
// (outside both, or on a worker of the multi-thread runtime) it aborts with a message.
// JoinHandle and abort mean what they mean for spawn; a JoinHandle may be awaited anywhere.
//
// Destroying the LocalSet destroys the frame of every task it still has, once (their JoinHandles
// report Error::cancelled); wakes that arrive later are dropped. A set must not be destroyed
// while it is being driven (from one of its own tasks). Cancellation: destroying a coroutine
// suspended in `co_await local.run_until(t)` or `run_all()` only stops driving the set; its
// tasks stay in it, to run when it is driven again or be destroyed with it.
#pragma once

#include <coroutine>
#include <cstddef>
#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/detail/task_cell.hpp"
#include "eddy/join_handle.hpp"
#include "eddy/poll.hpp"
#include "eddy/runtime.hpp"
#include "eddy/task.hpp"

namespace eddy {

namespace detail {
class LocalSetShared;  // src/runtime/local_set.hpp

// Registers `task` (a TaskCell, one reference: the JoinHandle's) with the set and queues it.
TaskHeader* local_set_spawn(LocalSetShared& set, TaskHeader* task);
// spawn_local's routing (see the file comment).
TaskHeader* spawn_local_task(TaskHeader* task);
// Runs the set's ready tasks on this thread (at most kTasksPerTick); `waker` is woken when more
// are ready. True when `main` is complete (null: when the set has no task left).
bool local_set_poll(LocalSetShared& set, TaskHeader* main, const Waker& waker);
// Drives the set on this thread until `main` is complete: with the runtime `rt` entered, parks
// the thread between polls (LocalSet::block_on on the multi-thread runtime).
void local_set_drive_blocking(LocalSetShared& set, TaskHeader& main);
// A task that drives the set until `main` is complete (LocalSet::block_on on the
// current-thread runtime).
Task<void> local_set_drive(std::shared_ptr<LocalSetShared> set, TaskHeader* main);
}  // namespace detail

class LocalSet {
 public:
  static constexpr std::size_t kTasksPerTick = 61;

  LocalSet();
  ~LocalSet();
  LocalSet(const LocalSet&) = delete;
  LocalSet& operator=(const LocalSet&) = delete;

  // Adds `task` to the set; it runs when the set is next driven (from any thread).
  template <class T>
  JoinHandle<T> spawn_local(Task<T> task) {
    return JoinHandle<T>(detail::local_set_spawn(*shared_, detail::TaskCell<T>::create(task.release())));
  }

  template <class T>
  class [[nodiscard]] RunUntil : public detail::PollAwaiter<RunUntil<T>, bool> {
   public:
    RunUntil(detail::LocalSetShared* set, JoinHandle<T> main) noexcept : set_(set), main_(std::move(main)) {}
    Poll<bool> poll(const Waker& waker) noexcept {
      if (detail::local_set_poll(*set_, main_.header(), waker)) return true;
      return Pending;
    }
    T await_resume() { return LocalSet::take<T>(main_); }

   private:
    detail::LocalSetShared* set_;
    JoinHandle<T> main_;
  };

  class [[nodiscard]] RunAll : public detail::PollAwaiter<RunAll, bool> {
   public:
    explicit RunAll(detail::LocalSetShared* set) noexcept : set_(set) {}
    Poll<bool> poll(const Waker& waker) noexcept {
      if (detail::local_set_poll(*set_, nullptr, waker)) return true;
      return Pending;
    }

   private:
    detail::LocalSetShared* set_;
  };

  // co_await: runs the set (on the awaiting task's thread) until `task` finishes; its value.
  template <class T>
  RunUntil<T> run_until(Task<T> task) {
    return RunUntil<T>(shared_.get(), spawn_local(std::move(task)));
  }
  // co_await: runs the set until every task in it has finished.
  RunAll run_all() noexcept { return RunAll(shared_.get()); }

  // Runs `task` in the set, driving the set on the calling thread within `rt` (see above).
  template <class T>
  T block_on(Runtime& rt, Task<T> task) {
    JoinHandle<T> main = spawn_local(std::move(task));
    if (rt.handle().runtime_flavor() == RuntimeFlavor::current_thread) {
      rt.block_on(detail::local_set_drive(shared_, main.header()));
    } else {
      const EnterGuard guard = rt.enter();
      detail::local_set_drive_blocking(*shared_, *main.header());
    }
    return take<T>(main);
  }

 private:
  template <class T>
  static T take(JoinHandle<T>& main) {
    auto r = main.take();  // rethrows the task's exception
    if (!r) throw std::system_error(r.error(), "eddy::LocalSet");
    if constexpr (!std::is_void_v<T>) return std::move(*r);
  }

  std::shared_ptr<detail::LocalSetShared> shared_;
};

// Spawns a task that stays on the calling thread (see the file comment).
template <class T>
JoinHandle<T> spawn_local(Task<T> task) {
  return JoinHandle<T>(detail::spawn_local_task(detail::TaskCell<T>::create(task.release())));
}

}  // namespace eddy
