// Inject: a multi-thread runtime's injection queue, for tasks spawned or woken off its workers
// and for a local queue's overflow. One mutex; `len_` mirrors the length so that workers can
// skip the lock when it is empty.
//
// Invariants: every entry holds one task reference. Once closed (shutdown's last drain), push
// refuses and the caller keeps (drops) its reference: nothing would ever run or drain it.
#pragma once

#include <cstddef>

#include "eddy/detail/sync.hpp"
#include "runtime/task_queue.hpp"

namespace eddy::detail {

class Inject {
 public:
  // Any thread. False when closed (the reference stays the caller's).
  bool push(TaskHeader* task) noexcept {
    sync::LockGuard<sync::SpinLock> lock(mutex_);
    if (closed_) return false;
    queue_.push(task);
    len_.store(len_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    return true;
  }
  // Moves `n` tasks from `batch` (a local queue's overflow). Closed: drops their references.
  void push_batch(TaskQueue& batch, std::size_t n) noexcept {
    {
      sync::LockGuard<sync::SpinLock> lock(mutex_);
      if (!closed_) {
        queue_.append(batch);
        len_.store(len_.load(std::memory_order_relaxed) + n, std::memory_order_release);
        return;
      }
    }
    while (TaskHeader* t = batch.pop()) t->unref();
  }
  // Pops up to `max` (>= 1) tasks: the first is returned, the rest appended to `out`.
  TaskHeader* pop_n(std::size_t max, TaskQueue& out, std::size_t& moved) noexcept {
    moved = 0;
    if (is_empty()) return nullptr;
    sync::LockGuard<sync::SpinLock> lock(mutex_);
    TaskHeader* first = queue_.pop();
    if (first == nullptr) return nullptr;
    std::size_t taken = 1;
    while (taken < max) {
      TaskHeader* t = queue_.pop();
      if (t == nullptr) break;
      out.push(t);
      ++taken;
    }
    moved = taken - 1;
    len_.store(len_.load(std::memory_order_relaxed) - taken, std::memory_order_release);
    return first;
  }
  TaskHeader* pop() noexcept {
    TaskQueue none;
    std::size_t moved;
    return pop_n(1, none, moved);
  }
  // A hint (the lock decides).
  bool is_empty() const noexcept { return len_.load(std::memory_order_acquire) == 0; }
  std::size_t len() const noexcept { return len_.load(std::memory_order_acquire); }

  // Closes the queue and moves what is left to `out`. Idempotent.
  void close(TaskQueue& out) noexcept {
    sync::LockGuard<sync::SpinLock> lock(mutex_);
    closed_ = true;
    out.append(queue_);
    len_.store(0, std::memory_order_release);
  }

 private:
  mutable sync::SpinLock mutex_;
  TaskQueue queue_;                      // guarded by mutex_
  bool closed_ = false;                  // guarded by mutex_
  sync::Atomic<std::size_t> len_{0};     // written under mutex_
};

}  // namespace eddy::detail
