#include "eddy/time/sleep.hpp"

#include "eddy/error.hpp"
#include "time/current.hpp"
#include "time/time_handle.hpp"

namespace eddy::time {

using detail::TimerEntry;

Sleep::Sleep(Instant deadline) noexcept : Sleep(detail::current_time_handle("eddy::time::sleep"), deadline) {}

Sleep::Sleep(std::shared_ptr<detail::TimeHandle> handle, Instant deadline) noexcept
    : handle_(std::move(handle)), deadline_(deadline) {}

Sleep::Sleep(Sleep&& other) noexcept
    : PollAwaiter(std::move(other)), handle_(other.handle_), deadline_(other.deadline_) {
  const auto s = other.entry_.state.load(std::memory_order_acquire);
  if (s == TimerEntry::kRegistered) {
    handle_->transfer(other.entry_, entry_);
  } else {
    entry_.state.store(s, std::memory_order_relaxed);
  }
}

Sleep::~Sleep() {
  // A fired entry is no longer touched by the driver (kFired is its last write).
  if (entry_.state.load(std::memory_order_acquire) == TimerEntry::kRegistered) handle_->cancel(entry_);
}

bool Sleep::is_elapsed() const noexcept {
  return entry_.state.load(std::memory_order_acquire) == TimerEntry::kFired;
}

void Sleep::reset(Instant deadline) noexcept {
  if (entry_.state.load(std::memory_order_acquire) == TimerEntry::kRegistered) handle_->cancel(entry_);
  entry_.state.store(TimerEntry::kIdle, std::memory_order_relaxed);
  deadline_ = deadline;
}

Poll<Result<void>> Sleep::poll(const Waker& waker) noexcept {
  std::uint8_t s = entry_.state.load(std::memory_order_acquire);
  if (s == TimerEntry::kIdle) {
    // Already passed: no trip through the wheel.
    if (deadline_ <= handle_->now()) {
      entry_.state.store(TimerEntry::kFired, std::memory_order_relaxed);
      return Result<void>();
    }
    s = handle_->register_timer(entry_, handle_->deadline_to_tick(deadline_), waker);
  } else if (s == TimerEntry::kRegistered) {
    s = handle_->update_waker(entry_, waker);
  }
  switch (s) {
    case TimerEntry::kFired:
      return Result<void>();
    case TimerEntry::kShutdown:
      return Result<void>(Error::shutdown);
    default:
      return Pending;
  }
}

Sleep sleep(Duration d) noexcept { return Sleep(Instant::now() + d); }

Sleep sleep_until(Instant deadline) noexcept { return Sleep(deadline); }

std::size_t registered_timers() noexcept {
  detail::TimeHandle* t = detail::try_current_time_handle();
  return t != nullptr ? t->timer_count() : 0;
}

}  // namespace eddy::time
