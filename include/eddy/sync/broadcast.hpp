// eddy::sync::broadcast: multi-producer, multi-consumer; every receiver sees every message.
//
//   auto [tx, rx] = eddy::sync::broadcast::channel<std::string>(16);
//   auto rx2 = tx.subscribe();                   // sees messages sent from now on
//   tx.send("hi");                               // Result<size_t>: how many receivers
//   auto m = co_await rx.recv();                 // Result<std::string> (T must be copyable)
//   if (!m) {
//     if (auto n = eddy::sync::lagged_count(m.error())) { /* missed *n messages; recv again */ }
//     else /* SyncError::closed: every sender is gone and nothing is left */;
//   }
//
// The channel keeps the last `capacity` messages. A receiver that falls further behind does not
// slow the senders: its next recv() fails with a lagged error whose value says how many
// messages it missed, and the recv() after that continues with the oldest message still kept.
// Messages are copied to each receiver; a message's slot is emptied as soon as every receiver
// that existed when it was sent has received it (or was dropped, or skipped it by lagging).
//
// send(v) fails with SyncError::closed (v dropped) when no receiver exists. When every sender is
// gone, receivers get the messages still buffered and then SyncError::closed.
//
// Thread safety: senders and receivers may be used from any thread (one receiver by one thread
// at a time).
//
// Cancellation: destroying a coroutine suspended in `co_await rx.recv()` loses nothing: the
// receiver's position is unchanged and the next recv() returns the same message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "eddy/detail/fatal.hpp"
#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/result.hpp"
#include "eddy/sync/detail/waiters.hpp"
#include "eddy/sync/error.hpp"

namespace eddy::sync::broadcast {

namespace detail {

struct RecvNode : sync::detail::Waiter {
  std::uint64_t tail = 0;  // the channel's tail when it queued
  bool queued = false;
};

template <class T>
struct Shared {
  using Lk = eddy::detail::sync::UniqueLock<eddy::detail::sync::Mutex>;
  explicit Shared(std::size_t cap) : slots(cap) {}

  struct Slot {
    std::optional<T> value;
    std::uint64_t pos = 0;   // the message's position, valid while value is set
    std::size_t unread = 0;  // receivers that still have to read it
  };

  // One receiver is done with the message at `pos` (read it, or was dropped before reading it).
  void done_with(std::uint64_t pos) noexcept {
    Slot& sl = slots[pos % slots.size()];
    if (sl.value && sl.pos == pos && --sl.unread == 0) sl.value.reset();
  }

  // Wakes every waiter queued before tail moved. Called and returns with lk held.
  void wake_all(Lk& lk) {
    sync::detail::WakeList wl;
    for (;;) {
      auto* n = waiters.front();
      if (n == nullptr || n->tail >= wake_mark) break;
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
  std::vector<Slot> slots;  // the message at position p lives in slots[p % capacity]
  std::uint64_t tail = 0;               // position of the next message
  std::uint64_t wake_mark = 0;          // waiters that queued with tail < wake_mark are woken
  std::size_t senders = 1;
  std::size_t receivers = 1;
  bool closed = false;
  sync::detail::WaiterList<RecvNode> waiters;
};

}  // namespace detail

template <class T>
class Receiver {
  using Lk = eddy::detail::sync::UniqueLock<eddy::detail::sync::Mutex>;

 public:
  Receiver(std::shared_ptr<detail::Shared<T>> s, std::uint64_t next) noexcept : s_(std::move(s)), next_(next) {}
  Receiver(Receiver&& o) noexcept : s_(std::move(o.s_)), next_(o.next_) {}
  Receiver& operator=(Receiver&& o) noexcept {
    if (this != &o) {
      reset();
      s_ = std::move(o.s_);
      next_ = o.next_;
    }
    return *this;
  }
  Receiver(const Receiver&) = delete;  // use resubscribe()
  ~Receiver() { reset(); }

  // A new receiver that sees messages sent from now on.
  Receiver resubscribe() const {
    Lk lk(s_->lock);
    ++s_->receivers;
    return Receiver(s_, s_->tail);
  }

  class [[nodiscard]] Recv : public eddy::detail::PollAwaiter<Recv, Result<T>> {
   public:
    explicit Recv(Receiver* r) noexcept : r_(r) {}
    Recv(const Recv&) = delete;
    Recv& operator=(const Recv&) = delete;
    ~Recv() {
      if (!registered_) return;
      Lk lk(r_->s_->lock);
      if (node_.queued) r_->s_->waiters.remove(node_);
      Waker stale = std::move(node_.waker);
      lk.unlock();
    }
    Poll<Result<T>> poll(const Waker& w) {
      auto& s = *r_->s_;
      Lk lk(s.lock);
      auto r = r_->try_recv_locked();
      if (r || r.error() != SyncError::empty) {
        if (node_.queued) {
          s.waiters.remove(node_);
          node_.queued = false;
        }
        return r;
      }
      if (!node_.queued) {
        node_.tail = s.tail;
        node_.queued = true;
        registered_ = true;
        s.waiters.push_back(node_);
      }
      node_.waker.clone_from(w);
      return Pending;
    }

   private:
    Receiver* r_;
    detail::RecvNode node_;
    bool registered_ = false;
  };

  // co_await: the next message; a lagged error (see lagged_count) when messages were missed;
  // SyncError::closed when every sender is gone and nothing is left. Cancel-safe.
  Recv recv() noexcept { return Recv(this); }
  // As recv(), but SyncError::empty instead of waiting.
  Result<T> try_recv() {
    Lk lk(s_->lock);
    return try_recv_locked();
  }

 private:
  Result<T> try_recv_locked() {
    auto& s = *s_;
    const std::uint64_t cap = s.slots.size();
    if (next_ < s.tail) {
      const std::uint64_t oldest = s.tail > cap ? s.tail - cap : 0;
      if (next_ < oldest) {
        const std::uint64_t missed = oldest - next_;
        next_ = oldest;
        return make_lagged_error(missed);
      }
      auto& sl = s.slots[next_ % cap];
      Result<T> r(T(*sl.value));
      s.done_with(next_);
      ++next_;
      return r;
    }
    if (s.closed) return SyncError::closed;
    return SyncError::empty;
  }
  void reset() noexcept {
    if (!s_) return;
    {
      Lk lk(s_->lock);
      --s_->receivers;
      // Messages it was counted for but never read.
      const std::uint64_t cap = s_->slots.size();
      const std::uint64_t oldest = s_->tail > cap ? s_->tail - cap : 0;
      for (std::uint64_t p = next_ < oldest ? oldest : next_; p < s_->tail; ++p) s_->done_with(p);
    }
    s_.reset();
  }

  std::shared_ptr<detail::Shared<T>> s_;
  std::uint64_t next_;
};

template <class T>
class Sender {
  using Lk = eddy::detail::sync::UniqueLock<eddy::detail::sync::Mutex>;

 public:
  explicit Sender(std::shared_ptr<detail::Shared<T>> s) noexcept : s_(std::move(s)) {}
  Sender(const Sender& o) : s_(o.s_) {
    Lk lk(s_->lock);
    ++s_->senders;
  }
  Sender(Sender&& o) noexcept = default;
  Sender& operator=(Sender o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Sender() {
    if (!s_) return;
    Lk lk(s_->lock);
    if (--s_->senders == 0) {
      s_->closed = true;
      s_->wake_mark = s_->tail + 1;
      s_->wake_all(lk);
    }
  }

  // Sends v to every current receiver; the number of receivers, or SyncError::closed (v
  // dropped) when there is none.
  Result<std::size_t> send(T v) {
    Lk lk(s_->lock);
    if (s_->receivers == 0) return SyncError::closed;
    auto& sl = s_->slots[s_->tail % s_->slots.size()];
    sl.value.emplace(std::move(v));
    sl.pos = s_->tail;
    sl.unread = s_->receivers;
    ++s_->tail;
    s_->wake_mark = s_->tail;
    const std::size_t n = s_->receivers;
    s_->wake_all(lk);
    return n;
  }
  Receiver<T> subscribe() {
    Lk lk(s_->lock);
    ++s_->receivers;
    return Receiver<T>(s_, s_->tail);
  }
  std::size_t receiver_count() const {
    Lk lk(s_->lock);
    return s_->receivers;
  }

 private:
  std::shared_ptr<detail::Shared<T>> s_;
};

// A channel keeping the last `capacity` (> 0) messages.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(std::size_t capacity) {
  if (capacity == 0) eddy::detail::fatal("eddy::sync::broadcast::channel: capacity must be > 0");
  auto s = std::make_shared<detail::Shared<T>>(capacity);
  return {Sender<T>(s), Receiver<T>(s, 0)};
}

}  // namespace eddy::sync::broadcast
