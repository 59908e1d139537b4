#include "eddy/detail/task_header.hpp"

#include "eddy/detail/frame_alloc.hpp"
#include "eddy/join_handle.hpp"

namespace eddy::detail {
namespace {

void* waker_clone(void* data) noexcept {
  static_cast<TaskHeader*>(data)->ref();
  return data;
}
void waker_wake(void* data) noexcept { static_cast<TaskHeader*>(data)->wake_by_val(); }
void waker_wake_by_ref(void* data) noexcept { static_cast<TaskHeader*>(data)->wake_by_ref(); }
void waker_drop(void* data) noexcept { static_cast<TaskHeader*>(data)->unref(); }

}  // namespace

const WakerVTable TaskHeader::kWakerVTable = {&waker_clone, &waker_wake, &waker_wake_by_ref, &waker_drop};

bool TaskHeader::transition_to_notified() noexcept {
  // Model: models/task_state.pml W1 (variant WAKE_SCHEDULES_COMPLETE drops the COMPLETE test).
  // The common case first: idle (suspended, not queued) -> SCHEDULED in one CAS.
  std::uint32_t s = 0;
  if (state_.compare_exchange_strong(s, kScheduled, std::memory_order_acq_rel, std::memory_order_acquire)) {
    return true;
  }
  for (;;) {
    if ((s & kComplete) != 0) return false;
    if ((s & kRunning) != 0) {
      if ((s & kNotified) != 0) return false;
      if (state_.compare_exchange_weak(s, s | kNotified, std::memory_order_acq_rel)) return false;
      continue;
    }
    if ((s & kScheduled) != 0) return false;
    if (state_.compare_exchange_weak(s, s | kScheduled, std::memory_order_acq_rel)) return true;
  }
}

void TaskHeader::wake_by_ref() noexcept {
  if (transition_to_notified()) {
    ref();  // the run queue's
    scheduler_->schedule(this);
  }
}

void TaskHeader::wake_by_val() noexcept {
  // Model: models/task_state.pml W2.
  // The waker's reference becomes the run queue's, saving a ref/unref pair on every wake.
  if (transition_to_notified()) scheduler_->schedule(this);
  else unref();
}

void TaskHeader::abort() noexcept {
  // Model: models/task_state.pml A1 (variant ABORT_NO_SCHEDULE loses the abort of an idle task).
  std::uint32_t s = state_.load(std::memory_order_acquire);
  for (;;) {
    if ((s & (kComplete | kCancelled)) != 0) return;
    // A running or queued task notices the flag when its poll ends or when it is picked.
    const bool must_schedule = (s & (kRunning | kScheduled)) == 0;
    const std::uint32_t next = s | kCancelled | (must_schedule ? kScheduled : 0u);
    if (state_.compare_exchange_weak(s, next, std::memory_order_acq_rel)) {
      if (must_schedule) {
        ref();
        scheduler_->schedule(this);
      }
      return;
    }
  }
}

bool TaskHeader::transition_to_idle_slow(std::uint32_t s) noexcept {
  for (;;) {
    if ((s & (kNotified | kCancelled)) != 0) {
      const std::uint32_t next = (s & ~(kRunning | kNotified)) | kScheduled;
      if (state_.compare_exchange_weak(s, next, std::memory_order_acq_rel)) return true;
    } else {
      if (state_.compare_exchange_weak(s, s & ~kRunning, std::memory_order_acq_rel)) return false;
    }
  }
}

void TaskHeader::set_join_waker(const Waker& w) noexcept {
  sync::LockGuard<sync::SpinLock> lock(join_mutex_);
  join_waker_.clone_from(w);
}

void TaskHeader::wake_join() noexcept {
  Waker w;
  {
    sync::LockGuard<sync::SpinLock> lock(join_mutex_);
    w = std::move(join_waker_);
  }
  w.wake();
}

void TaskHeader::destroy() noexcept {
  // The last reference: the block (frame, header, output slot) goes. A frame still alive here
  // belongs to a task that never completed (a ChildTask dropped by its owner): destroy it first;
  // its operator delete frees nothing (the tag says the header owns the block).
  destroy_frame();
  if (ops_ != nullptr) ops_->drop_output(this);
  char* const f = static_cast<char*>(frame().address());
  const FrameTag tag = *std::launder(reinterpret_cast<const FrameTag*>(f - sizeof(FrameTag)));
  this->~TaskHeader();
  frame_deallocate(f - tag.prefix, tag.bytes);
}

Poll<bool> poll_join(TaskHeader& task, const Waker& waker) noexcept {
  sync::LockGuard<sync::SpinLock> lock(task.join_mutex());
  if (task.is_complete()) return true;
  task.set_join_waker_locked(waker);
  return Pending;
}

}  // namespace eddy::detail
