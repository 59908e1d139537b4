// eddy::sync::watch: a single value that one sender updates and many receivers observe.
//
//   auto [tx, rx] = eddy::sync::watch::channel(Config{});
//   tx.send(new_config);                          // replaces the value, wakes every changed()
//   while (co_await rx.changed()) {               // Result<void>: SyncError::closed when tx is gone
//     Config c = *rx.borrow_and_update();
//   }
//
// Receivers see only the latest value: intermediate values sent between two looks are skipped,
// never queued. Each receiver remembers the version it last saw: changed() completes at once if
// a newer value is there, otherwise waits for the next send. A receiver copy starts from the
// version its original had seen; Sender::subscribe() gives one that has seen the current value.
//
// borrow() returns a Ref that holds the channel's lock while it lives: read the value and let the
// Ref go; do not co_await while holding it.
//
// send(v) fails with SyncError::closed (and stores nothing) when no receiver is left;
// send_replace(v) always stores and returns the old value; send_modify(f) edits in place.
//
// Thread safety: every member may be used from any thread.
//
// Cancellation: destroying a coroutine suspended in `co_await rx.changed()` only stops waiting;
// the receiver's seen version is unchanged, so the next changed() reports the same change.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/result.hpp"
#include "eddy/sync/detail/waiters.hpp"
#include "eddy/sync/error.hpp"

namespace eddy::sync::watch {

namespace detail {

struct ChangedNode : sync::detail::Waiter {
  std::uint64_t version = 0;  // the version current when it queued
  bool queued = false;
};

template <class T>
struct Shared {
  template <class U>
  explicit Shared(U&& v) : value(std::forward<U>(v)) {}

  // Wakes every queued waiter. Called with `lock` held (through lk); returns with it held.
  void wake_all(eddy::detail::sync::UniqueLock<eddy::detail::sync::Mutex>& lk) {
    sync::detail::WakeList wl;
    for (;;) {
      auto* n = waiters.front();
      if (n == nullptr || n->version >= version_for_waiters) break;
      waiters.pop_front();
      n->queued = false;
      wl.push(std::move(n->waker));
      if (wl.full()) {
        lk.unlock();
        wl.wake_all();
        lk.lock();
      }
    }
    lk.unlock();
    wl.wake_all();
    lk.lock();
  }

  eddy::detail::sync::Mutex lock;
  T value;
  std::uint64_t version = 0;
  // Waiters queued with version < this are woken; bumped by send and by close.
  std::uint64_t version_for_waiters = 0;
  bool closed = false;
  std::size_t receivers = 1;
  Waker tx_closed_waker;  // Sender::closed(), waiting for the last receiver to go
  sync::detail::WaiterList<ChangedNode> waiters;
};

}  // namespace detail

// Read access to the current value; holds the channel's lock while alive.
template <class T>
class Ref {
 public:
  Ref(eddy::detail::sync::UniqueLock<eddy::detail::sync::Mutex> lk, const T* v, bool changed) noexcept
      : lk_(std::move(lk)), v_(v), changed_(changed) {}
  const T& operator*() const noexcept { return *v_; }
  const T* operator->() const noexcept { return v_; }
  // Whether the value was new to this receiver when borrowed.
  bool has_changed() const noexcept { return changed_; }

 private:
  eddy::detail::sync::UniqueLock<eddy::detail::sync::Mutex> lk_;
  const T* v_;
  bool changed_;
};

template <class T>
class Receiver {
  using Lk = eddy::detail::sync::UniqueLock<eddy::detail::sync::Mutex>;

 public:
  Receiver(std::shared_ptr<detail::Shared<T>> s, std::uint64_t seen) noexcept : s_(std::move(s)), seen_(seen) {}
  Receiver(const Receiver& o) : s_(o.s_), seen_(o.seen_) {
    Lk lk(s_->lock);
    ++s_->receivers;
  }
  Receiver(Receiver&& o) noexcept : s_(std::move(o.s_)), seen_(o.seen_) {}
  Receiver& operator=(Receiver o) noexcept {
    std::swap(s_, o.s_);
    std::swap(seen_, o.seen_);
    return *this;
  }
  ~Receiver() {
    if (!s_) return;
    Waker w;
    {
      Lk lk(s_->lock);
      if (--s_->receivers == 0) w = std::move(s_->tx_closed_waker);
    }
    w.wake();
  }

  // The current value, without marking it seen.
  Ref<T> borrow() const {
    Lk lk(s_->lock);
    const bool changed = s_->version != seen_;
    const T* v = &s_->value;
    return Ref<T>(std::move(lk), v, changed);
  }
  // The current value, marking it seen.
  Ref<T> borrow_and_update() {
    Lk lk(s_->lock);
    const bool changed = s_->version != seen_;
    seen_ = s_->version;
    const T* v = &s_->value;
    return Ref<T>(std::move(lk), v, changed);
  }
  // Whether a value this receiver has not seen is there; SyncError::closed once the sender is
  // gone.
  Result<bool> has_changed() const {
    Lk lk(s_->lock);
    if (s_->closed) return SyncError::closed;
    return s_->version != seen_;
  }

  class [[nodiscard]] Changed : public eddy::detail::PollAwaiter<Changed, Result<void>> {
   public:
    explicit Changed(Receiver* r) noexcept : r_(r) {}
    Changed(const Changed&) = delete;
    Changed& operator=(const Changed&) = delete;
    ~Changed() {
      if (!registered_) return;
      Lk lk(r_->s_->lock);
      if (node_.queued) r_->s_->waiters.remove(node_);
      Waker stale = std::move(node_.waker);
      lk.unlock();
    }
    Poll<Result<void>> poll(const Waker& w) {
      auto& s = *r_->s_;
      Lk lk(s.lock);
      if (s.version != r_->seen_) {
        r_->seen_ = s.version;
        if (node_.queued) {
          s.waiters.remove(node_);
          node_.queued = false;
        }
        return Result<void>();
      }
      if (s.closed) return Result<void>(SyncError::closed);
      if (!node_.queued) {
        node_.version = s.version_for_waiters;
        node_.queued = true;
        registered_ = true;
        s.waiters.push_back(node_);
      }
      node_.waker.clone_from(w);
      return Pending;
    }

   private:
    Receiver* r_;
    detail::ChangedNode node_;
    bool registered_ = false;
  };

  // co_await: Result<void> once a value newer than the last seen one is there (marking it seen),
  // or SyncError::closed when the sender is gone and nothing new is left.
  Changed changed() noexcept { return Changed(this); }

 private:
  std::shared_ptr<detail::Shared<T>> s_;
  std::uint64_t seen_;
};

template <class T>
class Sender {
  using Lk = eddy::detail::sync::UniqueLock<eddy::detail::sync::Mutex>;

 public:
  explicit Sender(std::shared_ptr<detail::Shared<T>> s) noexcept : s_(std::move(s)) {}
  Sender(Sender&&) noexcept = default;
  Sender& operator=(Sender&& o) noexcept {
    if (this != &o) {
      close();
      s_ = std::move(o.s_);
    }
    return *this;
  }
  ~Sender() { close(); }

  // Stores v and wakes the receivers; SyncError::closed (nothing stored) with no receiver left.
  Result<void> send(T v) {
    Lk lk(s_->lock);
    if (s_->receivers == 0) return SyncError::closed;
    store(lk, std::move(v));
    return {};
  }
  // Stores v whether or not anyone listens; returns the previous value.
  T send_replace(T v) {
    Lk lk(s_->lock);
    T old = std::exchange(s_->value, std::move(v));
    bump(lk);
    return old;
  }
  // Calls f(T&) on the value under the lock, then notifies.
  template <class F>
  void send_modify(F&& f) {
    Lk lk(s_->lock);
    f(s_->value);
    bump(lk);
  }
  Ref<T> borrow() const {
    Lk lk(s_->lock);
    const T* v = &s_->value;
    return Ref<T>(std::move(lk), v, false);
  }
  // A new receiver that has seen the current value.
  Receiver<T> subscribe() {
    Lk lk(s_->lock);
    ++s_->receivers;
    return Receiver<T>(s_, s_->version);
  }
  std::size_t receiver_count() const {
    Lk lk(s_->lock);
    return s_->receivers;
  }
  bool is_closed() const { return receiver_count() == 0; }

  class [[nodiscard]] Closed : public eddy::detail::PollAwaiter<Closed, bool> {
   public:
    explicit Closed(detail::Shared<T>* s) noexcept : s_(s) {}
    Closed(const Closed&) = delete;
    Closed& operator=(const Closed&) = delete;
    ~Closed() {
      if (!registered_) return;
      Waker stale;
      Lk lk(s_->lock);
      stale = std::move(s_->tx_closed_waker);
      lk.unlock();
    }
    Poll<bool> poll(const Waker& w) {
      Lk lk(s_->lock);
      if (s_->receivers == 0) return true;
      s_->tx_closed_waker.clone_from(w);
      registered_ = true;
      return Pending;
    }
    void await_resume() noexcept {}

   private:
    detail::Shared<T>* s_;
    bool registered_ = false;
  };
  // co_await: completes once every receiver is gone (nobody would see another send).
  // Cancellation: destroying the waiting coroutine only stops waiting.
  Closed closed() noexcept { return Closed(s_.get()); }

 private:
  void store(Lk& lk, T&& v) {
    s_->value = std::move(v);
    bump(lk);
  }
  void bump(Lk& lk) {
    ++s_->version;
    s_->version_for_waiters = s_->version;
    s_->wake_all(lk);
  }
  void close() {
    if (!s_) return;
    {
      Lk lk(s_->lock);
      s_->closed = true;
      s_->version_for_waiters = s_->version + 1;
      s_->wake_all(lk);
    }
    s_.reset();
  }
  std::shared_ptr<detail::Shared<T>> s_;
};

template <class T>
std::pair<Sender<T>, Receiver<T>> channel(T initial) {
  auto s = std::make_shared<detail::Shared<T>>(std::move(initial));
  return {Sender<T>(s), Receiver<T>(s, 0)};
}

}  // namespace eddy::sync::watch
