// eddy::sync::RwLock<T>: an async reader-writer lock owning its T, fair (FIFO).
//
//   RwLock<Config> cfg;
//   { auto r = co_await cfg.read();  use(*r); }        // many readers at once
//   { auto w = co_await cfg.write(); w->x = 1; }       // one writer, no readers
//
// Built on a Semaphore of max_readers permits: a reader takes one, a writer takes all of them.
// Requests are served in arrival order, so a waiting writer holds back readers that arrive
// after it (no writer starvation), and a reader arriving behind a waiting writer waits even if
// other readers hold the lock. A write guard can be downgraded to a read guard without letting
// a writer in between.
//
// Thread safety: any thread may lock and unlock; guards may be destroyed on another thread.
//
// Cancellation: destroying a coroutine suspended in `co_await l.read()` / `co_await l.write()`
// gives up its place in the queue and returns every permit it had been assigned (a writer
// collects permits as readers leave; a lock handed to it before it resumed passes on). Readers
// queued behind a cancelled writer are woken if they can now proceed.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/result.hpp"
#include "eddy/sync/semaphore.hpp"

namespace eddy::sync {

template <class T>
class RwLock;

template <class T>
class [[nodiscard]] RwLockReadGuard {
 public:
  explicit RwLockReadGuard(RwLock<T>* l) noexcept : l_(l) {}
  RwLockReadGuard(RwLockReadGuard&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
  RwLockReadGuard& operator=(RwLockReadGuard&& o) noexcept {
    if (this != &o) {
      unlock();
      l_ = std::exchange(o.l_, nullptr);
    }
    return *this;
  }
  ~RwLockReadGuard() { unlock(); }
  const T& operator*() const noexcept { return l_->value_; }
  const T* operator->() const noexcept { return &l_->value_; }
  void unlock() noexcept {
    if (l_ != nullptr) std::exchange(l_, nullptr)->sem_.release(1);
  }

 private:
  RwLock<T>* l_;
};

template <class T>
class [[nodiscard]] RwLockWriteGuard {
 public:
  explicit RwLockWriteGuard(RwLock<T>* l) noexcept : l_(l) {}
  RwLockWriteGuard(RwLockWriteGuard&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
  RwLockWriteGuard& operator=(RwLockWriteGuard&& o) noexcept {
    if (this != &o) {
      unlock();
      l_ = std::exchange(o.l_, nullptr);
    }
    return *this;
  }
  ~RwLockWriteGuard() { unlock(); }
  T& operator*() const noexcept { return l_->value_; }
  T* operator->() const noexcept { return &l_->value_; }
  void unlock() noexcept {
    if (l_ != nullptr) {
      auto* l = std::exchange(l_, nullptr);
      l->sem_.release(l->max_readers_);
    }
  }
  // Turns this write lock into a read lock atomically (no writer can get in between); readers
  // waiting at the head of the queue may join.
  RwLockReadGuard<T> downgrade() && noexcept {
    auto* l = std::exchange(l_, nullptr);
    l->sem_.release(l->max_readers_ - 1);
    return RwLockReadGuard<T>(l);
  }

 private:
  RwLock<T>* l_;
};

// A read or write guard holding a reference to a shared RwLock (for a guard moved into a
// spawned task). kWrite tells which.
template <class T, bool kWrite>
class [[nodiscard]] OwnedRwLockGuard {
 public:
  explicit OwnedRwLockGuard(std::shared_ptr<RwLock<T>> l) noexcept : l_(std::move(l)) {}
  OwnedRwLockGuard(OwnedRwLockGuard&&) noexcept = default;
  OwnedRwLockGuard& operator=(OwnedRwLockGuard&& o) noexcept {
    if (this != &o) {
      unlock();
      l_ = std::move(o.l_);
    }
    return *this;
  }
  ~OwnedRwLockGuard() { unlock(); }
  std::conditional_t<kWrite, T&, const T&> operator*() const noexcept { return l_->value_; }
  std::conditional_t<kWrite, T*, const T*> operator->() const noexcept { return &l_->value_; }
  void unlock() noexcept {
    if (l_) {
      l_->sem_.release(kWrite ? l_->max_readers_ : 1);
      l_.reset();
    }
  }
  const std::shared_ptr<RwLock<T>>& lock() const noexcept { return l_; }

 private:
  std::shared_ptr<RwLock<T>> l_;
};

template <class T>
using OwnedRwLockReadGuard = OwnedRwLockGuard<T, false>;
template <class T>
using OwnedRwLockWriteGuard = OwnedRwLockGuard<T, true>;

template <class T>
class RwLock {
 public:
  static constexpr std::size_t kDefaultMaxReaders = UINT32_MAX >> 3;

  // A lock admitting at most `max_readers` (> 0) readers at once.
  explicit RwLock(T value = T(), std::size_t max_readers = kDefaultMaxReaders)
      : max_readers_(max_readers), sem_(max_readers), value_(std::move(value)) {}
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  class [[nodiscard]] Read : public eddy::detail::PollAwaiter<Read, RwLockReadGuard<T>> {
   public:
    explicit Read(RwLock* l) noexcept : l_(l), op_(&l->sem_, 1) {}
    Poll<RwLockReadGuard<T>> poll(const Waker& w) noexcept {
      if (!op_.poll(w)) return Pending;
      return RwLockReadGuard<T>(l_);
    }

   private:
    RwLock* l_;
    detail::SemAcquire op_;
  };

  class [[nodiscard]] Write : public eddy::detail::PollAwaiter<Write, RwLockWriteGuard<T>> {
   public:
    explicit Write(RwLock* l) noexcept : l_(l), op_(&l->sem_, l->max_readers_) {}
    Poll<RwLockWriteGuard<T>> poll(const Waker& w) noexcept {
      if (!op_.poll(w)) return Pending;
      return RwLockWriteGuard<T>(l_);
    }

   private:
    RwLock* l_;
    detail::SemAcquire op_;
  };

  template <bool kWrite>
  class [[nodiscard]] LockOwned : public eddy::detail::PollAwaiter<LockOwned<kWrite>, OwnedRwLockGuard<T, kWrite>> {
   public:
    explicit LockOwned(std::shared_ptr<RwLock> l) noexcept
        : l_(std::move(l)), op_(&l_->sem_, kWrite ? l_->max_readers_ : 1) {}
    Poll<OwnedRwLockGuard<T, kWrite>> poll(const Waker& w) noexcept {
      if (!op_.poll(w)) return Pending;
      return OwnedRwLockGuard<T, kWrite>(l_);
    }

   private:
    std::shared_ptr<RwLock> l_;  // before op_: outlives it
    detail::SemAcquire op_;
  };

  // co_await: owned guards that keep *l alive. Cancellation as read() / write().
  static LockOwned<false> read_owned(std::shared_ptr<RwLock> l) noexcept { return LockOwned<false>(std::move(l)); }
  static LockOwned<true> write_owned(std::shared_ptr<RwLock> l) noexcept { return LockOwned<true>(std::move(l)); }

  // co_await: a read guard (const access), shared with other readers.
  Read read() noexcept { return Read(this); }
  // co_await: a write guard (exclusive access).
  Write write() noexcept { return Write(this); }
  Result<RwLockReadGuard<T>> try_read() noexcept {
    if (auto r = sem_.try_acquire_raw(1); !r) return r.error();
    return RwLockReadGuard<T>(this);
  }
  Result<RwLockWriteGuard<T>> try_write() noexcept {
    if (auto r = sem_.try_acquire_raw(max_readers_); !r) return r.error();
    return RwLockWriteGuard<T>(this);
  }
  T& get_mut() noexcept { return value_; }

 private:
  friend class RwLockReadGuard<T>;
  friend class RwLockWriteGuard<T>;
  friend class OwnedRwLockGuard<T, false>;
  friend class OwnedRwLockGuard<T, true>;
  std::size_t max_readers_;
  Semaphore sem_;
  T value_;
};

}  // namespace eddy::sync
