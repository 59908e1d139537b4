// eddy::sync::Semaphore: a counting semaphore, fair (FIFO) and closable.
//
//   Semaphore sem(3);
//   auto p = co_await sem.acquire();      // Result<SemaphorePermit>
//   if (!p) return;                       // SyncError::closed
//   ...                                   // the permit goes back when p is destroyed
//
// Fairness: waiters are served strictly in arrival order. A waiter for several permits at the
// head of the queue collects released permits until it has all of them, and later waiters (even
// for fewer permits) wait behind it. try_acquire never takes permits ahead of a queued waiter.
//
// close() makes every pending and future acquire fail with SyncError::closed; permits already
// held stay valid and may still be returned.
//
// Thread safety: every member may be called from any thread.
//
// Cancellation: destroying a coroutine suspended in `co_await sem.acquire(n)` removes it from the
// queue and gives back every permit it had been assigned (part of n while waiting, all of n if
// it had been granted but had not resumed yet): they go to the next waiters or back to the
// semaphore, never lost. Its place in the queue is lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/result.hpp"
#include "eddy/sync/detail/waiters.hpp"
#include "eddy/sync/error.hpp"

namespace eddy::sync {

class Semaphore;

namespace detail {

// One acquire of n permits as a poll-style operation: the building block of Semaphore::acquire,
// Mutex::lock, RwLock::read/write and bounded mpsc sends. Lives in the awaiter (the node is
// embedded), must not move after the first poll. Destroying it gives back whatever it was
// assigned unless the poll returned success (then the caller owns the permits).
class SemAcquire {
 public:
  SemAcquire(Semaphore* sem, std::size_t n) noexcept : sem_(sem) { node_.needed = n; }
  SemAcquire(const SemAcquire&) = delete;
  SemAcquire& operator=(const SemAcquire&) = delete;
  ~SemAcquire();

  // Ready with success (the caller now owns n permits) or SyncError::closed.
  Poll<Result<void>> poll(const Waker& w) noexcept;

 private:
  friend class eddy::sync::Semaphore;
  enum class State : std::uint8_t { idle, queued, granted, closed, done };
  struct Node : Waiter {
    std::size_t needed = 0;
    std::size_t remaining = 0;
    State state = State::idle;
  };
  Semaphore* sem_;
  Node node_;
  bool registered_ = false;  // touched only by the owner
};

}  // namespace detail

// n permits of a Semaphore, returned when destroyed.
class [[nodiscard]] SemaphorePermit {
 public:
  SemaphorePermit() noexcept = default;
  SemaphorePermit(Semaphore* s, std::size_t n) noexcept : s_(s), n_(n) {}
  SemaphorePermit(SemaphorePermit&& o) noexcept : s_(std::exchange(o.s_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  SemaphorePermit& operator=(SemaphorePermit&& o) noexcept {
    if (this != &o) {
      reset();
      s_ = std::exchange(o.s_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  ~SemaphorePermit() { reset(); }

  std::size_t num_permits() const noexcept { return n_; }
  // Keeps the permits out of the semaphore for good.
  void forget() noexcept {
    s_ = nullptr;
    n_ = 0;
  }
  // Takes over other's permits (both from the same semaphore).
  void merge(SemaphorePermit&& other) noexcept {
    if (s_ == nullptr) s_ = other.s_;
    n_ += std::exchange(other.n_, 0);
    other.s_ = nullptr;
  }
  // Gives the permits back now.
  void reset() noexcept;

 private:
  Semaphore* s_ = nullptr;
  std::size_t n_ = 0;
};

// n permits of a shared Semaphore; keeps the semaphore alive.
class [[nodiscard]] OwnedSemaphorePermit {
 public:
  OwnedSemaphorePermit() noexcept = default;
  OwnedSemaphorePermit(std::shared_ptr<Semaphore> s, std::size_t n) noexcept : s_(std::move(s)), n_(n) {}
  OwnedSemaphorePermit(OwnedSemaphorePermit&& o) noexcept : s_(std::move(o.s_)), n_(std::exchange(o.n_, 0)) {}
  OwnedSemaphorePermit& operator=(OwnedSemaphorePermit&& o) noexcept {
    if (this != &o) {
      reset();
      s_ = std::move(o.s_);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  ~OwnedSemaphorePermit() { reset(); }

  std::size_t num_permits() const noexcept { return n_; }
  const std::shared_ptr<Semaphore>& semaphore() const noexcept { return s_; }
  void forget() noexcept {
    s_.reset();
    n_ = 0;
  }
  void reset() noexcept;

 private:
  std::shared_ptr<Semaphore> s_;
  std::size_t n_ = 0;
};


class Semaphore {
 public:
  // The most permits a semaphore can hold.
  static constexpr std::size_t max_permits = SIZE_MAX >> 3;

  explicit Semaphore(std::size_t permits) noexcept;
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  ~Semaphore();

  std::size_t available_permits() const noexcept;
  // Adds n permits (handing them to queued waiters first). Exceeding max_permits aborts.
  void add_permits(std::size_t n) noexcept;
  // Removes up to n available permits without returning them; the number removed.
  std::size_t forget_permits(std::size_t n) noexcept;
  void close() noexcept;
  bool is_closed() const noexcept;

  class [[nodiscard]] Acquire : public eddy::detail::PollAwaiter<Acquire, Result<SemaphorePermit>> {
   public:
    Acquire(Semaphore* s, std::size_t n) noexcept : s_(s), n_(n), op_(s, n) {}
    Poll<Result<SemaphorePermit>> poll(const Waker& w) noexcept;

   private:
    Semaphore* s_;
    std::size_t n_;
    detail::SemAcquire op_;
  };

  // co_await: Result<SemaphorePermit> holding n permits, or SyncError::closed.
  Acquire acquire(std::size_t n = 1) noexcept { return Acquire(this, n); }
  // n permits now, or SyncError::would_block (not enough, or waiters are queued) / closed.
  Result<SemaphorePermit> try_acquire(std::size_t n = 1) noexcept;

  // Used by the permits and by primitives built on the semaphore.
  void release(std::size_t n) noexcept { add_permits(n); }
  Result<void> try_acquire_raw(std::size_t n) noexcept;

 private:
  friend class detail::SemAcquire;
  // Hands n permits to the queue's head waiters, the rest to the pool. Called with lock_ held;
  // may unlock and relock to wake a full batch.
  void release_locked(std::size_t n, detail::WakeList& wl) noexcept;

  mutable detail::Lock lock_;
  detail::WaiterList<detail::SemAcquire::Node> waiters_;
  std::size_t permits_;
  bool closed_ = false;
};

class [[nodiscard]] AcquireOwned : public eddy::detail::PollAwaiter<AcquireOwned, Result<OwnedSemaphorePermit>> {
 public:
  AcquireOwned(std::shared_ptr<Semaphore> s, std::size_t n) noexcept
      : s_(std::move(s)), n_(n), op_(s_.get(), n) {}
  Poll<Result<OwnedSemaphorePermit>> poll(const Waker& w) noexcept {
    auto r = op_.poll(w);
    if (!r) return Pending;
    if (!*r) return Result<OwnedSemaphorePermit>(r->error());
    return Result<OwnedSemaphorePermit>(OwnedSemaphorePermit(s_, n_));
  }

 private:
  std::shared_ptr<Semaphore> s_;  // declared before op_: outlives it
  std::size_t n_;
  detail::SemAcquire op_;
};

// co_await: Result<OwnedSemaphorePermit> (the permit keeps `s` alive), or SyncError::closed.
// Cancellation: as Semaphore::acquire.
inline AcquireOwned acquire_owned(std::shared_ptr<Semaphore> s, std::size_t n = 1) noexcept {
  return AcquireOwned(std::move(s), n);
}
inline Result<OwnedSemaphorePermit> try_acquire_owned(const std::shared_ptr<Semaphore>& s, std::size_t n = 1) noexcept {
  if (auto r = s->try_acquire_raw(n); !r) return r.error();
  return OwnedSemaphorePermit(s, n);
}

inline void SemaphorePermit::reset() noexcept {
  if (s_ != nullptr && n_ != 0) s_->release(n_);
  s_ = nullptr;
  n_ = 0;
}

inline void OwnedSemaphorePermit::reset() noexcept {
  if (s_ && n_ != 0) s_->release(n_);
  s_.reset();
  n_ = 0;
}

inline Poll<Result<SemaphorePermit>> Semaphore::Acquire::poll(const Waker& w) noexcept {
  auto r = op_.poll(w);
  if (!r) return Pending;
  if (!*r) return Result<SemaphorePermit>(r->error());
  return Result<SemaphorePermit>(SemaphorePermit(s_, n_));
}

inline Result<SemaphorePermit> Semaphore::try_acquire(std::size_t n) noexcept {
  if (auto r = try_acquire_raw(n); !r) return r.error();
  return SemaphorePermit(this, n);
}

}  // namespace eddy::sync
