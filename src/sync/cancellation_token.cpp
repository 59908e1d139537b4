#include "eddy/sync/cancellation_token.hpp"

#include <algorithm>

namespace eddy::sync {

namespace detail {

void TokenState::cancel() noexcept {
  // Iterative over the tree (no recursion depth limit): a stack of tokens still to cancel.
  std::vector<std::shared_ptr<TokenState>> todo;
  TokenState* cur = this;
  std::shared_ptr<TokenState> holder;
  for (;;) {
    WakeList wl;
    std::vector<std::weak_ptr<TokenState>> kids;
    cur->lock.lock();
    if (!cur->cancelled.load(std::memory_order_relaxed)) {
      cur->cancelled.store(true, std::memory_order_release);
      kids.swap(cur->children);
      while (auto* w = cur->waiters.pop_front()) {
        w->queued = false;
        wl.push(std::move(w->waker));
        if (wl.full()) {
          cur->lock.unlock();
          wl.wake_all();
          cur->lock.lock();
        }
      }
    }
    cur->lock.unlock();
    wl.wake_all();
    for (auto& k : kids)
      if (auto sp = k.lock()) todo.push_back(std::move(sp));
    if (todo.empty()) break;
    holder = std::move(todo.back());
    todo.pop_back();
    cur = holder.get();
  }
}

}  // namespace detail

CancellationToken CancellationToken::child_token() const {
  auto child = std::make_shared<detail::TokenState>();
  detail::Guard g(s_->lock);
  if (s_->cancelled.load(std::memory_order_relaxed)) {
    child->cancelled.store(true, std::memory_order_release);
  } else {
    if (s_->children.size() >= s_->prune_at) {
      auto& c = s_->children;
      c.erase(std::remove_if(c.begin(), c.end(), [](const std::weak_ptr<detail::TokenState>& w) { return w.expired(); }),
              c.end());
      s_->prune_at = std::max<std::size_t>(8, c.size() * 2);
    }
    s_->children.push_back(child);
  }
  return CancellationToken(std::move(child));
}

Poll<bool> CancellationToken::Cancelled::poll(const Waker& w) noexcept {
  if (s_->cancelled.load(std::memory_order_acquire)) return true;
  detail::Guard g(s_->lock);
  if (s_->cancelled.load(std::memory_order_relaxed)) return true;
  node_.waker.clone_from(w);
  if (!node_.queued) {
    node_.queued = true;
    registered_ = true;
    s_->waiters.push_back(node_);
  }
  return Pending;
}

CancellationToken::Cancelled::~Cancelled() {
  if (!registered_) return;
  Waker stale;
  detail::Guard g(s_->lock);
  if (node_.queued) s_->waiters.remove(node_);
  node_.queued = false;
  stale = std::move(node_.waker);
}

}  // namespace eddy::sync
