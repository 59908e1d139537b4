// The runtime's clock: the steady clock, or a paused (virtual) one for tests.
//
// While paused, now() stands still and moves only through advance() (by a test, or by the time
// driver auto-advancing to the next timer when every task is idle). resume() lets it run again
// from where it stands, so it never goes backwards. Thread-safe; while the clock has never been
// paused now() is a plain steady_clock read.
#pragma once

#include <chrono>

#include "eddy/detail/sync.hpp"
#include "eddy/time/instant.hpp"

namespace eddy::detail {

class Clock {
 public:
  explicit Clock(bool start_paused) noexcept;

  time::Instant now() const noexcept;
  bool is_paused() const noexcept;

  // Idempotent.
  void pause() noexcept;
  void resume() noexcept;
  // Returns false (and does nothing) when the clock is not paused.
  bool advance(time::Duration d) noexcept;
  // Paused clock: moves now() forward to `t` if it is earlier.
  void advance_to(time::Instant t) noexcept;

 private:
  using Steady = std::chrono::steady_clock;

  // Never set back to false: once a test has paused, every now() takes the lock.
  sync::Atomic<bool> may_be_paused_{false};
  mutable sync::Mutex mutex_;
  bool paused_ = false;           // guarded
  time::Instant base_;            // guarded: now() at the last pause/resume/advance
  Steady::time_point unfrozen_;   // guarded: real time when it was last resumed
};

}  // namespace eddy::detail
