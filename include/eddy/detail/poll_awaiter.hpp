// PollAwaiter: turns a poll-style operation into a coroutine awaiter.
//
// `Derived` provides `Poll<R> poll(const Waker&)`. The first poll happens in await_suspend
// (a ready result resumes at once, without a trip through the scheduler). When it is pending,
// the awaiter becomes the task's leaf: every wake re-polls it, and the coroutine is resumed only
// once the poll is ready, so spurious wakes cost a poll and nothing else.
//
// The awaiter lives in the awaiting coroutine's frame; destroying the frame destroys it, and its
// members (a Readiness, say) unlink themselves from whatever they wait on.
#pragma once

#include <concepts>
#include <coroutine>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "eddy/detail/context.hpp"
#include "eddy/detail/task_header.hpp"
#include "eddy/poll.hpp"

namespace eddy::detail {

template <class Derived, class R>
class PollAwaiter {
 public:
  bool await_ready() noexcept { return false; }

  bool await_suspend(std::coroutine_handle<> h) noexcept {
    TaskHeader& task = current_task_or_die("an eddy awaitable");
    // An awaiter may offer a cheap first look, `bool wait_if_pending(const Waker&)`: true means
    // "not ready, and the waker is registered", exactly what a pending poll would have done, so
    // the task suspends without running the whole operation's poll (a read that waits for data
    // skips the read path). False means "maybe ready": poll for real.
    if constexpr (requires(Derived& d, const Waker& w) {
                    { d.wait_if_pending(w) } -> std::same_as<bool>;
                  }) {
      WakerRef waker(&task);
      if (static_cast<Derived*>(this)->wait_if_pending(waker.get())) {
        task.set_resume_point(h, &PollAwaiter::leaf_poll, this);
        return true;
      }
      // Maybe ready: the whole poll, out of line, so that this function stays small enough to
      // be inlined into the awaiting coroutine (the first look is its hot path).
      if (first_poll(&task)) return false;
      task.set_resume_point(h, &PollAwaiter::leaf_poll, this);
      return true;
    }
    if (try_poll(&task)) return false;
    task.set_resume_point(h, &PollAwaiter::leaf_poll, this);
    return true;
  }

  R await_resume() { return std::move(*result_); }

 private:
  bool try_poll(TaskHeader* task) noexcept {
    WakerRef waker(task);
    if constexpr (std::is_trivially_destructible_v<Poll<R>>) {
      // Built in place (guaranteed copy elision): the poll's result lands in result_ without
      // the temporary-and-copy an assignment costs. Nothing to destroy first.
      ::new (static_cast<void*>(&result_)) Poll<R>(static_cast<Derived*>(this)->poll(waker.get()));
    } else {
      result_ = static_cast<Derived*>(this)->poll(waker.get());
    }
    return result_.is_ready();
  }

  [[gnu::noinline]] bool first_poll(TaskHeader* task) noexcept { return try_poll(task); }

  static bool leaf_poll(void* self, TaskHeader* task) noexcept {
    return static_cast<PollAwaiter*>(self)->try_poll(task);
  }

  Poll<R> result_;
};

}  // namespace eddy::detail
