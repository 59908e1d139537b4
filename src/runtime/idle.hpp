// Idle: which workers of a multi-thread runtime are parked and how many are searching for work
// (tokio's scheduler/multi_thread/idle.rs design).
//
// Invariants:
// - state_ packs the number of searching workers (low 16 bits) and of unparked workers (high
//   16 bits). A worker counts as unparked from the moment a notifier picks it until it parks
//   again; a worker picked by a notifier counts as searching.
// - sleepers_ (under mutex_) lists the parked workers; unparked = num_workers - sleepers.size()
//   whenever mutex_ is not held.
// - No wake-up is lost: a notifier wakes a sleeper only when nobody searches; a searching
//   worker that parks as the last searcher looks at every queue again (MultiThreadHandle::
//   notify_if_work_pending), and a worker parks only on a parker whose notification is kept.
// - At most half the workers search at once (stealing is throttled).
// The search / park / notify protocol is model-checked in models/worker_park.pml (scripts/models).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "eddy/detail/sync.hpp"

namespace eddy::detail {

class Idle {
 public:
  static constexpr std::size_t kNone = SIZE_MAX;

  explicit Idle(std::size_t num_workers) : num_workers_(static_cast<std::uint32_t>(num_workers)) {
    state_.store(num_workers_ << kUnparkedShift, std::memory_order_relaxed);
    sleepers_.reserve(num_workers);
  }

  // A parked worker to wake for new work, or kNone when one is already searching or none is
  // parked. The worker returned counts as unparked and searching.
  //
  // The caller has just queued the task (a release store of a queue's length) and reads
  // state_ here, while a searcher may be parking: it decrements state_, then reads the queue
  // lengths (notify_if_work_pending). That is a store-then-load on each side, and a plain
  // load, even seq_cst, may take effect before the caller's earlier release store is visible
  // (x86 holds the store in its store buffer): each side then misses the other's write, the
  // caller sees the searcher still awake, the searcher sees an empty queue, and the task waits
  // for ever (RtThreaded.RemoteSpawnRacingTheWorkerParkingIsNeverLost). So the first read is a
  // read-modify-write, ordered in state_'s modification order against the searcher's
  // fetch_sub: either it sees the decrement, or the searcher's fetch_sub reads from it and so
  // sees the queued task. models/worker_park.pml models the store buffer; its variant
  // NOTIFY_PLAIN_LOAD (a load here) has a counterexample.
  std::size_t worker_to_notify() {
    if (!should_wake(state_.fetch_add(0, std::memory_order_seq_cst))) return kNone;
    sync::LockGuard<sync::Mutex> lock(mutex_);
    if (!should_wake(state_.load(std::memory_order_seq_cst)) || sleepers_.empty()) return kNone;
    state_.fetch_add(1u | (1u << kUnparkedShift), std::memory_order_seq_cst);
    const std::size_t w = sleepers_.back();
    sleepers_.pop_back();
    return w;
  }

  // Worker `w` parks. Returns true when it was the last searching worker (then it must look for
  // pending work once more, since notifiers relied on it).
  bool transition_worker_to_parked(std::size_t w, bool is_searching) {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    const std::uint32_t dec = (1u << kUnparkedShift) | (is_searching ? 1u : 0u);
    const std::uint32_t prev = state_.fetch_sub(dec, std::memory_order_seq_cst);
    sleepers_.push_back(w);
    return is_searching && searching(prev) == 1;
  }

  // A worker with nothing to run starts searching (stealing), unless half the workers already
  // do.
  bool transition_worker_to_searching() {
    const std::uint32_t s = state_.load(std::memory_order_seq_cst);
    if (2 * searching(s) >= num_workers_) return false;
    state_.fetch_add(1, std::memory_order_seq_cst);
    return true;
  }

  // A searching worker found work. Returns true when it was the last searcher (then another
  // worker should be woken to search on).
  bool transition_worker_from_searching() {
    return searching(state_.fetch_sub(1, std::memory_order_seq_cst)) == 1;
  }

  // Worker `w` woke by itself (its driver delivered work) while still listed as parked: unlists
  // it. Returns false when a notifier had already unlisted it (then it counts as searching).
  bool unpark_worker_by_id(std::size_t w) {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    auto it = std::find(sleepers_.begin(), sleepers_.end(), w);
    if (it == sleepers_.end()) return false;
    sleepers_.erase(it);
    state_.fetch_add(1u << kUnparkedShift, std::memory_order_seq_cst);
    return true;
  }

  bool is_parked(std::size_t w) {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    return std::find(sleepers_.begin(), sleepers_.end(), w) != sleepers_.end();
  }

  // Every worker is parked (none running, none picked to wake).
  bool all_parked() const noexcept { return unparked(state_.load(std::memory_order_seq_cst)) == 0; }

  std::uint32_t num_searching() const noexcept { return searching(state_.load(std::memory_order_relaxed)); }

 private:
  static constexpr unsigned kUnparkedShift = 16;
  static constexpr std::uint32_t searching(std::uint32_t s) noexcept { return s & 0xffffu; }
  static constexpr std::uint32_t unparked(std::uint32_t s) noexcept { return s >> kUnparkedShift; }
  bool should_wake(std::uint32_t s) const noexcept { return searching(s) == 0 && unparked(s) < num_workers_; }

  const std::uint32_t num_workers_;
  sync::Atomic<std::uint32_t> state_{0};
  sync::Mutex mutex_;
  std::vector<std::size_t> sleepers_;  // guarded by mutex_
};

}  // namespace eddy::detail
