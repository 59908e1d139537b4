// The awaiters behind every socket's read/write/read_exact/write_all/ready/... They live in the
// awaiting coroutine's frame (no allocation) and are polled first inside await_suspend, so an
// operation on a socket that is already ready completes without suspending.
//
// Cancellation (destroying the awaiting coroutine while it is suspended): the awaiter only
// waits for readiness while suspended, and a syscall that transfers data completes the
// operation in the same poll, so a destroyed read has consumed nothing from the socket and a
// destroyed write has sent nothing. read_exact/write_all are the exception: bytes moved by
// earlier polls stay moved (in the caller's buffer / sent to the peer) and the count is lost.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/error.hpp"

namespace eddy::net::detail {

class ReadAwaiter : public eddy::detail::PollAwaiter<ReadAwaiter, Result<std::size_t>> {
 public:
  ReadAwaiter(PollEvented& io, MutableBuffer buf) noexcept : io_(&io), buf_(buf) {}
  Poll<Result<std::size_t>> poll(const Waker& waker) noexcept { return io_->poll_read(waker, buf_); }
  bool wait_if_pending(const Waker& waker) noexcept { return io_->wait_if_pending(waker, io::Direction::Read); }

 private:
  PollEvented* io_;
  MutableBuffer buf_;
};

class WriteAwaiter : public eddy::detail::PollAwaiter<WriteAwaiter, Result<std::size_t>> {
 public:
  WriteAwaiter(PollEvented& io, ConstBuffer buf) noexcept : io_(&io), buf_(buf) {}
  Poll<Result<std::size_t>> poll(const Waker& waker) noexcept { return io_->poll_write(waker, buf_); }
  bool wait_if_pending(const Waker& waker) noexcept { return io_->wait_if_pending(waker, io::Direction::Write); }

 private:
  PollEvented* io_;
  ConstBuffer buf_;
};

// Fills the whole buffer; the end of the stream first gives NetError::unexpected_eof.
class ReadExactAwaiter : public eddy::detail::PollAwaiter<ReadExactAwaiter, Result<void>> {
 public:
  ReadExactAwaiter(PollEvented& io, MutableBuffer buf) noexcept : io_(&io), buf_(buf) {}
  Poll<Result<void>> poll(const Waker& waker) noexcept {
    while (done_ < buf_.size()) {
      auto r = io_->poll_read(waker, buf_.subspan(done_));
      if (!r) return Pending;
      if (!*r) return Result<void>(r->error());
      if (**r == 0) return Result<void>(NetError::unexpected_eof);
      done_ += **r;
    }
    return Result<void>();
  }

 private:
  PollEvented* io_;
  MutableBuffer buf_;
  std::size_t done_ = 0;
};

// Sends the whole buffer.
class WriteAllAwaiter : public eddy::detail::PollAwaiter<WriteAllAwaiter, Result<void>> {
 public:
  WriteAllAwaiter(PollEvented& io, ConstBuffer buf) noexcept : io_(&io), buf_(buf) {}
  Poll<Result<void>> poll(const Waker& waker) noexcept {
    while (done_ < buf_.size()) {
      auto r = io_->poll_write(waker, buf_.subspan(done_));
      if (!r) return Pending;
      if (!*r) return Result<void>(r->error());
      if (**r == 0) return Result<void>(std::make_error_code(std::errc::broken_pipe));
      done_ += **r;
    }
    return Result<void>();
  }

 private:
  PollEvented* io_;
  ConstBuffer buf_;
  std::size_t done_ = 0;
};

// Future-style readiness (any number of waiters; no budget). Gives the Ready set seen, which
// may be spurious or empty: callers try their operation and wait again on would-block.
class ReadyAwaiter : public eddy::detail::PollAwaiter<ReadyAwaiter, Result<Ready>> {
 public:
  ReadyAwaiter(PollEvented& io, Interest interest) noexcept
      : readiness_(io.registration().scheduled_io(), interest) {}
  Poll<Result<Ready>> poll(const Waker& waker) noexcept {
    auto ev = readiness_.poll(waker);
    if (!ev) return Pending;
    if (ev->is_shutdown) return Result<Ready>(Error::shutdown);
    return Result<Ready>(ev->ready);
  }

 private:
  io::Readiness readiness_;
};

// Runs `f` (returning a Result) under `direction`'s readiness until it does not block.
template <class F>
class IoAwaiter : public eddy::detail::PollAwaiter<IoAwaiter<F>, std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;

 public:
  IoAwaiter(PollEvented& io, io::Direction direction, F f) noexcept(std::is_nothrow_move_constructible_v<F>)
      : io_(&io), direction_(direction), f_(std::move(f)) {}
  Poll<R> poll(const Waker& waker) { return io_->poll_io(waker, direction_, f_); }
  bool wait_if_pending(const Waker& waker) noexcept { return io_->wait_if_pending(waker, direction_); }

 private:
  PollEvented* io_;
  io::Direction direction_;
  F f_;
};

}  // namespace eddy::net::detail
