// eddy::sync::JoinSet<T>: a set of spawned tasks, joined in the order they finish.
//
//   JoinSet<int> set;
//   for (auto& u : urls) set.spawn(fetch(u));
//   while (auto r = co_await set.join_next()) {   // std::optional<Result<int>>; nullopt: empty
//     if (*r) use(**r); else /* Error::cancelled (aborted) */;
//   }
//
// spawn() uses eddy::spawn (the current runtime). abort_all() requests cancellation of every
// task still in the set (they are then joined as Error::cancelled); destroying the set aborts
// every task still in it. A task's exception is rethrown from the join_next() that joins it.
//
// Cost: join_next polls every task of the set when woken (O(n) per wake-up): fine for tens or
// hundreds of tasks, not for a very large set.
//
// Not thread-safe: one task owns the set. The spawned tasks themselves may run anywhere.
//
// Cancellation: destroying a coroutine suspended in `co_await set.join_next()` loses no result:
// a finished task stays in the set until a join_next() returns it.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "eddy/sync/detail/config.hpp"
#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/join_handle.hpp"
#include "eddy/result.hpp"
#include "eddy/runtime.hpp"
#include "eddy/task.hpp"

namespace eddy::sync {

template <class T>
class JoinSet {
 public:
  JoinSet() = default;
  JoinSet(JoinSet&&) noexcept = default;
  JoinSet& operator=(JoinSet&& o) noexcept {
    if (this != &o) {
      abort_all();
      hs_ = std::move(o.hs_);
    }
    return *this;
  }
  JoinSet(const JoinSet&) = delete;
  JoinSet& operator=(const JoinSet&) = delete;
  ~JoinSet() { abort_all(); }

  // Spawns `task` on the current runtime into the set.
  void spawn(Task<T> task) { hs_.push_back(eddy::spawn(std::move(task))); }
  // Adds an already spawned task.
  void insert(JoinHandle<T> h) { hs_.push_back(std::move(h)); }

  std::size_t size() const noexcept { return hs_.size(); }
  bool empty() const noexcept { return hs_.empty(); }

  // Requests cancellation of every task in the set (they stay in it until joined).
  void abort_all() noexcept {
    for (auto& h : hs_) h.abort();
  }
  // Lets every task run on without the set; the set is then empty.
  void detach_all() noexcept { hs_.clear(); }

  class [[nodiscard]] JoinNext : public eddy::detail::PollAwaiter<JoinNext, std::size_t> {
   public:
    explicit JoinNext(JoinSet* s) noexcept : s_(s) {}
    Poll<std::size_t> poll(const Waker& w) noexcept {
      if (s_->hs_.empty()) return kNone;
      for (std::size_t i = 0; i < s_->hs_.size(); ++i) {
        typename JoinHandle<T>::Awaiter a(s_->hs_[i].header());
        if (a.poll(w)) return i;
      }
      return Pending;
    }
    std::optional<Result<T>> await_resume() {
      const std::size_t i = eddy::detail::PollAwaiter<JoinNext, std::size_t>::await_resume();
      if (i == kNone) return std::nullopt;
      return s_->take_at(i);
    }

   private:
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    JoinSet* s_;
  };

  // co_await: the result of the next task to finish, or nullopt when the set is empty.
  JoinNext join_next() noexcept { return JoinNext(this); }

  // A finished task's result now, or nullopt if none has finished (or the set is empty).
  std::optional<Result<T>> try_join_next() {
    for (std::size_t i = 0; i < hs_.size(); ++i)
      if (hs_[i].is_finished()) return take_at(i);
    return std::nullopt;
  }

  // Aborts every task and waits until all of them have finished.
  EDDY_CORO_TEMPLATE Task<void> shutdown() {
    abort_all();
    for (;;) {
      auto r = co_await join_next();
      if (!r) break;
    }
  }

 private:
  Result<T> take_at(std::size_t i) {
    JoinHandle<T> h = std::move(hs_[i]);
    if (i + 1 != hs_.size()) hs_[i] = std::move(hs_.back());
    hs_.pop_back();
    return h.take();
  }

  std::vector<JoinHandle<T>> hs_;
};

}  // namespace eddy::sync
