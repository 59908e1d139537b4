#include "eddy/sync/barrier.hpp"

namespace eddy::sync {

Poll<BarrierWaitResult> Barrier::Wait::poll(const Waker& w) noexcept {
  Barrier& b = *b_;
  detail::WakeList wl;
  b.lock_.lock();
  if (!arrived_) {
    arrived_ = true;
    gen_ = b.generation_;
    if (++b.arrived_ == b.n_) {
      // The last arrival releases the generation: everyone queued belongs to it.
      b.arrived_ = 0;
      ++b.generation_;
      while (auto* n = b.waiters_.pop_front()) {
        n->queued = false;
        wl.push(std::move(n->waker));
        if (wl.full()) {
          b.lock_.unlock();
          wl.wake_all();
          b.lock_.lock();
        }
      }
      b.lock_.unlock();
      return BarrierWaitResult(true);
    }
    node_.queued = true;
    node_.waker.clone_from(w);
    b.waiters_.push_back(node_);
    b.lock_.unlock();
    return Pending;
  }
  if (b.generation_ != gen_) {
    b.lock_.unlock();
    return BarrierWaitResult(false);
  }
  node_.waker.clone_from(w);
  if (!node_.queued) {
    // Woken by a release loop that picked it up after the generation it waits in had begun
    // (the loop drops the lock between wake batches): queue again.
    node_.queued = true;
    b.waiters_.push_back(node_);
  }
  b.lock_.unlock();
  return Pending;
}

Barrier::Wait::~Wait() {
  if (!arrived_) return;
  Waker stale;
  detail::Guard g(b_->lock_);
  if (b_->generation_ == gen_) {
    // Still waiting: withdraw the arrival.
    if (node_.queued) b_->waiters_.remove(node_);
    node_.queued = false;
    --b_->arrived_;
  }
  stale = std::move(node_.waker);
}

}  // namespace eddy::sync
