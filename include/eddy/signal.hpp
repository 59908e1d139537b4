// eddy::signal: receive Unix signals as awaitable events.
//
//   auto sig = eddy::signal::signal(eddy::signal::SignalKind::user_defined1());  // Result<Signal>
//   co_await sig->recv();                          // the next SIGUSR1 after the listener was made
//   if (auto r = co_await eddy::signal::ctrl_c(); !r) { ... }   // the next SIGINT
//
// Needs a runtime with the I/O driver (Builder::enable_io() or enable_all()).
//
// Delivery: the first listener of a signal installs a process-wide handler (once per signal,
// chained to the handler that was there before; the signal's default action, e.g. termination
// for SIGINT, no longer happens). The handler only sets a flag and writes a byte to a self-pipe;
// each runtime with listeners watches its own dup of the pipe's read end through its I/O driver,
// and whichever runtime wakes first notifies every listener of the process, in every runtime.
// Every listener of a signal is notified; deliveries that happen before a listener calls recv()
// again merge into one (a listener is told "at least one since you last looked", not a count).
// A listener does not see deliveries from before it was created. Handlers stay installed for the
// life of the process (as in tokio).
//
// Errors from signal():
//   std::errc::invalid_argument         number <= 0, > SIGRTMAX, or refused by the kernel
//                                       (e.g. the C library's reserved real-time signals)
//   std::errc::operation_not_permitted  SIGKILL, SIGSTOP, SIGILL, SIGFPE, SIGSEGV
//   eddy::Error::no_runtime             called outside a runtime
//   eddy::Error::io_disabled            the runtime has no I/O driver
//   errno values                        the self-pipe could not be created or registered
#pragma once

#include <csignal>
#include <cstdint>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/signal/detail/signal_waiter.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"
#include "eddy/task.hpp"
#include "eddy/waker.hpp"

namespace eddy::signal {

class SignalKind {
 public:
  static constexpr SignalKind from_raw(int signum) noexcept { return SignalKind(signum); }
  static constexpr SignalKind alarm() noexcept { return SignalKind(SIGALRM); }
  static constexpr SignalKind child() noexcept { return SignalKind(SIGCHLD); }
  static constexpr SignalKind hangup() noexcept { return SignalKind(SIGHUP); }
  static constexpr SignalKind interrupt() noexcept { return SignalKind(SIGINT); }
  static constexpr SignalKind io() noexcept { return SignalKind(SIGIO); }
  static constexpr SignalKind pipe() noexcept { return SignalKind(SIGPIPE); }
  static constexpr SignalKind quit() noexcept { return SignalKind(SIGQUIT); }
  static constexpr SignalKind terminate() noexcept { return SignalKind(SIGTERM); }
  static constexpr SignalKind user_defined1() noexcept { return SignalKind(SIGUSR1); }
  static constexpr SignalKind user_defined2() noexcept { return SignalKind(SIGUSR2); }
  static constexpr SignalKind window_change() noexcept { return SignalKind(SIGWINCH); }

  constexpr int as_raw() const noexcept { return signum_; }
  friend constexpr bool operator==(SignalKind, SignalKind) noexcept = default;

 private:
  constexpr explicit SignalKind(int signum) noexcept : signum_(signum) {}
  int signum_;
};

// A listener for one signal. Movable; dropping it leaves the other listeners working.
class Signal {
 public:
  Signal(Signal&&) noexcept = default;
  Signal& operator=(Signal&&) noexcept = default;
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  SignalKind kind() const noexcept { return SignalKind::from_raw(signum_); }

  // co_await waits for the next delivery of the signal (see the file comment for merging).
  // Cancellation: destroying the awaiting coroutine unregisters its waiter; a delivery that
  // happens meanwhile is not lost: the next recv() on this listener sees it.
  class RecvAwaiter : public detail::PollAwaiter<RecvAwaiter, bool> {
   public:
    explicit RecvAwaiter(Signal& s) noexcept;
    RecvAwaiter(RecvAwaiter&&) = delete;
    ~RecvAwaiter();
    Poll<bool> poll(const Waker& waker) noexcept;
    void await_resume() noexcept {}

   private:
    Signal* sig_;
    bool registered_ = false;  // the waiter may be linked (it is unlinked by a broadcast)
    detail::signal::Waiter waiter_;
  };
  RecvAwaiter recv() noexcept { return RecvAwaiter(*this); }

 private:
  friend Result<Signal> signal(SignalKind kind) noexcept;
  Signal(int signum, std::uint64_t seen) noexcept : signum_(signum), seen_(seen) {}

  int signum_;
  std::uint64_t seen_;  // the delivery version this listener has consumed
};

// A listener for `kind` on the current runtime (errors: see the file comment).
Result<Signal> signal(SignalKind kind) noexcept;

// Completes at the next SIGINT (after the call starts). Errors as signal().
// Cancellation: destroying the awaiting coroutine drops its listener.
Task<Result<void>> ctrl_c();

}  // namespace eddy::signal
