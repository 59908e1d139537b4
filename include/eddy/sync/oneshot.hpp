// eddy::sync::oneshot: a channel for exactly one value, from one sender to one receiver.
//
//   auto [tx, rx] = eddy::sync::oneshot::channel<int>();
//   tx.send(42);                             // Result<void>: SyncError::closed if rx is gone
//   eddy::Result<int> v = co_await rx;       // SyncError::closed if tx was dropped unsent
//
// send() never waits. On failure (the receiver was dropped or closed) the value is not consumed:
// it is still in the caller's variable. The receiver can also poll without waiting (try_recv:
// SyncError::empty while nothing was sent) and close() itself to refuse the value.
// The sender can wait for the receiver to go away (co_await tx.closed()), e.g. to stop computing
// a result nobody wants.
//
// Thread safety: the sender and the receiver may be used from different threads.
//
// Cancellation: destroying a coroutine suspended in `co_await rx` loses nothing: a value sent
// later stays in the channel and the next `co_await rx` (or try_recv) gets it. Destroying one
// suspended in `co_await tx.closed()` only stops waiting.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/result.hpp"
#include "eddy/sync/detail/waiters.hpp"
#include "eddy/sync/error.hpp"

namespace eddy::sync::oneshot {

namespace detail {

template <class T>
struct Shared {
  sync::detail::Lock lock;
  std::optional<T> value;
  bool tx_gone = false;   // sent or dropped
  bool rx_gone = false;   // dropped or closed
  bool taken = false;     // the value was received
  Waker rx_waker;
  Waker tx_waker;
};

}  // namespace detail

template <class T>
class Sender {
 public:
  explicit Sender(std::shared_ptr<detail::Shared<T>> s) noexcept : s_(std::move(s)) {}
  Sender(Sender&&) noexcept = default;
  Sender& operator=(Sender&& o) noexcept {
    if (this != &o) {
      drop();
      s_ = std::move(o.s_);
    }
    return *this;
  }
  ~Sender() { drop(); }

  // Delivers the value and consumes the sender's right to send. SyncError::closed when the
  // receiver is gone (the value is left in `v`), or when this sender was already used.
  Result<void> send(T&& v) { return send_impl(std::move(v)); }
  Result<void> send(const T& v) { return send_impl(v); }

  // True once the receiver was dropped or closed.
  bool is_closed() const noexcept {
    if (!s_) return true;
    sync::detail::Guard g(s_->lock);
    return s_->rx_gone;
  }

  class [[nodiscard]] Closed : public eddy::detail::PollAwaiter<Closed, bool> {
   public:
    explicit Closed(detail::Shared<T>* s) noexcept : s_(s) {}
    Poll<bool> poll(const Waker& w) noexcept {
      if (s_ == nullptr) return true;
      sync::detail::Guard g(s_->lock);
      if (s_->rx_gone) return true;
      s_->tx_waker.clone_from(w);
      return Pending;
    }
    void await_resume() noexcept {}

   private:
    detail::Shared<T>* s_;
  };
  // co_await: completes when the receiver is dropped or closed.
  Closed closed() noexcept { return Closed(s_.get()); }

 private:
  template <class U>
  Result<void> send_impl(U&& v) {
    if (!s_) return SyncError::closed;
    Waker w;
    {
      sync::detail::Guard g(s_->lock);
      if (s_->rx_gone) return SyncError::closed;
      s_->value.emplace(std::forward<U>(v));
      s_->tx_gone = true;
      w = std::move(s_->rx_waker);
    }
    w.wake();
    s_.reset();
    return {};
  }
  void drop() noexcept {
    if (!s_) return;
    Waker w, stale;
    {
      sync::detail::Guard g(s_->lock);
      s_->tx_gone = true;
      w = std::move(s_->rx_waker);
      stale = std::move(s_->tx_waker);
    }
    w.wake();
    s_.reset();
  }

  std::shared_ptr<detail::Shared<T>> s_;
};

template <class T>
class Receiver {
 public:
  explicit Receiver(std::shared_ptr<detail::Shared<T>> s) noexcept : s_(std::move(s)) {}
  Receiver(Receiver&&) noexcept = default;
  Receiver& operator=(Receiver&& o) noexcept {
    if (this != &o) {
      close();
      s_ = std::move(o.s_);
    }
    return *this;
  }
  ~Receiver() { close(); }

  // Refuses the value: a later send fails, and a waiting tx.closed() completes. A value sent
  // before close() can still be received.
  void close() noexcept {
    if (!s_) return;
    Waker w, stale;
    {
      sync::detail::Guard g(s_->lock);
      s_->rx_gone = true;
      w = std::move(s_->tx_waker);
      stale = std::move(s_->rx_waker);
    }
    w.wake();
  }

  // The value if it was sent; SyncError::empty while the sender may still send; SyncError::closed
  // when the sender was dropped without sending (or the value was already received).
  Result<T> try_recv() {
    auto p = poll_recv(nullptr);
    if (p.is_pending()) return Result<T>(SyncError::empty);
    return std::move(*p);
  }

  class [[nodiscard]] Recv : public eddy::detail::PollAwaiter<Recv, Result<T>> {
   public:
    explicit Recv(Receiver* r) noexcept : r_(r) {}
    Poll<Result<T>> poll(const Waker& w) { return r_->poll_recv(&w); }

   private:
    Receiver* r_;
  };
  // co_await: the value, or SyncError::closed (see the header comment).
  Recv operator co_await() noexcept { return Recv(this); }

  // Blocks the calling thread (not a runtime thread) until the value arrives.
  Result<T> blocking_recv() {
    return sync::detail::block_on_poll([this](const Waker& w) { return poll_recv(&w); });
  }

 private:
  Poll<Result<T>> poll_recv(const Waker* w) {
    if (!s_) return Result<T>(SyncError::closed);
    sync::detail::Guard g(s_->lock);
    if (s_->value) {
      Result<T> r(std::move(*s_->value));
      s_->value.reset();
      s_->taken = true;
      return r;
    }
    if (s_->tx_gone || s_->taken || s_->rx_gone) return Result<T>(SyncError::closed);
    if (w == nullptr) return Pending;
    s_->rx_waker.clone_from(*w);
    return Pending;
  }

  std::shared_ptr<detail::Shared<T>> s_;
};

template <class T>
std::pair<Sender<T>, Receiver<T>> channel() {
  auto s = std::make_shared<detail::Shared<T>>();
  // Braced initialisation runs left to right: the sender copies, then the receiver takes `s`.
  return {Sender<T>(s), Receiver<T>(std::move(s))};
}

}  // namespace eddy::sync::oneshot
