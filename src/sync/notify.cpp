#include "eddy/sync/notify.hpp"

namespace eddy::sync {

void Notify::notify_one_locked(detail::WakeList& wl) noexcept {
  if (auto* w = waiters_.pop_front()) {
    w->state = Notified::State::notified_one;
    wl.push(std::move(w->waker));
  } else {
    permit_ = true;
  }
}

void Notify::notify_one() noexcept {
  detail::WakeList wl;
  detail::Guard g(lock_);
  notify_one_locked(wl);
  // wl wakes after g unlocks (destroyed in reverse order)
}

void Notify::notify_waiters() noexcept {
  detail::WakeList wl;
  lock_.lock();
  const std::uint64_t gen = calls_.load(std::memory_order_relaxed) + 1;
  calls_.store(gen, std::memory_order_release);
  // Waiters queued before this call have gen < the new value and sit at the front (the list is
  // FIFO); those queued while a batch is being woken have the new value and are left waiting.
  for (;;) {
    auto* w = waiters_.front();
    if (w == nullptr || w->gen >= gen) break;
    waiters_.pop_front();
    w->state = Notified::State::notified_all;
    wl.push(std::move(w->waker));
    if (wl.full()) {
      lock_.unlock();
      wl.wake_all();
      lock_.lock();
    }
  }
  lock_.unlock();
}

Poll<bool> Notify::Notified::poll(const Waker& waker) noexcept {
  detail::Guard g(n_->lock_);
  switch (node_.state) {
    case State::init:
      if (n_->calls_.load(std::memory_order_relaxed) != node_.gen || n_->permit_) {
        if (n_->calls_.load(std::memory_order_relaxed) == node_.gen) n_->permit_ = false;
        node_.state = State::done;
        return true;
      }
      node_.state = State::waiting;
      registered_ = true;
      node_.waker.clone_from(waker);
      n_->waiters_.push_back(node_);
      return Pending;
    case State::waiting:
      node_.waker.clone_from(waker);
      return Pending;
    case State::notified_one:
    case State::notified_all:
    case State::done:
      node_.state = State::done;
      return true;
  }
  return Pending;
}

Notify::Notified::~Notified() {
  if (!registered_) return;  // never queued: nobody else can have touched the node
  detail::WakeList wl;
  detail::Guard g(n_->lock_);
  if (node_.state == State::waiting) {
    n_->waiters_.remove(node_);
  } else if (node_.state == State::notified_one) {
    // Chosen by notify_one() but never resumed: hand the notification on.
    n_->notify_one_locked(wl);
  }
  node_.state = State::done;
}

}  // namespace eddy::sync
