#include "eddy/io/detail/scheduled_io.hpp"

#include "util/wake_list.hpp"

namespace eddy::io {

using eddy::detail::sync::LockGuard;
using eddy::detail::sync::SpinLock;
using eddy::detail::sync::UniqueLock;

ScheduledIo::~ScheduledIo() { wake(Ready::ALL); }

static_assert(sizeof(ScheduledIo) <= kPaddedScheduledIoSize, "the padded allocation must hold a ScheduledIo");

ScheduledIo* ScheduledIo::create(bool padded) noexcept {
  void* mem = padded ? ::operator new(kPaddedScheduledIoSize, std::align_val_t{kPaddedScheduledIoSize}, std::nothrow)
                     : ::operator new(sizeof(ScheduledIo), std::nothrow);
  if (mem == nullptr) return nullptr;
  auto* io = ::new (mem) ScheduledIo();
  io->padded_ = padded;
  return io;
}

void ScheduledIo::destroy(ScheduledIo* io) noexcept {
  const bool padded = io->padded_;
  io->~ScheduledIo();
  // Unsized: clang 14 declares the sized forms only with -fsized-deallocation.
  if (padded) {
    ::operator delete(static_cast<void*>(io), std::align_val_t{kPaddedScheduledIoSize});
  } else {
    ::operator delete(static_cast<void*>(io));
  }
}

void ScheduledIo::shutdown() noexcept {
  // Model: models/readiness.pml S2 (sticky SHUTDOWN; variant CLEAR_DROPS_SHUTDOWN loses it) and
  // S3 (the wake).
  readiness_.fetch_or(kShutdownBit, std::memory_order_acq_rel);
  wake(Ready::ALL);
}

void ScheduledIo::wake_with_list(Ready ready, bool wake_reader, bool wake_writer) noexcept {
  // Model: models/readiness.pml W1/W2 for list waiters (unlink, is_ready, take the waker).
  UniqueLock<SpinLock> lock(mutex_, std::adopt_lock);
  // Declared with the lock held, so it is destroyed while the lock is held: every path below
  // empties it (wake_all with the lock dropped) first, so its destructor has nothing left to wake.
  eddy::detail::WakeList wakers;

  // At most two slot wakers; a fresh WakeList always has room for them.
  if (wake_reader) wakers.push(std::move(reader_));
  if (wake_writer) wakers.push(std::move(writer_));

  for (;;) {
    bool batch_full = false;
    detail::Waiter* w = waiters_.front();
    while (w != nullptr) {
      detail::Waiter* next = decltype(waiters_)::next(*w);
      if (ready.satisfies(w->interest)) {
        waiters_.remove(*w);
        w->is_ready = true;
        if (w->waker) wakers.push(std::move(w->waker));
        if (!wakers.can_push()) {
          batch_full = true;
          break;
        }
      }
      w = next;
    }
    if (!batch_full) break;
    // Wake this batch without the lock, then rescan from the head: nodes already unlinked are
    // not seen again, and nodes destroyed meanwhile have unlinked themselves under the lock.
    lock.unlock();
    wakers.wake_all();
    lock.lock();
  }

  lock.unlock();
  wakers.wake_all();
}

void ScheduledIo::replace_slot(Waker& slot, const Waker& waker) noexcept {
  Waker old = std::exchange(slot, Waker(waker));
  mutex_.unlock();
}

void ScheduledIo::clear_wakers() noexcept {
  // Model: models/readiness.pml T3.
  Waker reader, writer;
  {
    LockGuard<SpinLock> lock(mutex_);
    reader = std::move(reader_);
    writer = std::move(writer_);
  }
  // Dropped here, outside the lock: dropping a task waker may destroy the task.
}

// --- Readiness -----------------------------------------------------------------------------

Readiness::~Readiness() {
  // Model: models/readiness.pml L5.
  if (state_ == State::Waiting) {
    Waker dropped;
    {
      LockGuard<SpinLock> lock(io_->mutex_);
      io_->waiters_.remove(waiter_);
      dropped = std::move(waiter_.waker);
    }
  }
}

ReadyEvent Readiness::done_event() const noexcept {
  const std::uint64_t curr = io_->readiness_.load(std::memory_order_acquire);
  const bool shutdown = (curr & ScheduledIo::kShutdownBit) != 0;
  const Ready ready = shutdown ? Ready::from_interest(waiter_.interest)
                               : ScheduledIo::ready_of(curr).intersection(waiter_.interest);
  return ReadyEvent{ScheduledIo::tick_of(curr), ready, shutdown};
}

Poll<ReadyEvent> Readiness::poll(const Waker& waker) noexcept {
  switch (state_) {
    case State::Init: {
      // Optimistic check without the lock. Model: models/readiness.pml L1, then L2 (the re-load
      // under the lock; variant LIST_NO_RECHECK drops it) and L3 (link the waiter).
      std::uint64_t curr = io_->readiness_.load(std::memory_order_seq_cst);
      if ((curr & ScheduledIo::kShutdownBit) != 0 ||
          ScheduledIo::ready_of(curr).satisfies(waiter_.interest)) {
        state_ = State::Done;
        return done_event();
      }
      LockGuard<SpinLock> lock(io_->mutex_);
      curr = io_->readiness_.load(std::memory_order_seq_cst);
      if ((curr & ScheduledIo::kShutdownBit) != 0 ||
          ScheduledIo::ready_of(curr).satisfies(waiter_.interest)) {
        state_ = State::Done;
        return done_event();
      }
      waiter_.waker = waker;
      waiter_.is_ready = false;
      io_->waiters_.push_front(waiter_);
      state_ = State::Waiting;
      return Pending;
    }
    case State::Waiting: {
      // Model: models/readiness.pml L4.
      {
        LockGuard<SpinLock> lock(io_->mutex_);
        if (!waiter_.is_ready) {
          waiter_.waker.clone_from(waker);
          return Pending;
        }
      }
      state_ = State::Done;
      return done_event();
    }
    case State::Done:
      break;
  }
  return done_event();
}

}  // namespace eddy::io
