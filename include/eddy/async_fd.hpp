// AsyncFd<T>: waits for readiness on any file descriptor, through the current runtime's I/O
// driver. T is the fd's owner: an int (never closed by AsyncFd) or a type with fd(), such as
// OwnedFd (closed when the AsyncFd is destroyed, after deregistration).
//
// The edge-triggered discipline (docs/architecture.md): the fd must be non-blocking; try the I/O
// first and wait only after it would block; clear readiness exactly when the fd stops being
// ready (a would-block result), never just because a read succeeded.
//
// Cancellation: every awaitable here may be destroyed while suspended (with the coroutine
// that awaits it). That only stops the wait: readiness stays recorded in the driver and the
// next wait sees it, so no event is lost. async_io's closure is never called after that.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "eddy/coop.hpp"
#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/error.hpp"
#include "eddy/interest.hpp"
#include "eddy/io/detail/registration.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"
#include "eddy/runtime.hpp"

namespace eddy {

// Readiness observed by AsyncFd::ready(); clear it when the operation would block.
// Dropping the guard without clearing keeps the readiness (retain_ready() says so explicitly).
class [[nodiscard]] AsyncFdReadyGuard {
 public:
  AsyncFdReadyGuard(io::Registration& reg, io::ReadyEvent ev) noexcept : reg_(&reg), event_(ev) {}

  // The readiness seen (empty once cleared).
  Ready ready() const noexcept { return event_.ready; }

  // Clears the readiness this guard saw (unless newer readiness arrived since).
  void clear_ready() noexcept {
    if (event_.ready.is_empty()) return;
    reg_->clear_readiness(event_);
    event_.ready = Ready::EMPTY;
  }
  // Clears only `ready` of it; the guard keeps the rest.
  void clear_ready_matching(Ready ready) noexcept {
    if (event_.ready.is_empty()) return;
    reg_->clear_readiness(event_.with_ready(ready));
    event_.ready -= ready;
  }
  // Keeps the readiness (the default when the guard is dropped).
  void retain_ready() noexcept {}

  // Runs `f`; on would-block, clears the readiness and returns would-block.
  template <class F>
  auto try_io(F&& f) -> std::invoke_result_t<F&> {
    auto r = f();
    if (!r && io::is_would_block(r.error())) clear_ready();
    return r;
  }

 private:
  io::Registration* reg_;
  // Its ready set is emptied once cleared: clearing again is then a no-op.
  io::ReadyEvent event_;
};

template <class T>
class AsyncFd {
 public:
  // Registers `inner`'s fd with the current runtime's I/O driver. `inner` is moved from only on
  // success, so on failure the caller still owns it. Errors: Error::no_runtime outside a
  // runtime, Error::io_disabled without I/O, Error::shutdown after shutdown, or the kernel's.
  static Result<AsyncFd> create(T&& inner, Interest interest = Interest::READABLE | Interest::WRITABLE) {
    auto rt = RuntimeHandle::try_current();
    if (!rt) return Error::no_runtime;
    return create(std::move(inner), interest, rt->io_handle());
  }
  // The same with the I/O driver of a given runtime (RuntimeHandle::io_handle()).
  static Result<AsyncFd> create(T&& inner, Interest interest, const std::shared_ptr<io::Handle>& handle) {
    if (!handle) return Error::io_disabled;
    auto reg = io::Registration::create(handle, raw_fd(inner), interest);
    if (!reg) return reg.error();
    return AsyncFd(std::move(inner), std::move(*reg));
  }

  // A moved-from AsyncFd is empty: its destructor does nothing.
  AsyncFd(AsyncFd&& o) noexcept : inner_(std::move(o.inner_)), reg_(std::move(o.reg_)) {
    o.inner_.reset();
    o.reg_.reset();
  }
  AsyncFd& operator=(AsyncFd&& o) noexcept {
    if (this != &o) {
      release();
      inner_ = std::move(o.inner_);
      reg_ = std::move(o.reg_);
      o.inner_.reset();
      o.reg_.reset();
    }
    return *this;
  }
  AsyncFd(const AsyncFd&) = delete;
  AsyncFd& operator=(const AsyncFd&) = delete;
  // Deregisters, then drops the inner object (closing the fd if it owns it).
  ~AsyncFd() { release(); }

  int fd() const noexcept { return raw_fd(*inner_); }
  T& get_ref() noexcept { return *inner_; }
  const T& get_ref() const noexcept { return *inner_; }

  // Deregisters and hands the inner object back (nothing is closed).
  T into_inner() && {
    (void)reg_->deregister(raw_fd(*inner_));
    reg_.reset();
    T out = std::move(*inner_);
    inner_.reset();
    return out;
  }

  // --- future-style readiness (any number of waiters; costs no budget) ---

  class ReadyAwaiter : public detail::PollAwaiter<ReadyAwaiter, Result<AsyncFdReadyGuard>> {
   public:
    ReadyAwaiter(io::Registration& reg, Interest interest) noexcept : reg_(&reg), interest_(interest) {}
    // Only before the first poll (the waiter is made then), so that timeout() can own it.
    ReadyAwaiter(ReadyAwaiter&& o) noexcept : reg_(o.reg_), interest_(o.interest_) {}
    Poll<Result<AsyncFdReadyGuard>> poll(const Waker& waker) noexcept {
      if (!readiness_) readiness_.emplace(reg_->scheduled_io(), interest_);
      auto ev = readiness_->poll(waker);
      if (ev.is_pending()) return Pending;
      if (ev->is_shutdown) return Result<AsyncFdReadyGuard>(Error::shutdown);
      return Result<AsyncFdReadyGuard>(AsyncFdReadyGuard(*reg_, *ev));
    }

   private:
    io::Registration* reg_;
    Interest interest_;
    std::optional<io::Readiness> readiness_;
  };

  // co_await: Result<AsyncFdReadyGuard>, or Error::shutdown.
  ReadyAwaiter ready(Interest interest) noexcept { return ReadyAwaiter(*reg_, interest); }
  ReadyAwaiter readable() noexcept { return ready(Interest::READABLE); }
  ReadyAwaiter writable() noexcept { return ready(Interest::WRITABLE); }

  // --- poll-style readiness (one waker per direction; consumes budget) ---

  Poll<Result<AsyncFdReadyGuard>> poll_read_ready(const Waker& waker) { return poll_dir(waker, io::Direction::Read); }
  Poll<Result<AsyncFdReadyGuard>> poll_write_ready(const Waker& waker) { return poll_dir(waker, io::Direction::Write); }

  // --- operations ---

  // Waits for `interest`, runs `f` (which returns a Result), and repeats while `f` would block,
  // clearing readiness each time. Consumes one unit of budget per call of `f` that does not
  // block.
  template <class F>
  class AsyncIoAwaiter
      : public detail::PollAwaiter<AsyncIoAwaiter<F>, std::invoke_result_t<F&>> {
    using R = std::invoke_result_t<F&>;

   public:
    AsyncIoAwaiter(io::Registration& reg, Interest interest, F f) noexcept(std::is_nothrow_move_constructible_v<F>)
        : reg_(&reg), interest_(interest), f_(std::move(f)) {}
    // Only before the first poll (the waiter is made then).
    AsyncIoAwaiter(AsyncIoAwaiter&& o) noexcept(std::is_nothrow_move_constructible_v<F>)
        : reg_(o.reg_), interest_(o.interest_), f_(std::move(o.f_)) {}

    Poll<R> poll(const Waker& waker) {
      // The registration's one readiness loop, waiting through a list waiter (any number of
      // async_io calls may wait at once) instead of the direction's slot.
      return reg_->poll_io(
          [&]() noexcept -> Poll<Result<io::ReadyEvent>> {
            if (!readiness_) readiness_.emplace(reg_->scheduled_io(), interest_);
            auto ev = readiness_->poll(waker);
            if (ev.is_pending()) return Pending;
            readiness_.reset();
            if (ev->is_shutdown) return Result<io::ReadyEvent>(Error::shutdown);
            if (!coop::poll_proceed(waker)) return Pending;  // re-polled after the driver runs
            return Result<io::ReadyEvent>(*ev);
          },
          f_);
    }

   private:
    io::Registration* reg_;
    Interest interest_;
    F f_;
    std::optional<io::Readiness> readiness_;
  };

  template <class F>
  AsyncIoAwaiter<std::decay_t<F>> async_io(Interest interest, F&& f) {
    return AsyncIoAwaiter<std::decay_t<F>>(*reg_, interest, std::forward<F>(f));
  }

  // Runs `f` only if the fd is ready for `interest` (combined interests work); clears the
  // readiness when `f` would block (io::is_would_block). Not ready: io::would_block_error()
  // (EAGAIN in the system category, as every socket try_* gives) without calling `f`.
  template <class F>
  auto try_io(Interest interest, F&& f) -> std::invoke_result_t<F&> {
    return reg_->try_io(interest, std::forward<F>(f));
  }

  io::Registration& registration() noexcept { return *reg_; }

 private:
  AsyncFd(T&& inner, io::Registration reg) : inner_(std::move(inner)), reg_(std::move(reg)) {}

  Poll<Result<AsyncFdReadyGuard>> poll_dir(const Waker& waker, io::Direction d) {
    auto ev = reg_->poll_ready(waker, d);
    if (ev.is_pending()) return Pending;
    if (!*ev) return Result<AsyncFdReadyGuard>(ev->error());
    return Result<AsyncFdReadyGuard>(AsyncFdReadyGuard(*reg_, **ev));
  }

  void release() noexcept {
    if (reg_ && inner_) (void)reg_->deregister(raw_fd(*inner_));
    reg_.reset();
    inner_.reset();
  }

  std::optional<T> inner_;
  std::optional<io::Registration> reg_;
};

}  // namespace eddy
