// eddy::sync::Notify: wakes one task, or every waiting task, without sending data.
//
//   Notify n;
//   // waiter:                          // notifier (any thread):
//   co_await n.notified();              n.notify_one();
//
// notify_one() wakes the first waiter in FIFO order; with nobody waiting it stores one permit
// (at most one: several calls store one), and the next notified() completes at once.
// notify_waiters() wakes every task waiting at the time of the call and stores no permit.
// A Notified created (notified() called) before a notify_waiters() call completes even if it is
// first awaited afterwards, so "create, check the condition, await" never misses a wake-up:
//
//   auto wait = n.notified();
//   if (!ready()) co_await wait;
//
// Thread safety: every member may be called from any thread.
//
// Cancellation: destroying a coroutine suspended in `co_await n.notified()` removes its waiter.
// If notify_one() had already chosen that waiter and it had not yet resumed, the notification is
// not lost: it passes to the next waiter, or is stored as the permit. A notify_waiters()
// notification is simply dropped with the waiter.
#pragma once

#include <cstdint>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/sync/detail/waiters.hpp"

namespace eddy::sync {

class Notify {
 public:
  Notify() noexcept = default;
  Notify(const Notify&) = delete;
  Notify& operator=(const Notify&) = delete;
  ~Notify() = default;

  void notify_one() noexcept;
  void notify_waiters() noexcept;

  class [[nodiscard]] Notified : public eddy::detail::PollAwaiter<Notified, bool> {
   public:
    Notified(const Notified&) = delete;
    Notified& operator=(const Notified&) = delete;
    ~Notified();
    Poll<bool> poll(const Waker& w) noexcept;
    void await_resume() noexcept {}

   private:
    friend class Notify;
    enum class State : std::uint8_t { init, waiting, notified_one, notified_all, done };
    struct Node : detail::Waiter {
      std::uint64_t gen = 0;
      State state = State::init;
    };
    Notified(Notify* n, std::uint64_t gen) noexcept : n_(n) { node_.gen = gen; }
    Notify* n_;
    Node node_;
    bool registered_ = false;  // touched only by the awaiting task
  };

  // An awaitable that completes on the next notification (see the header comment).
  Notified notified() noexcept { return Notified(this, calls_.load(std::memory_order_acquire)); }

 private:
  void notify_one_locked(detail::WakeList& wl) noexcept;

  detail::Lock lock_;
  detail::WaiterList<Notified::Node> waiters_;
  bool permit_ = false;
  eddy::detail::sync::Atomic<std::uint64_t> calls_{0};  // notify_waiters() calls; written under lock_
};

}  // namespace eddy::sync
