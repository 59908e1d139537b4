// eddy::sync::Mutex<T>: an async mutex owning its T, fair (FIFO), built on a one-permit Semaphore.
//
//   Mutex<std::vector<int>> m;
//   {
//     auto g = co_await m.lock();      // MutexGuard: unlocks when destroyed
//     g->push_back(1);
//   }
//
// Hold it across co_await points only when you must (that is what it is for); for short,
// never-suspending critical sections a std::mutex is cheaper. Waiters get the lock in arrival
// order; unlocking hands it straight to the first waiter (no barging by try_lock).
// lock_owned(shared_ptr<Mutex>) gives an OwnedMutexGuard that keeps the mutex alive (for a guard
// moved into a spawned task).
//
// Thread safety: any thread may lock and unlock; a guard may be destroyed on another thread.
//
// Cancellation: destroying a coroutine suspended in `co_await m.lock()` gives up its place in
// the queue. If the lock had already been handed to it but it had not resumed, the lock passes
// to the next waiter (or is released): it is never left locked by nobody.
#pragma once

#include <memory>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/result.hpp"
#include "eddy/sync/semaphore.hpp"

namespace eddy::sync {

template <class T>
class Mutex;

template <class T>
class [[nodiscard]] MutexGuard {
 public:
  explicit MutexGuard(Mutex<T>* m) noexcept : m_(m) {}
  MutexGuard(MutexGuard&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
  MutexGuard& operator=(MutexGuard&& o) noexcept {
    if (this != &o) {
      unlock();
      m_ = std::exchange(o.m_, nullptr);
    }
    return *this;
  }
  ~MutexGuard() { unlock(); }

  T& operator*() const noexcept { return m_->value_; }
  T* operator->() const noexcept { return &m_->value_; }
  // Unlocks now (the guard is then empty).
  void unlock() noexcept {
    if (m_ != nullptr) std::exchange(m_, nullptr)->sem_.release(1);
  }
  bool owns_lock() const noexcept { return m_ != nullptr; }

 private:
  Mutex<T>* m_;
};

template <class T>
class [[nodiscard]] OwnedMutexGuard {
 public:
  explicit OwnedMutexGuard(std::shared_ptr<Mutex<T>> m) noexcept : m_(std::move(m)) {}
  OwnedMutexGuard(OwnedMutexGuard&& o) noexcept = default;
  OwnedMutexGuard& operator=(OwnedMutexGuard&& o) noexcept {
    if (this != &o) {
      unlock();
      m_ = std::move(o.m_);
    }
    return *this;
  }
  ~OwnedMutexGuard() { unlock(); }

  T& operator*() const noexcept { return m_->value_; }
  T* operator->() const noexcept { return &m_->value_; }
  void unlock() noexcept {
    if (m_) {
      m_->sem_.release(1);
      m_.reset();
    }
  }
  const std::shared_ptr<Mutex<T>>& mutex() const noexcept { return m_; }

 private:
  std::shared_ptr<Mutex<T>> m_;
};

template <class T>
class Mutex {
 public:
  explicit Mutex(T value = T()) : sem_(1), value_(std::move(value)) {}
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  class [[nodiscard]] Lock : public eddy::detail::PollAwaiter<Lock, MutexGuard<T>> {
   public:
    explicit Lock(Mutex* m) noexcept : m_(m), op_(&m->sem_, 1) {}
    Poll<MutexGuard<T>> poll(const Waker& w) noexcept {
      if (!op_.poll(w)) return Pending;  // the semaphore is never closed: ready means locked
      return MutexGuard<T>(m_);
    }

   private:
    Mutex* m_;
    detail::SemAcquire op_;
  };

  class [[nodiscard]] LockOwned : public eddy::detail::PollAwaiter<LockOwned, OwnedMutexGuard<T>> {
   public:
    explicit LockOwned(std::shared_ptr<Mutex> m) noexcept : m_(std::move(m)), op_(&m_->sem_, 1) {}
    Poll<OwnedMutexGuard<T>> poll(const Waker& w) noexcept {
      if (!op_.poll(w)) return Pending;
      return OwnedMutexGuard<T>(m_);
    }

   private:
    std::shared_ptr<Mutex> m_;  // before op_: outlives it
    detail::SemAcquire op_;
  };

  // co_await: a MutexGuard<T> (waits for the lock; see the header for cancellation).
  Lock lock() noexcept { return Lock(this); }
  // co_await: an OwnedMutexGuard<T> holding a reference to *m.
  static LockOwned lock_owned(std::shared_ptr<Mutex> m) noexcept { return LockOwned(std::move(m)); }
  // The lock now, or SyncError::would_block.
  Result<MutexGuard<T>> try_lock() noexcept {
    if (auto r = sem_.try_acquire_raw(1); !r) return r.error();
    return MutexGuard<T>(this);
  }
  // An owned guard now, or SyncError::would_block.
  static Result<OwnedMutexGuard<T>> try_lock_owned(const std::shared_ptr<Mutex>& m) noexcept {
    if (auto r = m->sem_.try_acquire_raw(1); !r) return r.error();
    return OwnedMutexGuard<T>(m);
  }
  // Blocks the calling thread (never a runtime thread) until locked.
  MutexGuard<T> blocking_lock() {
    detail::SemAcquire op(&sem_, 1);
    (void)detail::block_on_poll([&op](const Waker& w) { return op.poll(w); });
    return MutexGuard<T>(this);
  }
  // The value without locking: for when the caller has exclusive access to the Mutex itself.
  T& get_mut() noexcept { return value_; }

 private:
  friend class MutexGuard<T>;
  friend class OwnedMutexGuard<T>;
  Semaphore sem_;
  T value_;
};

}  // namespace eddy::sync
