#include "eddy/sync/semaphore.hpp"

#include <algorithm>

#include "eddy/detail/fatal.hpp"

namespace eddy::sync {

using detail::Guard;
using detail::SemAcquire;
using detail::WakeList;

Semaphore::Semaphore(std::size_t permits) noexcept : permits_(permits) {
  if (permits > max_permits) eddy::detail::fatal("eddy::sync::Semaphore: more than max_permits permits");
}

Semaphore::~Semaphore() = default;

std::size_t Semaphore::available_permits() const noexcept {
  Guard g(lock_);
  return permits_;
}

bool Semaphore::is_closed() const noexcept {
  Guard g(lock_);
  return closed_;
}

void Semaphore::release_locked(std::size_t n, WakeList& wl) noexcept {
  while (n > 0) {
    auto* w = waiters_.front();
    if (w == nullptr) break;
    const std::size_t give = std::min(n, w->remaining);
    w->remaining -= give;
    n -= give;
    if (w->remaining == 0) {
      waiters_.pop_front();
      w->state = SemAcquire::State::granted;
      wl.push(std::move(w->waker));
      if (wl.full()) {
        lock_.unlock();
        wl.wake_all();
        lock_.lock();
      }
    }
  }
  if (n > max_permits - permits_) eddy::detail::fatal("eddy::sync::Semaphore: more than max_permits permits");
  permits_ += n;
}

void Semaphore::add_permits(std::size_t n) noexcept {
  if (n == 0) return;
  WakeList wl;
  lock_.lock();
  release_locked(n, wl);
  lock_.unlock();
}

std::size_t Semaphore::forget_permits(std::size_t n) noexcept {
  Guard g(lock_);
  const std::size_t k = std::min(n, permits_);
  permits_ -= k;
  return k;
}

void Semaphore::close() noexcept {
  WakeList wl;
  lock_.lock();
  closed_ = true;
  while (auto* w = waiters_.pop_front()) {
    // What a closed waiter had been assigned goes back to the pool (nobody is queued any more).
    permits_ += w->needed - w->remaining;
    w->state = SemAcquire::State::closed;
    wl.push(std::move(w->waker));
    if (wl.full()) {
      lock_.unlock();
      wl.wake_all();
      lock_.lock();
    }
  }
  lock_.unlock();
}

Result<void> Semaphore::try_acquire_raw(std::size_t n) noexcept {
  Guard g(lock_);
  if (closed_) return SyncError::closed;
  // permits_ > 0 implies an empty queue, so this never overtakes a waiter.
  if (permits_ < n || !waiters_.empty()) return SyncError::would_block;
  permits_ -= n;
  return {};
}

namespace detail {

Poll<Result<void>> SemAcquire::poll(const Waker& w) noexcept {
  Semaphore& s = *sem_;
  Guard g(s.lock_);
  switch (node_.state) {
    case State::idle: {
      if (s.closed_) {
        node_.state = State::done;
        return Result<void>(SyncError::closed);
      }
      if (s.waiters_.empty() && s.permits_ >= node_.needed) {
        s.permits_ -= node_.needed;
        node_.state = State::done;
        return Result<void>();
      }
      // Take what is there (only when nobody is queued: then the pool is ours) and queue for
      // the rest.
      const std::size_t take = s.waiters_.empty() ? s.permits_ : 0;
      s.permits_ -= take;
      node_.remaining = node_.needed - take;
      node_.state = State::queued;
      node_.waker.clone_from(w);
      s.waiters_.push_back(node_);
      registered_ = true;
      return Pending;
    }
    case State::queued:
      node_.waker.clone_from(w);
      return Pending;
    case State::granted:
      node_.state = State::done;
      return Result<void>();
    case State::closed:
      node_.state = State::done;
      return Result<void>(SyncError::closed);
    case State::done:
      break;
  }
  return Result<void>(SyncError::closed);
}

SemAcquire::~SemAcquire() {
  if (!registered_) return;
  Semaphore& s = *sem_;
  WakeList wl;
  s.lock_.lock();
  std::size_t give_back = 0;
  if (node_.state == State::queued) {
    s.waiters_.remove(node_);
    give_back = node_.needed - node_.remaining;
  } else if (node_.state == State::granted) {
    give_back = node_.needed;  // granted but never taken: pass the permits on
  }
  node_.state = State::done;
  if (give_back != 0) s.release_locked(give_back, wl);
  s.lock_.unlock();
}

}  // namespace detail
}  // namespace eddy::sync
