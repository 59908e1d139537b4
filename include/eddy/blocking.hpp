// spawn_blocking: runs a blocking function (a syscall that cannot be made non-blocking, such as
// getaddrinfo, or heavy computation) on the runtime's blocking pool, so that the runtime's
// thread keeps running tasks meanwhile.
//
//   auto r = co_await eddy::spawn_blocking([] { return expensive(); });   // Result<R>
//
// The function is queued at once (before the co_await). The pool starts threads lazily, up to
// a limit (64 by default); a thread idle for 10 seconds exits; the runtime's shutdown waits for
// the functions already running and joins every thread. The result comes back through the
// awaiting task's Waker.
//
// co_await gives Result<R> (Result<void> for void functions): the value, or Error::shutdown
// when the runtime shut down before the function started (it never runs then). An exception
// thrown by the function is rethrown from the co_await.
//
// Cancellation: destroying the awaiting coroutine (or the handle) does not stop the function;
// a queued function still runs and a running one runs to completion; its result is dropped.
//
// Must be called on a runtime's thread (inside a task or block_on); aborts with a clear message
// otherwise.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/error.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"
#include "eddy/waker.hpp"

namespace eddy {

namespace detail {

// A unit of work for the blocking pool.
class BlockingJob {
 public:
  virtual ~BlockingJob() = default;
  // Runs the work on a pool thread.
  virtual void run() noexcept = 0;
  // The pool shut down before the work started: it never will.
  virtual void cancel() noexcept = 0;
};

// Queues `job` on the calling thread's runtime's blocking pool.
void submit_blocking(std::shared_ptr<BlockingJob> job);

// The state shared by a blocking function's job and its handle: the outcome and the waker of
// whoever waits for it (guarded by mutex_; the waker is called with the lock released).
template <class R>
class BlockingState : public BlockingJob {
 public:
  // Ready once the outcome is stored; otherwise keeps `waker` for the completion.
  bool poll(const Waker& waker) noexcept {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    if (done_) return true;
    waker_.clone_from(waker);
    return false;
  }

  // After poll() returned true. Rethrows the function's exception, moved out of the state: the
  // exception object's last reference is then dropped on the awaiting thread, not by whichever
  // thread frees the state. (Its count lives in libstdc++, which ThreadSanitizer does not see,
  // so a free on the pool's thread after the awaiter read e.what() looked like a race.)
  Result<R> take() {
    std::exception_ptr ex;
    {
      sync::LockGuard<sync::Mutex> lock(mutex_);
      if (!exception_) return std::move(*outcome_);
      ex = std::move(exception_);
      exception_ = nullptr;
    }
    std::rethrow_exception(std::move(ex));
  }

 protected:
  void complete(Result<R> outcome, std::exception_ptr ex) noexcept {
    Waker w;
    {
      sync::LockGuard<sync::Mutex> lock(mutex_);
      outcome_.emplace(std::move(outcome));
      exception_ = std::move(ex);
      done_ = true;
      w = std::move(waker_);
    }
    w.wake();
  }

 private:
  sync::Mutex mutex_;
  bool done_ = false;
  std::optional<Result<R>> outcome_;
  std::exception_ptr exception_;
  Waker waker_;
};

template <class R, class F>
class BlockingTask final : public BlockingState<R> {
 public:
  explicit BlockingTask(F f) : f_(std::move(f)) {}

  void run() noexcept override {
    std::exception_ptr ex;
    try {
      if constexpr (std::is_void_v<R>) {
        f_();
        this->complete(Result<void>(), nullptr);
      } else {
        this->complete(Result<R>(f_()), nullptr);
      }
      return;
    } catch (...) {
      ex = std::current_exception();
    }
    // Published after the handler ends, so this thread holds no reference to the exception
    // object once the awaiter can see it (see take()).
    this->complete(Result<R>(Error::cancelled), std::move(ex));
  }
  void cancel() noexcept override { this->complete(Result<R>(Error::shutdown), nullptr); }

 private:
  F f_;
};

}  // namespace detail

// What spawn_blocking returns; co_await it (once) for Result<R>.
template <class R>
class [[nodiscard]] BlockingHandle : public detail::PollAwaiter<BlockingHandle<R>, bool> {
 public:
  explicit BlockingHandle(std::shared_ptr<detail::BlockingState<R>> state) noexcept : state_(std::move(state)) {}

  Poll<bool> poll(const Waker& waker) noexcept {
    if (state_->poll(waker)) return true;
    return Pending;
  }
  Result<R> await_resume() { return state_->take(); }

 private:
  std::shared_ptr<detail::BlockingState<R>> state_;
};

template <class F>
auto spawn_blocking(F&& f) -> BlockingHandle<std::invoke_result_t<std::decay_t<F>&>> {
  using R = std::invoke_result_t<std::decay_t<F>&>;
  auto task = std::make_shared<detail::BlockingTask<R, std::decay_t<F>>>(std::forward<F>(f));
  detail::submit_blocking(task);
  return BlockingHandle<R>(std::move(task));
}

}  // namespace eddy
