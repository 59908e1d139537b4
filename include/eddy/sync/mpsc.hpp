// eddy::sync::mpsc: multi-producer, single-consumer FIFO channels.
//
//   auto [tx, rx] = eddy::sync::mpsc::channel<Msg>(64);     // bounded: back-pressure
//   co_await tx.send(Msg{...});                              // waits while 64 are queued
//   while (auto m = co_await rx.recv()) handle(*m);          // ends with SyncError::closed
//
//   auto [utx, urx] = eddy::sync::mpsc::unbounded_channel<Msg>();
//   utx.send(Msg{...});                                      // never waits
//
// Senders are copyable (each copy counts); when the last one is destroyed, the receiver gets
// the messages still queued and then SyncError::closed. When the receiver is closed or
// destroyed, waiting and later sends fail with SyncError::closed. Every message a send reported
// as delivered is received exactly once (or destroyed with the receiver), in send order per
// sender.
//
// Bounded channels: capacity is a Semaphore of permits. send(v) takes a permit then queues v;
// reserve() takes the permit first and gives a Permit whose send(v) cannot fail or wait;
// try_send(v) fails with SyncError::full instead of waiting. The queue is a ring buffer that
// grows up to the capacity and is then reused: no allocation per message after warm-up.
// Waiting senders are served in FIFO order. send_timeout(v, d) waits at most d for a slot
// (eddy::Error::timed_out; v is dropped); to keep v on timeout, put reserve() under
// eddy::time::timeout yourself and send through the permit.
//
// Thread safety: senders may be used from any thread (blocking_send from threads outside any
// runtime); the receiver from one thread at a time.
//
// Cancellation:
// - rx.recv(): cancel-safe. Destroying the waiting coroutine loses no message; the next recv()
//   gets it.
// - tx.send(v): destroying the coroutine while it waits for capacity drops v (never queued) and
//   gives its place in the queue of senders up; a permit granted to it but not used is passed
//   on to the next sender.
// - tx.reserve(): as send, without a value to lose.
// - tx.send_timeout(v, d): as send; v lives in the returned Task's frame and goes with it.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "eddy/sync/detail/config.hpp"
#include "eddy/detail/fatal.hpp"
#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/result.hpp"
#include "eddy/sync/detail/ring.hpp"
#include "eddy/sync/detail/waiters.hpp"
#include "eddy/sync/error.hpp"
#include "eddy/sync/semaphore.hpp"
#include "eddy/task.hpp"
#include "eddy/time/timeout.hpp"

namespace eddy::sync::mpsc {

namespace detail {

struct ClosedWaiter : sync::detail::Waiter {
  bool queued = false;
};

template <class T>
struct Chan {
  explicit Chan(std::size_t cap) noexcept : capacity(cap), sem(cap) {}

  // Queues v unless the receiver is gone (then v is left as it was); wakes the receiver.
  template <class U>
  bool push(U&& v) {
    Waker w;
    {
      sync::detail::Guard g(lock);
      if (rx_closed) return false;
      queue.push(std::forward<U>(v), capacity);
      w = std::move(rx_waker);
    }
    w.wake();
    return true;
  }

  Poll<Result<T>> poll_recv(const Waker* w) {
    std::optional<T> got;
    {
      sync::detail::Guard g(lock);
      if (!queue.empty()) {
        got.emplace(queue.pop());
      } else {
        if (rx_closed || tx_count.load(std::memory_order_acquire) == 0) return Result<T>(SyncError::closed);
        if (w == nullptr) return Result<T>(SyncError::empty);
        rx_waker.clone_from(*w);
        return Pending;
      }
    }
    if (capacity != 0) sem.release(1);
    return Result<T>(std::move(*got));
  }

  void close_rx() noexcept {
    Waker stale;
    sync::detail::WakeList wl;
    lock.lock();
    rx_closed = true;
    stale = std::move(rx_waker);
    while (auto* w = closed_waiters.pop_front()) {
      w->queued = false;
      wl.push(std::move(w->waker));
      if (wl.full()) {
        lock.unlock();
        wl.wake_all();
        lock.lock();
      }
    }
    lock.unlock();
    wl.wake_all();
    if (capacity != 0) sem.close();
  }

  // Sender::closed(): ready once the receiver is closed or gone.
  bool poll_closed(ClosedWaiter& node, const Waker& w) noexcept {
    sync::detail::Guard g(lock);
    if (rx_closed) {
      if (node.queued) closed_waiters.remove(node);
      node.queued = false;
      return true;
    }
    node.waker.clone_from(w);
    if (!node.queued) {
      node.queued = true;
      closed_waiters.push_back(node);
    }
    return false;
  }
  void cancel_closed(ClosedWaiter& node) noexcept {
    Waker stale;
    sync::detail::Guard g(lock);
    if (node.queued) closed_waiters.remove(node);
    node.queued = false;
    stale = std::move(node.waker);
  }

  void add_sender() noexcept { tx_count.fetch_add(1, std::memory_order_relaxed); }
  void drop_sender() noexcept {
    if (tx_count.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    Waker w;
    {
      sync::detail::Guard g(lock);
      w = std::move(rx_waker);
    }
    w.wake();
  }

  sync::detail::Lock lock;
  sync::detail::Ring<T> queue;
  Waker rx_waker;
  sync::detail::WaiterList<ClosedWaiter> closed_waiters;
  bool rx_closed = false;
  eddy::detail::sync::Atomic<std::size_t> tx_count{1};
  const std::size_t capacity;  // 0: unbounded
  Semaphore sem;                // bounded channels' free slots
};

template <class T>
class SenderBase {
 public:
  explicit SenderBase(std::shared_ptr<Chan<T>> c) noexcept : c_(std::move(c)) {}
  SenderBase(const SenderBase& o) noexcept : c_(o.c_) {
    if (c_) c_->add_sender();
  }
  SenderBase(SenderBase&& o) noexcept = default;
  SenderBase& operator=(const SenderBase& o) noexcept {
    if (this != &o) *this = SenderBase(o);
    return *this;
  }
  SenderBase& operator=(SenderBase&& o) noexcept {
    if (this != &o) {
      reset();
      c_ = std::move(o.c_);
    }
    return *this;
  }
  ~SenderBase() { reset(); }

  // True once the receiver was closed or dropped.
  bool is_closed() const noexcept {
    if (!c_) return true;
    sync::detail::Guard g(c_->lock);
    return c_->rx_closed;
  }
  class [[nodiscard]] Closed : public eddy::detail::PollAwaiter<Closed, bool> {
   public:
    explicit Closed(Chan<T>* c) noexcept : c_(c) {}
    Closed(const Closed&) = delete;
    Closed& operator=(const Closed&) = delete;
    ~Closed() {
      if (registered_) c_->cancel_closed(node_);
    }
    Poll<bool> poll(const Waker& w) noexcept {
      if (c_->poll_closed(node_, w)) return true;
      registered_ = true;
      return Pending;
    }
    void await_resume() noexcept {}

   private:
    Chan<T>* c_;
    ClosedWaiter node_;
    bool registered_ = false;
  };
  // co_await: completes once the receiver is closed or destroyed (e.g. to stop producing).
  // Cancellation: destroying the waiting coroutine only stops waiting.
  Closed closed() noexcept { return Closed(c_.get()); }

  // Whether both senders feed the same channel.
  bool same_channel(const SenderBase& o) const noexcept { return c_ == o.c_; }

 protected:
  void reset() noexcept {
    if (c_) {
      c_->drop_sender();
      c_.reset();
    }
  }
  std::shared_ptr<Chan<T>> c_;
};

}  // namespace detail

template <class T>
class Receiver {
 public:
  explicit Receiver(std::shared_ptr<detail::Chan<T>> c) noexcept : c_(std::move(c)) {}
  Receiver(Receiver&&) noexcept = default;
  Receiver& operator=(Receiver&& o) noexcept {
    if (this != &o) {
      reset();
      c_ = std::move(o.c_);
    }
    return *this;
  }
  ~Receiver() { reset(); }

  class [[nodiscard]] Recv : public eddy::detail::PollAwaiter<Recv, Result<T>> {
   public:
    explicit Recv(detail::Chan<T>* c) noexcept : c_(c) {}
    Poll<Result<T>> poll(const Waker& w) { return c_->poll_recv(&w); }

   private:
    detail::Chan<T>* c_;
  };
  // co_await: the next message, or SyncError::closed once the channel is closed (every sender
  // dropped, or close() called) and empty. Cancel-safe.
  Recv recv() noexcept { return Recv(c_.get()); }
  class [[nodiscard]] RecvMany : public eddy::detail::PollAwaiter<RecvMany, std::size_t> {
   public:
    RecvMany(detail::Chan<T>* c, std::vector<T>* out, std::size_t limit) noexcept : c_(c), out_(out), limit_(limit) {}
    Poll<std::size_t> poll(const Waker& w) {
      std::size_t n = 0;
      {
        sync::detail::Guard g(c_->lock);
        while (n < limit_ && !c_->queue.empty()) {
          out_->push_back(c_->queue.pop());
          ++n;
        }
        if (n == 0) {
          if (limit_ == 0 || c_->rx_closed || c_->tx_count.load(std::memory_order_acquire) == 0) return std::size_t{0};
          c_->rx_waker.clone_from(w);
          return Pending;
        }
      }
      if (c_->capacity != 0) c_->sem.release(n);
      return n;
    }

   private:
    detail::Chan<T>* c_;
    std::vector<T>* out_;
    std::size_t limit_;
  };
  // co_await: appends up to `limit` queued messages to `out` (waiting for at least one) and
  // gives how many; 0 means the channel is closed and empty (or limit was 0). Cancel-safe.
  RecvMany recv_many(std::vector<T>& out, std::size_t limit) noexcept { return RecvMany(c_.get(), &out, limit); }

  // The next message now; SyncError::empty when none is queued, SyncError::closed as recv().
  Result<T> try_recv() { return *c_->poll_recv(nullptr); }
  // Blocks the calling thread (never a runtime thread) until a message or the close.
  Result<T> blocking_recv() {
    if (auto r = try_recv(); r || r.error() != SyncError::empty) return r;
    return sync::detail::block_on_poll([this](const Waker& w) { return c_->poll_recv(&w); });
  }
  // Stops the channel: later and waiting sends fail; messages already queued can still be
  // received.
  void close() noexcept { c_->close_rx(); }
  bool is_closed() const noexcept {
    sync::detail::Guard g(c_->lock);
    return c_->rx_closed || c_->tx_count.load(std::memory_order_acquire) == 0;
  }
  std::size_t size() const noexcept {
    sync::detail::Guard g(c_->lock);
    return c_->queue.size();
  }

 private:
  void reset() noexcept {
    if (!c_) return;
    c_->close_rx();
    // Destroy what nobody will receive now, not when the last sender goes.
    sync::detail::Ring<T> drop;
    {
      sync::detail::Guard g(c_->lock);
      while (!c_->queue.empty()) drop.push(c_->queue.pop());
    }
    c_.reset();
  }
  std::shared_ptr<detail::Chan<T>> c_;
};

template <class T>
class Sender;

// One reserved slot of a bounded channel: send(v) queues v at once and cannot fail (if the
// receiver went away meanwhile, v is dropped). Destroying an unused permit gives the slot back.
// Like tokio's Permit, which borrows its Sender: it must not outlive the Sender it came from.
template <class T>
class [[nodiscard]] Permit {
 public:
  Permit() noexcept = default;
  explicit Permit(detail::Chan<T>* c) noexcept : c_(c) {}
  Permit(Permit&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  Permit& operator=(Permit&& o) noexcept {
    if (this != &o) {
      reset();
      c_ = std::exchange(o.c_, nullptr);
    }
    return *this;
  }
  ~Permit() { reset(); }

  void send(T v) {
    auto* c = std::exchange(c_, nullptr);
    if (c != nullptr && !c->push(std::move(v))) c->sem.release(1);
  }

 private:
  void reset() noexcept {
    if (c_ != nullptr) std::exchange(c_, nullptr)->sem.release(1);
  }
  detail::Chan<T>* c_ = nullptr;  // must not outlive the Sender that reserved it
};

template <class T>
class OwnedPermit;
template <class T>
class ReserveOwned;

template <class T>
class Sender : public detail::SenderBase<T> {
  using Base = detail::SenderBase<T>;
  using Base::c_;
  friend class OwnedPermit<T>;
  friend class ReserveOwned<T>;

 public:
  using Base::Base;

  class [[nodiscard]] Send : public eddy::detail::PollAwaiter<Send, Result<void>> {
   public:
    Send(detail::Chan<T>* c, T v) : c_(c), v_(std::move(v)), op_(&c->sem, 1) {}
    Poll<Result<void>> poll(const Waker& w) {
      auto r = op_.poll(w);
      if (!r) return Pending;
      if (!*r) return Result<void>(SyncError::closed);
      if (!c_->push(std::move(v_))) {
        c_->sem.release(1);
        return Result<void>(SyncError::closed);
      }
      return Result<void>();
    }

   private:
    detail::Chan<T>* c_;
    T v_;
    sync::detail::SemAcquire op_;
  };

  class [[nodiscard]] Reserve : public eddy::detail::PollAwaiter<Reserve, Result<Permit<T>>> {
   public:
    explicit Reserve(detail::Chan<T>* c) noexcept : c_(c), op_(&c->sem, 1) {}
    Poll<Result<Permit<T>>> poll(const Waker& w) noexcept {
      auto r = op_.poll(w);
      if (!r) return Pending;
      if (!*r) return Result<Permit<T>>(SyncError::closed);
      return Result<Permit<T>>(Permit<T>(c_));
    }

   private:
    detail::Chan<T>* c_;
    sync::detail::SemAcquire op_;
  };

  // co_await: Result<void>; waits while the channel is full; SyncError::closed when the
  // receiver is gone (v is dropped). See the header for cancellation.
  Send send(T v) { return Send(c_.get(), std::move(v)); }
  // co_await: Result<Permit<T>>, a reserved slot; SyncError::closed when the receiver is gone.
  Reserve reserve() noexcept { return Reserve(c_.get()); }

  // co_await: Result<void>; like send(v) but gives up after `d` with eddy::Error::timed_out
  // (eddy::Error::shutdown if the time driver is gone). v is dropped when it was not queued.
  // The Sender must outlive the returned Task.
  template <class Rep, class Period>
  EDDY_CORO_TEMPLATE Task<Result<void>> send_timeout(T v, std::chrono::duration<Rep, Period> d) {
    auto permit = co_await eddy::time::timeout(d, reserve_task());
    if (!permit) co_return permit.error();
    if (!*permit) co_return permit->error();
    (*permit)->send(std::move(v));
    co_return Result<void>();
  }

  // Queues v now, or SyncError::full / SyncError::closed, leaving v untouched.
  Result<void> try_send(T&& v) { return try_send_impl(std::move(v)); }
  Result<void> try_send(const T& v) { return try_send_impl(v); }

  // Blocks the calling thread (never a runtime thread) until v is queued or the receiver is
  // gone (SyncError::closed; v is dropped).
  Result<void> blocking_send(T v) {
    if (c_->sem.try_acquire_raw(1)) {  // a free slot: no parking set-up
      if (!c_->push(std::move(v))) {
        c_->sem.release(1);
        return SyncError::closed;
      }
      return {};
    }
    sync::detail::SemAcquire op(&c_->sem, 1);
    auto r = sync::detail::block_on_poll([&op](const Waker& w) { return op.poll(w); });
    if (!r) return SyncError::closed;
    if (!c_->push(std::move(v))) {
      c_->sem.release(1);
      return SyncError::closed;
    }
    return {};
  }

  // Free slots right now, and the channel's capacity.
  std::size_t capacity() const noexcept { return c_->sem.available_permits(); }
  std::size_t max_capacity() const noexcept { return c_->capacity; }

 private:
  EDDY_CORO_TEMPLATE Task<Result<Permit<T>>> reserve_task() { co_return co_await reserve(); }

  template <class U>
  Result<void> try_send_impl(U&& v) {
    if (auto r = c_->sem.try_acquire_raw(1); !r) {
      return r.error() == SyncError::closed ? SyncError::closed : SyncError::full;
    }
    if (!c_->push(std::forward<U>(v))) {
      c_->sem.release(1);
      return SyncError::closed;
    }
    return {};
  }
};

// A reserved slot that owns its Sender (tokio's OwnedPermit): it can be moved into another task
// and outlive the place it was reserved from. send(v) queues v and gives the Sender back;
// release() gives the slot back and the Sender too; destroying it unused returns the slot.
template <class T>
class [[nodiscard]] OwnedPermit {
 public:
  explicit OwnedPermit(Sender<T> tx) noexcept : tx_(std::move(tx)) {}
  OwnedPermit(OwnedPermit&& o) noexcept : tx_(std::move(o.tx_)) {}
  OwnedPermit& operator=(OwnedPermit&&) = delete;
  OwnedPermit(const OwnedPermit&) = delete;
  ~OwnedPermit() {
    if (tx_.c_) tx_.c_->sem.release(1);
  }

  Sender<T> send(T v) && {
    Sender<T> tx = std::move(tx_);
    if (tx.c_ && !tx.c_->push(std::move(v))) tx.c_->sem.release(1);
    return tx;
  }
  Sender<T> release() && {
    Sender<T> tx = std::move(tx_);
    if (tx.c_) tx.c_->sem.release(1);
    return tx;
  }

 private:
  Sender<T> tx_;
};

template <class T>
class [[nodiscard]] ReserveOwned : public eddy::detail::PollAwaiter<ReserveOwned<T>, Result<OwnedPermit<T>>> {
 public:
  explicit ReserveOwned(Sender<T> tx) noexcept : tx_(std::move(tx)), op_(&tx_.c_->sem, 1) {}
  Poll<Result<OwnedPermit<T>>> poll(const Waker& w) noexcept {
    auto r = op_.poll(w);
    if (!r) return Pending;
    if (!*r) return Result<OwnedPermit<T>>(SyncError::closed);
    return Result<OwnedPermit<T>>(OwnedPermit<T>(std::move(tx_)));
  }

 private:
  Sender<T> tx_;  // before op_: the channel outlives the acquire
  sync::detail::SemAcquire op_;
};

// co_await: Result<OwnedPermit<T>> holding `tx`, or SyncError::closed (tx is then dropped).
// Cancellation: as Sender::reserve(); `tx` is dropped with the awaiting frame.
template <class T>
ReserveOwned<T> reserve_owned(Sender<T> tx) noexcept {
  return ReserveOwned<T>(std::move(tx));
}

template <class T>
class UnboundedSender : public detail::SenderBase<T> {
  using Base = detail::SenderBase<T>;
  using Base::c_;

 public:
  using Base::Base;

  // Queues v (never waits), or SyncError::closed when the receiver is gone, leaving v untouched.
  Result<void> send(T&& v) { return send_impl(std::move(v)); }
  Result<void> send(const T& v) { return send_impl(v); }

 private:
  template <class U>
  Result<void> send_impl(U&& v) {
    if (!c_ || !c_->push(std::forward<U>(v))) return SyncError::closed;
    return {};
  }
};

// A bounded channel holding at most `capacity` (> 0) messages.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity) {
  if (capacity == 0) eddy::detail::fatal("eddy::sync::mpsc::channel: capacity must be > 0");
  auto c = std::make_shared<detail::Chan<T>>(capacity);
  return {Sender<T>(c), Receiver<T>(c)};
}

template <class T>
std::pair<UnboundedSender<T>, Receiver<T>> unbounded_channel() {
  auto c = std::make_shared<detail::Chan<T>>(0);
  return {UnboundedSender<T>(c), Receiver<T>(c)};
}

}  // namespace eddy::sync::mpsc
