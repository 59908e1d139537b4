// TaskHeader: the type-erased, reference-counted state of one spawned task.
//
// A task is a root coroutine (a Task<T> handed to spawn/block_on) plus its scheduling state.
// The coroutine frame lives only as long as the task runs: when the task finishes, its output is
// moved into the header (TaskCell<T>, eddy/detail/task_cell.hpp) and the frame is destroyed at
// once, with everything it owns (sockets, buffers, by-value parameters), whoever still holds the
// JoinHandle; a cancelled task's frame is destroyed likewise. As in tokio.
//
// References: the scheduler's owned-task list holds one until the task finishes or is
// cancelled; each run-queue entry holds one; the JoinHandle holds one; each Waker holds one.
//
// State machine (atomic bits):
//   SCHEDULED  it is in a run queue (or the deferred list); a wake does nothing more
//   RUNNING    the scheduler is polling it; a wake sets NOTIFIED instead of queueing
//   NOTIFIED   woken while running: requeued when the poll returns
//   COMPLETE   finished or cancelled; wakes are ignored
//   CANCELLED  abort() was called (or the runtime shut down); the frame is (to be) destroyed
#pragma once

#include <coroutine>
#include <cstdint>
#include <memory>
#include <utility>

#include "eddy/detail/linked_list.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/waker.hpp"

namespace eddy::detail {

class TaskHeader;

// What a task's waker talks to: the runtime's scheduler (Scheduler, eddy/detail/scheduler.hpp)
// or a stand-in that is not one (a timeout's child task wakes its parent instead).
class TaskScheduler {
 public:
  // Queue `task` to run; the caller passes one reference. Any thread. Once the task is queued
  // that reference may be gone (run and dropped by another thread), and with it the last
  // reference to the scheduler: an implementation that still needs itself afterwards must keep
  // itself alive.
  virtual void schedule(TaskHeader* task) noexcept = 0;

 protected:
  ~TaskScheduler() = default;
};

struct OwnedTaskTag {};

// What a header with a place for the output (TaskCell<T>) does differently: harvest moves a
// finished root coroutine's output into it; destroy deletes it as the type it is.
struct TaskOps {
  void (*harvest)(TaskHeader* task) noexcept;
  void (*destroy)(TaskHeader* task) noexcept;
};

// Called by the scheduler when the task is woken while suspended on a poll-style leaf awaiter:
// returns true when the awaiter is ready and the coroutine should be resumed.
using LeafPoll = bool (*)(void* awaiter, TaskHeader* task) noexcept;

class TaskHeader : public ListHook<OwnedTaskTag> {
 public:
  static constexpr std::uint32_t kScheduled = 1u << 0;
  static constexpr std::uint32_t kRunning = 1u << 1;
  static constexpr std::uint32_t kNotified = 1u << 2;
  static constexpr std::uint32_t kComplete = 1u << 3;
  static constexpr std::uint32_t kCancelled = 1u << 4;

  // `scheduler` is kept alive by every task, so that a late wake from another thread never
  // reaches a destroyed scheduler (a complete task does not touch it at all).
  TaskHeader(std::coroutine_handle<> root, std::shared_ptr<TaskScheduler> scheduler) noexcept
      : root_(root), resume_point_(root), scheduler_(std::move(scheduler)) {}
  // A spawned task: its output is harvested into the header on completion; the scheduler binds
  // itself (bind) before the task is published.
  TaskHeader(std::coroutine_handle<> root, const TaskOps* ops) noexcept
      : root_(root), resume_point_(root), ops_(ops) {}
  void bind(std::shared_ptr<TaskScheduler> scheduler) noexcept { scheduler_ = std::move(scheduler); }
  TaskHeader(const TaskHeader&) = delete;
  // Only through unref (destroy), so that a TaskCell is deleted as one.
 protected:
  ~TaskHeader() = default;

 public:
  TaskHeader& operator=(const TaskHeader&) = delete;

  void ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void unref() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }

  // Schedules the task unless it is already queued, running (then: NOTIFIED) or complete.
  void wake_by_ref() noexcept;
  // The same, consuming one reference (what Waker::wake does).
  void wake_by_val() noexcept;
  // A new owning Waker for this task.
  Waker waker() noexcept {
    ref();
    return Waker::from_raw(this, &kWakerVTable);
  }

  std::uint32_t state() const noexcept { return state_.load(std::memory_order_acquire); }
  bool is_complete() const noexcept { return (state() & kComplete) != 0; }
  bool is_cancelled() const noexcept { return (state() & kCancelled) != 0; }

  // Requests cancellation: the scheduler destroys the frame the next time it picks the task.
  void abort() noexcept;

  // --- scheduler side (the thread that runs the task) ---

  // Marks the task running; returns the previous state.
  std::uint32_t transition_to_running() noexcept {
    // Model: models/task_state.pml T1.
    // The common case in one CAS (fetch_xor whose result is used compiles to a CAS loop anyway).
    std::uint32_t s = kScheduled;
    if (state_.compare_exchange_strong(s, kRunning, std::memory_order_acq_rel, std::memory_order_acquire)) {
      return kScheduled;
    }
    return state_.fetch_xor(kScheduled | kRunning, std::memory_order_acq_rel);
  }
  // After a poll that did not finish the task: true if it must be queued again (it was woken or
  // aborted while running); then it is marked SCHEDULED and the caller keeps its reference.
  bool transition_to_idle() noexcept {
    // Model: models/task_state.pml T2 (variant IDLE_DROPS_NOTIFIED loses a wake-up).
    // Fast path, inline: running and nothing happened meanwhile (the common case after a poll
    // that suspended on I/O).
    std::uint32_t s = kRunning;
    if (state_.compare_exchange_strong(s, 0, std::memory_order_acq_rel, std::memory_order_acquire)) return false;
    return transition_to_idle_slow(s);
  }
  // Marks the task complete (finished or cancelled). A task that finished clears CANCELLED: an
  // abort() that arrived during its last poll came too late, and the result is kept (as in
  // tokio), so that "cancelled" always means the frame is gone.
  void set_complete(bool cancelled) noexcept {
    // Model: models/task_state.pml C1 (variant COMPLETE_KEEPS_CANCELLED reports a finished
    // task as cancelled).
    if (cancelled) {
      state_.fetch_or(kComplete | kCancelled, std::memory_order_acq_rel);
      return;
    }
    std::uint32_t s = state_.load(std::memory_order_relaxed);
    while (!state_.compare_exchange_weak(s, (s | kComplete) & ~kCancelled, std::memory_order_acq_rel,
                                         std::memory_order_relaxed)) {
    }
  }

  // Resumes the task where it last suspended (re-polling a leaf awaiter first). The resume
  // point is consumed, so a wake that arrives while the task is suspended in something that did
  // not set a new one (a foreign awaitable) resumes nothing instead of a running coroutine.
  void run() noexcept {
    if (leaf_poll_ != nullptr) {
      if (!leaf_poll_(leaf_awaiter_, this)) return;  // spurious wake: still waiting
      leaf_poll_ = nullptr;
    }
    if (auto h = std::exchange(resume_point_, nullptr)) h.resume();
  }

  // Called by a suspending leaf awaiter: resume `h` when woken (after `poll` says ready, if
  // given).
  void set_resume_point(std::coroutine_handle<> h, LeafPoll poll = nullptr, void* awaiter = nullptr) noexcept {
    resume_point_ = h;
    leaf_poll_ = poll;
    leaf_awaiter_ = awaiter;
  }

  std::coroutine_handle<> root() const noexcept { return root_; }
  bool root_done() const noexcept { return root_ && root_.done(); }
  // The task's coroutine finished: keeps its output in the header (if it has a place for it) and
  // destroys the frame now, so that nothing the frame owns outlives the task. Then complete.
  void finish_frame() noexcept {
    if (ops_ != nullptr && root_) ops_->harvest(this);
    destroy_frame();
  }
  // Destroys the coroutine frame of a task that will never run again (cancelled or shut down).
  void destroy_frame() noexcept {
    if (root_) {
      auto r = root_;
      root_ = nullptr;
      leaf_poll_ = nullptr;
      r.destroy();
    }
  }

  // The JoinHandle's waker, guarded by join_mutex_.
  void set_join_waker(const Waker& w) noexcept;
  // The same, for a caller that holds join_mutex().
  void set_join_waker_locked(const Waker& w) noexcept { join_waker_.clone_from(w); }
  // Takes and wakes the JoinHandle's waker.
  void wake_join() noexcept;
  sync::SpinLock& join_mutex() noexcept { return join_mutex_; }

  TaskScheduler* scheduler() const noexcept { return scheduler_.get(); }

  // Intrusive run-queue link (a task is in at most one queue: SCHEDULED guards it).
  TaskHeader* queue_next = nullptr;

  static const WakerVTable kWakerVTable;

 private:
  void destroy() noexcept;
  // Marks the task SCHEDULED (true: the caller must queue it) or NOTIFIED if running; false
  // when nothing needs queueing (already queued or notified, or complete).
  bool transition_to_notified() noexcept;
  bool transition_to_idle_slow(std::uint32_t s) noexcept;

  sync::Atomic<std::uint32_t> state_{0};
  sync::Atomic<std::uint32_t> refs_{1};
  std::coroutine_handle<> root_;
  std::coroutine_handle<> resume_point_;
  LeafPoll leaf_poll_ = nullptr;
  void* leaf_awaiter_ = nullptr;
  const TaskOps* ops_ = nullptr;
  std::shared_ptr<TaskScheduler> scheduler_;
  sync::SpinLock join_mutex_;  // held for a waker swap only, never across a wake (wake_join)
  Waker join_waker_;
};

// A Waker that borrows a reference instead of owning one: lets a task pass its waker to a
// poll function without a reference-count round trip. Copies made from it are owning.
class WakerRef {
 public:
  explicit WakerRef(TaskHeader* task) noexcept
      : waker_(Waker::from_raw(task, &TaskHeader::kWakerVTable)) {}
  WakerRef(const WakerRef&) = delete;
  WakerRef& operator=(const WakerRef&) = delete;
  ~WakerRef() { waker_.forget(); }
  operator const Waker&() const noexcept { return waker_; }  // NOLINT: meant to convert
  const Waker& get() const noexcept { return waker_; }

 private:
  Waker waker_;
};

}  // namespace eddy::detail
