// The process-wide signal registry: one self-pipe and one slot per signal number.
//
// The OS handler (installed once per signal, on first use, chaining to whatever handler was
// there before) is async-signal-safe: it sets the slot's `pending` flag, writes one byte to the
// pipe (a full pipe is fine: a wake-up is already pending), restores errno and calls the
// previous handler. Every runtime that uses signals registers its own dup of the pipe's read end
// in its I/O driver under the signal token; whichever runtime sees it readable first drains it
// and calls broadcast(), which turns each pending flag into a new "version" of that signal and
// wakes the waiting listeners of every runtime. Listeners compare versions, so deliveries that
// arrive before a listener looks again merge into one (tokio's watch channel semantics).
//
// Created on first use and never destroyed (a handler may run during exit); its fds close with
// the process.
#pragma once

#include <csignal>
#include <cstdint>

#include "eddy/detail/linked_list.hpp"
#include "eddy/signal/detail/signal_waiter.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/result.hpp"
#include "eddy/waker.hpp"

namespace eddy::detail::signal {

// Highest signal number + 1 (covers SIGRTMAX on Linux).
inline constexpr int kSlots = NSIG;

struct Slot {
  sync::Atomic<bool> pending{false};  // set by the handler, cleared by broadcast
  sync::Mutex mutex;
  bool installed = false;                    // guarded
  struct sigaction previous {};              // written once before our handler is installed
  std::uint64_t version = 0;                 // guarded: deliveries broadcast so far
  IntrusiveList<Waiter, WaiterTag> waiters;  // guarded
};

class Registry {
 public:
  // The registry, created (with its pipe) on first call; fails only if the pipe cannot be made.
  static Result<Registry*> instance() noexcept;

  // Checks `signum` and installs the OS handler once. invalid_argument for numbers out of
  // range (<= 0, > SIGRTMAX, or refused by sigaction), operation_not_permitted for the signals
  // that must not be handled (SIGKILL, SIGSTOP, SIGILL, SIGFPE, SIGSEGV).
  Result<void> enable(int signum) noexcept;

  // Validation alone (no handler installed).
  static Result<void> check(int signum) noexcept;

  Slot& slot(int signum) noexcept { return slots_[signum]; }
  int receiver_fd() const noexcept { return receiver_; }

  // Turns pending flags into new versions and wakes their waiters. Any thread, no lock held.
  void broadcast() noexcept;

  // The OS handler's body (public for the C-linkage trampoline).
  void on_signal(int signum, siginfo_t* info, void* ctx) noexcept;

 private:
  Registry(int receiver, int sender) noexcept : receiver_(receiver), sender_(sender) {}

  const int receiver_;
  const int sender_;
  Slot slots_[kSlots];
};

}  // namespace eddy::detail::signal
