// TaskHeader: the type-erased, reference-counted state of one spawned task.
//
// A task is a root coroutine (a Task<T> handed to spawn/block_on) plus its scheduling state.
// The coroutine frame lives only as long as the task runs: when the task finishes, its output is
// moved into the output slot next to the header (TaskCell<T>, eddy/detail/task_cell.hpp) and the
// frame is destroyed at once, with everything it owns (sockets, buffers, by-value parameters),
// whoever still holds the JoinHandle; a cancelled task's frame is destroyed likewise. As in tokio.
//
// One allocation per task: the header is not allocated on its own but built, at spawn, in the
// prefix every Task frame's block reserves in front of the frame (eddy/detail/task_frame.hpp):
//
//   block: [ output slot | TaskHeader | FrameTag | coroutine frame ... ]
//                                                ^ root coroutine's address
//
// so the root coroutine is found from the header's own address (no root pointer is stored) and
// the block is freed as one. The frame's destruction (finish, abort, shutdown) ends the frame's
// objects at once but leaves the block allocated: the frame's operator delete sees the tag's
// `owned` flag and frees nothing; the header's last unref frees the block (destroy()). Invariant
// relied on there: while a header lives in a block, only the header's destroy() frees it.
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

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
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

// What a header with an output slot (TaskCell<T>) does differently: harvest moves a finished
// root coroutine's output into the slot; drop_output destroys the slot's object.
struct TaskOps {
  void (*harvest)(TaskHeader* task) noexcept;
  void (*drop_output)(TaskHeader* task) noexcept;
};

// The word just in front of every Task coroutine frame (eddy/detail/task_frame.hpp): how the
// block was allocated, and whether a TaskHeader lives in its prefix (then the header, not the
// frame's operator delete, frees the block). Written by the frame's operator new; `owned` set
// once by TaskHeader::emplace before the task is published, read by the frame's operator delete.
struct FrameTag {
  std::uint32_t bytes;   // the block's size, as allocated (frame plus prefix)
  std::uint16_t prefix;  // bytes from the block's start to the frame
  bool owned;            // a TaskHeader lives in the prefix
};
static_assert(sizeof(FrameTag) == 8);

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

  // Builds the header of a task whose root coroutine is `root` in the prefix of root's block
  // and returns it (one reference). `root` must be a Task<T> coroutine (Promise<T>'s operator
  // new made its block) that no header owns yet. `ops` (null: no output slot) harvests the
  // output; `scheduler` (may be null and bound later, before the task is published) is kept
  // alive by every task, so that a late wake from another thread never reaches a destroyed
  // scheduler (a complete task does not touch it at all).
  static TaskHeader* emplace(std::coroutine_handle<> root, const TaskOps* ops,
                             std::shared_ptr<TaskScheduler> scheduler = nullptr) noexcept;
  void bind(std::shared_ptr<TaskScheduler> scheduler) noexcept { scheduler_ = std::move(scheduler); }
  TaskHeader(const TaskHeader&) = delete;
  TaskHeader& operator=(const TaskHeader&) = delete;

 private:
  TaskHeader(const TaskOps* ops, std::shared_ptr<TaskScheduler> scheduler) noexcept;
  ~TaskHeader() = default;  // only through unref (destroy), which frees the block

 public:
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

  // The root coroutine: it starts right behind the header and its tag (see the file comment).
  // Valid while the frame lives (frame_live()); the scheduler's poll path uses it unchecked.
  std::coroutine_handle<> frame() const noexcept {
    return std::coroutine_handle<>::from_address(
        const_cast<char*>(reinterpret_cast<const char*>(this)) + sizeof(TaskHeader) + sizeof(FrameTag));
  }
  bool frame_live() const noexcept { return frame_live_; }
  // The root coroutine, or null once its frame was destroyed.
  std::coroutine_handle<> root() const noexcept { return frame_live_ ? frame() : nullptr; }
  bool root_done() const noexcept { return frame_live_ && frame().done(); }
  // The header of the task whose root coroutine is `root` (built by emplace).
  static TaskHeader* from_root(std::coroutine_handle<> root) noexcept {
    return reinterpret_cast<TaskHeader*>(static_cast<char*>(root.address()) - sizeof(FrameTag) - sizeof(TaskHeader));
  }
  // The task's coroutine finished: keeps its output in the output slot (if it has one) and
  // destroys the frame now, so that nothing the frame owns outlives the task. Then complete.
  void finish_frame() noexcept {
    if (ops_ != nullptr && frame_live_) ops_->harvest(this);
    destroy_frame();
  }
  // Destroys the coroutine frame of a task that will never run again (cancelled or shut down).
  // The block stays allocated (the tag says the header owns it) until the last unref.
  void destroy_frame() noexcept {
    if (frame_live_) {
      frame_live_ = false;
      leaf_poll_ = nullptr;
      frame().destroy();
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
  std::coroutine_handle<> resume_point_;
  LeafPoll leaf_poll_ = nullptr;
  void* leaf_awaiter_ = nullptr;
  const TaskOps* ops_ = nullptr;
  std::shared_ptr<TaskScheduler> scheduler_;
  sync::SpinLock join_mutex_;  // held for a waker swap only, never across a wake (wake_join)
  // The root coroutine's frame has not been destroyed yet. Written only by the thread that owns
  // the frame at that moment (the one polling, completing or shutting the task down).
  bool frame_live_ = true;
  Waker join_waker_;
};

inline TaskHeader::TaskHeader(const TaskOps* ops, std::shared_ptr<TaskScheduler> scheduler) noexcept
    : resume_point_(frame()), ops_(ops), scheduler_(std::move(scheduler)) {}

inline TaskHeader* TaskHeader::emplace(std::coroutine_handle<> root, const TaskOps* ops,
                                       std::shared_ptr<TaskScheduler> scheduler) noexcept {
  char* const f = static_cast<char*>(root.address());
  // Relies on coroutine_handle::address() being the pointer the promise's operator new returned
  // (GCC and Clang lay the frame out from there), so the tag and prefix are where it put them.
  auto* tag = std::launder(reinterpret_cast<FrameTag*>(f - sizeof(FrameTag)));
  assert(!tag->owned && tag->prefix >= sizeof(FrameTag) + sizeof(TaskHeader));
  tag->owned = true;  // from now on the frame's operator delete leaves the block to destroy()
  return ::new (f - sizeof(FrameTag) - sizeof(TaskHeader)) TaskHeader(ops, std::move(scheduler));
}

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
