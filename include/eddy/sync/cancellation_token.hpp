// eddy::sync::CancellationToken: a shared "stop" signal with child tokens (tokio-util's).
//
//   CancellationToken stop;
//   auto child = stop.child_token();               // cancelled when stop is (not vice versa)
//   eddy::spawn(worker(child));                     // worker: co_await child.cancelled();
//   ...
//   stop.cancel();                                  // every waiter on stop and its children wakes
//
// Copies share one token. cancel() is idempotent and reaches every descendant token; a child
// created from a cancelled token is born cancelled. Cancelling a child leaves its parent alone.
// DropGuard cancels its token when destroyed (scope-bound shutdown).
//
// Thread safety: every member may be used from any thread.
//
// Cancellation: destroying a coroutine suspended in `co_await token.cancelled()` only stops
// waiting; the token is not affected.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/sync/detail/waiters.hpp"

namespace eddy::sync {

namespace detail {

struct TokenWaiter : Waiter {
  bool queued = false;
};

struct TokenState {
  Lock lock;
  eddy::detail::sync::Atomic<bool> cancelled{false};
  WaiterList<TokenWaiter> waiters;
  std::vector<std::weak_ptr<TokenState>> children;  // guarded by lock
  std::size_t prune_at = 8;

  void cancel() noexcept;
};

}  // namespace detail

class CancellationToken {
 public:
  CancellationToken() : s_(std::make_shared<detail::TokenState>()) {}

  // Cancels this token and all its descendants; wakes their waiters.
  void cancel() noexcept { s_->cancel(); }
  bool is_cancelled() const noexcept { return s_->cancelled.load(std::memory_order_acquire); }
  // A token cancelled whenever this one is (and that can be cancelled on its own).
  CancellationToken child_token() const;

  class [[nodiscard]] Cancelled : public eddy::detail::PollAwaiter<Cancelled, bool> {
   public:
    explicit Cancelled(std::shared_ptr<detail::TokenState> s) noexcept : s_(std::move(s)) {}
    Cancelled(const Cancelled&) = delete;
    Cancelled& operator=(const Cancelled&) = delete;
    ~Cancelled();
    Poll<bool> poll(const Waker& w) noexcept;
    void await_resume() noexcept {}

   private:
    std::shared_ptr<detail::TokenState> s_;
    detail::TokenWaiter node_;
    bool registered_ = false;
  };

  // co_await: completes once the token is cancelled (at once if it already is).
  Cancelled cancelled() const noexcept { return Cancelled(s_); }

  class DropGuard;
  // A guard that cancels this token when destroyed.
  DropGuard drop_guard() const noexcept;

  bool operator==(const CancellationToken& o) const noexcept { return s_ == o.s_; }

 private:
  explicit CancellationToken(std::shared_ptr<detail::TokenState> s) noexcept : s_(std::move(s)) {}
  std::shared_ptr<detail::TokenState> s_;
};

// Cancels the token when destroyed, unless disarm()ed.
class [[nodiscard]] CancellationToken::DropGuard {
 public:
  explicit DropGuard(CancellationToken t) noexcept : t_(std::move(t)) {}
  DropGuard(DropGuard&& o) noexcept : t_(std::move(o.t_)), armed_(std::exchange(o.armed_, false)) {}
  DropGuard(const DropGuard&) = delete;
  DropGuard& operator=(const DropGuard&) = delete;
  ~DropGuard() {
    if (armed_) t_.cancel();
  }
  CancellationToken disarm() noexcept {
    armed_ = false;
    return t_;
  }

 private:
  CancellationToken t_;
  bool armed_ = true;
};

inline CancellationToken::DropGuard CancellationToken::drop_guard() const noexcept { return DropGuard(*this); }

}  // namespace eddy::sync
