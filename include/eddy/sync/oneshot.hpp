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

#include <atomic>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/result.hpp"
#include "eddy/sync/detail/waiters.hpp"
#include "eddy/sync/error.hpp"

namespace eddy::sync::oneshot {

namespace detail {

// The channel's state is one atomic word; no lock. Each cell (the value and the two wakers) has
// one writer at a time, and the word's bits say whose turn it is:
//
// - kValue: the sender wrote `value` and gave it up; from then on only the receiver touches it.
//   Set by one CAS that fails if kClosed is set, so a value is never published to a receiver
//   that has closed (a send after close takes its value back, and nobody else ever saw it).
// - kTxDone: the sender is finished (sent or dropped). It touches no cell after setting it.
// - kClosed: the receiver closed (or was dropped). It touches no cell but the value after it.
// - kRxWaker: `rx_waker` holds the receiver's waker. While set, the sender may take it (when it
//   sets kValue/kTxDone); the receiver rewrites the cell only after clearing the bit and seeing,
//   in the same RMW, that the sender had not finished yet.
// - kTxWaker: the same for `tx_waker` (the sender's closed() waker) and kClosed.
//
// Every RMW is acq_rel and every check an acquire load: a cell written before its bit is set is
// visible to whoever sees the bit. `refs` counts the two ends; the last one out deletes the
// channel (and with it a value sent but never received).
template <class T>
struct Shared {
  static constexpr std::uint32_t kRxWaker = 1u << 0;
  static constexpr std::uint32_t kValue = 1u << 1;
  static constexpr std::uint32_t kTxDone = 1u << 2;
  static constexpr std::uint32_t kClosed = 1u << 3;
  static constexpr std::uint32_t kTxWaker = 1u << 4;

  std::atomic<std::uint32_t> state{0};
  std::atomic<std::uint32_t> refs{2};
  std::optional<T> value;
  Waker rx_waker;
  Waker tx_waker;

  void release() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Stores `w` in the waker cell guarded by `bit`, unless `done` (the other side's "finished"
  // bits) is set first. Returns the state word seen last: the caller re-checks `done` in it.
  // Precondition: the caller's side owns the cell whenever `bit` is clear. While `bit` is set
  // the cell is not even read here (no will_wake shortcut): the other side may be moving the
  // waker out at that moment.
  std::uint32_t register_waker(Waker& cell, std::uint32_t bit, std::uint32_t done, const Waker& w) noexcept {
    std::uint32_t s = state.load(std::memory_order_acquire);
    if ((s & done) != 0) return s;
    if ((s & bit) != 0) {
      // Take the cell back. If the other side finished first, it may be reading the cell: leave it.
      s = state.fetch_and(~bit, std::memory_order_acq_rel);
      if ((s & done) != 0) return s;
    }
    cell.clone_from(w);
    return state.fetch_or(bit, std::memory_order_acq_rel);
  }
};

}  // namespace detail

template <class T>
class Sender {
  using S = detail::Shared<T>;

 public:
  explicit Sender(S* s) noexcept : s_(s) {}
  Sender(Sender&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Sender& operator=(Sender&& o) noexcept {
    if (this != &o) {
      drop();
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  ~Sender() { drop(); }

  // Delivers the value and consumes the sender's right to send. SyncError::closed when the
  // receiver is gone (the value is left in `v`), or when this sender was already used.
  Result<void> send(T&& v) { return send_impl(std::move(v), &v); }
  Result<void> send(const T& v) { return send_impl(v, static_cast<T*>(nullptr)); }

  // True once the receiver was dropped or closed.
  bool is_closed() const noexcept {
    return s_ == nullptr || (s_->state.load(std::memory_order_acquire) & S::kClosed) != 0;
  }

  class [[nodiscard]] Closed : public eddy::detail::PollAwaiter<Closed, bool> {
   public:
    explicit Closed(S* s) noexcept : s_(s) {}
    Poll<bool> poll(const Waker& w) noexcept {
      if (s_ == nullptr) return true;
      const std::uint32_t seen = s_->register_waker(s_->tx_waker, S::kTxWaker, S::kClosed, w);
      if ((seen & S::kClosed) != 0) return true;
      return Pending;
    }
    void await_resume() noexcept {}

   private:
    S* s_;
  };
  // co_await: completes when the receiver is dropped or closed.
  Closed closed() noexcept { return Closed(s_); }

 private:
  template <class U>
  Result<void> send_impl(U&& v, T* give_back) {
    if (s_ == nullptr) return SyncError::closed;
    std::uint32_t s = s_->state.load(std::memory_order_acquire);
    if ((s & S::kClosed) != 0) return SyncError::closed;
    s_->value.emplace(std::forward<U>(v));
    for (;;) {
      if ((s & S::kClosed) != 0) {
        // Closed after our check: the value was never published; hand it back.
        // (A type that cannot be move-assigned is lost in this race; every other send failure
        // leaves it untouched.)
        if constexpr (std::is_move_assignable_v<T>) {
          if (give_back != nullptr) *give_back = std::move(*s_->value);
        }
        s_->value.reset();
        return SyncError::closed;
      }
      if (s_->state.compare_exchange_weak(s, s | S::kValue | S::kTxDone, std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
        break;
      }
    }
    finish(s);
    return {};
  }

  // After setting kTxDone (state before it: `prev`): wake the receiver if it registered, and let
  // go of the channel.
  void finish(std::uint32_t prev) noexcept {
    if ((prev & (S::kRxWaker | S::kClosed)) == S::kRxWaker) {
      Waker w = std::move(s_->rx_waker);
      w.wake();
    }
    std::exchange(s_, nullptr)->release();
  }

  void drop() noexcept {
    if (s_ == nullptr) return;
    finish(s_->state.fetch_or(S::kTxDone, std::memory_order_acq_rel));
  }

  S* s_;
};

template <class T>
class Receiver {
  using S = detail::Shared<T>;

 public:
  explicit Receiver(S* s) noexcept : s_(s) {}
  Receiver(Receiver&& o) noexcept : s_(std::exchange(o.s_, nullptr)), taken_(o.taken_) {}
  Receiver& operator=(Receiver&& o) noexcept {
    if (this != &o) {
      drop();
      s_ = std::exchange(o.s_, nullptr);
      taken_ = o.taken_;
    }
    return *this;
  }
  ~Receiver() { drop(); }

  // Refuses the value: a later send fails, and a waiting tx.closed() completes. A value sent
  // before close() can still be received.
  void close() noexcept {
    if (s_ == nullptr) return;
    const std::uint32_t prev = s_->state.fetch_or(S::kClosed, std::memory_order_acq_rel);
    if ((prev & (S::kTxWaker | S::kTxDone | S::kClosed)) == S::kTxWaker) {
      Waker w = std::move(s_->tx_waker);
      w.wake();
    }
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
    if (s_ == nullptr || taken_) return Result<T>(SyncError::closed);
    std::uint32_t s = s_->state.load(std::memory_order_acquire);
    if ((s & (S::kTxDone | S::kClosed)) == 0 && w != nullptr) {
      s = s_->register_waker(s_->rx_waker, S::kRxWaker, S::kTxDone, *w);
    }
    if ((s & S::kValue) != 0) {
      // Published: the sender no longer touches the cell.
      Result<T> r(std::move(*s_->value));
      s_->value.reset();
      taken_ = true;
      return r;
    }
    // kClosed without kValue: any later send fails, so nothing can arrive.
    if ((s & (S::kTxDone | S::kClosed)) != 0) return Result<T>(SyncError::closed);
    return Pending;
  }

  void drop() noexcept {
    if (s_ == nullptr) return;
    close();
    std::exchange(s_, nullptr)->release();
  }

  S* s_;
  bool taken_ = false;  // the value was received: later receives report closed
};

template <class T>
std::pair<Sender<T>, Receiver<T>> channel() {
  auto* s = new detail::Shared<T>();  // refs = 2: one per end
  return {Sender<T>(s), Receiver<T>(s)};
}

}  // namespace eddy::sync::oneshot
