// Controlling the runtime's clock, for tests.
//
// A paused clock stands still. It moves only
// - when every task is idle and the runtime would block: the time driver then jumps the clock
//   straight to the next timer instead of waiting for it (auto-advance), or
// - when a task calls advance(d).
// So a test about hours of timers runs in microseconds, and never depends on the machine's speed.
// With a paused clock and no timer pending the runtime blocks as usual (I/O or a wake from
// another thread may still arrive).
//
// Start paused with Builder::start_paused(true), or call pause() from inside the runtime.
// Each of these aborts with a message outside a runtime or on one without the time driver.
#pragma once

#include "eddy/task.hpp"
#include "eddy/time/instant.hpp"

namespace eddy::time {

// Freezes the current runtime's clock (no effect if it is already paused). The frozen clock is
// rounded up to the time driver's 1 ms grid (Builder::start_paused starts on it), so that a
// sleep of whole milliseconds ends exactly that much later.
void pause() noexcept;
// Lets it run again from where it stands (no effect if it is not paused).
void resume() noexcept;
// True when the current runtime's clock is paused.
bool is_paused() noexcept;

// Moves the paused clock forward by `d`, then yields so that the timers now due fire before the
// caller continues. Aborts with a message if the clock is not paused.
// Cancellation: the clock has already moved when the coroutine is first suspended.
Task<void> advance(Duration d);

}  // namespace eddy::time
