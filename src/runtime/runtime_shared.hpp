// RuntimeShared: the current-thread scheduler's state, shared by the Runtime, its handles and
// every task waker.
//
// Run queues (intrusive through TaskHeader::queue_next, so scheduling never allocates):
// - local:    tasks woken on the runtime's own thread; touched only by that thread.
// - inject:   tasks spawned or woken from other threads; guarded by inject_mutex_.
// Yielded tasks wait in `deferred_` (as wakers) and are woken only after the driver has been
// polled.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "eddy/detail/linked_list.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/detail/task_header.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/driver_stack.hpp"

namespace eddy::detail {

class TaskQueue {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  void push(TaskHeader* t) noexcept {
    t->queue_next = nullptr;
    if (tail_) tail_->queue_next = t;
    else head_ = t;
    tail_ = t;
  }
  TaskHeader* pop() noexcept {
    TaskHeader* t = head_;
    if (t) {
      head_ = t->queue_next;
      if (!head_) tail_ = nullptr;
      t->queue_next = nullptr;
    }
    return t;
  }
  // Moves every entry of `other` to the back of this queue.
  void append(TaskQueue& other) noexcept {
    if (other.empty()) return;
    if (tail_) tail_->queue_next = other.head_;
    else head_ = other.head_;
    tail_ = other.tail_;
    other.head_ = other.tail_ = nullptr;
  }

 private:
  TaskHeader* head_ = nullptr;
  TaskHeader* tail_ = nullptr;
};

struct SchedulerConfig {
  std::uint32_t event_interval = 61;
  std::uint32_t global_queue_interval = 31;
};

class RuntimeShared final : public Scheduler, public std::enable_shared_from_this<RuntimeShared> {
 public:
  RuntimeShared(SchedulerConfig config, Unparker unparker) noexcept
      : config_(config), unparker_(std::move(unparker)) {}
  RuntimeShared(const RuntimeShared&) = delete;
  RuntimeShared& operator=(const RuntimeShared&) = delete;
  ~RuntimeShared();

  // Any thread.
  void schedule(TaskHeader* task) noexcept override;
  TaskHeader* spawn(std::coroutine_handle<> root);

  // Runtime thread only.
  // Wakes `waker` after the driver's next poll (yield_now, an exhausted coop budget).
  void defer(const Waker& waker);
  void run_until(DriverStack& driver, TaskHeader& main);
  void shutdown(DriverStack& driver);

  const Unparker& unparker() const noexcept { return unparker_; }
  // The threads behind spawn_blocking; shut down (joined) at the end of shutdown().
  BlockingPool& blocking_pool() noexcept { return blocking_pool_; }
  bool is_shutdown() const noexcept { return shutdown_.load(std::memory_order_acquire); }

 private:
  // schedule() from another thread: the injection queue, and an unpark if needed. Out of line,
  // so that the local push stays a leaf function.
  [[gnu::noinline]] void schedule_remote(TaskHeader* task) noexcept;
  TaskHeader* next_task() noexcept;
  // Inlined into run_until, its only hot caller.
  [[gnu::always_inline]] inline void run_task(TaskHeader* task) noexcept;
  void complete(TaskHeader* task, bool cancelled) noexcept;
  void park(DriverStack& driver, bool block);
  bool take_injected() noexcept;

  const SchedulerConfig config_;
  Unparker unparker_;

  // Runtime thread only.
  TaskQueue local_;
  std::vector<Waker> deferred_;
  std::vector<Waker> deferred_swap_;
  // Countdowns to the next look at the injection queue and the next driver poll between tasks
  // (a decrement instead of a division per task). Both intervals are >= 1 (Builder checks).
  std::uint32_t global_countdown_ = 1;
  std::uint32_t event_countdown_ = config_.event_interval;

  sync::Mutex inject_mutex_;
  TaskQueue inject_;                        // guarded by inject_mutex_
  // Set (under inject_mutex_) once shutdown has drained inject_ for the last time: a wake that
  // arrives later drops its reference instead of queueing (nothing would ever drain it, and the
  // queued task would keep this object alive through its scheduler pointer: a leak).
  bool inject_closed_ = false;              // guarded by inject_mutex_
  sync::Atomic<bool> has_injected_{false};  // hint, read without the lock
  // True while the runtime thread is (about to be) blocked in the driver: wakes from other
  // threads unpark it only then.
  sync::Atomic<bool> parked_{false};

  sync::Mutex owned_mutex_;
  IntrusiveList<TaskHeader, OwnedTaskTag> owned_;  // guarded by owned_mutex_; one ref each
  sync::Atomic<bool> shutdown_{false};

  BlockingPool blocking_pool_;
};

}  // namespace eddy::detail
