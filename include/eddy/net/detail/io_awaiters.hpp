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
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "eddy/coop.hpp"
#include "eddy/interest.hpp"
#include "eddy/io/detail/registration.hpp"

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/error.hpp"
#include "eddy/net/recv_buffer.hpp"

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

// An owned-buffer read: Result<RecvBuffer> (net/recv_buffer.hpp); empty means end of stream.
// Cancellation: nothing is consumed by a destroyed read_buf: in completion mode the received
// buffers stay queued on the stream for the next read; in epoll mode nothing was received (a
// waiting read_buf holds no buffer).
class ReadBufAwaiter : public eddy::detail::PollAwaiter<ReadBufAwaiter, Result<RecvBuffer>> {
 public:
  explicit ReadBufAwaiter(PollEvented& io) noexcept : io_(&io) {}
  Poll<Result<RecvBuffer>> poll(const Waker& waker) noexcept { return io_->poll_read_buf(waker); }
  bool wait_if_pending(const Waker& waker) noexcept { return io_->wait_if_pending_read_buf(waker); }

 private:
  PollEvented* io_;
};

class WriteAwaiter : public eddy::detail::PollAwaiter<WriteAwaiter, Result<std::size_t>> {
 public:
  WriteAwaiter(PollEvented& io, ConstBuffer buf) noexcept : io_(&io), buf_(buf) {}
  Poll<Result<std::size_t>> poll(const Waker& waker) noexcept { return io_->poll_write(waker, buf_, &ticket_); }
  bool wait_if_pending(const Waker& waker) noexcept { return io_->wait_if_pending(waker, io::Direction::Write); }

 private:
  PollEvented* io_;
  ConstBuffer buf_;
  std::uint64_t ticket_ = 0;  // completion mode: our send in the ring (uring_socket.hpp)
};

// One vectored read (recvmsg) into `bufs`, in order; see PollEvented::poll_read_vectored.
class ReadVectoredAwaiter : public eddy::detail::PollAwaiter<ReadVectoredAwaiter, Result<std::size_t>> {
 public:
  ReadVectoredAwaiter(PollEvented& io, std::span<const MutableBuffer> bufs) noexcept : io_(&io), bufs_(bufs) {}
  Poll<Result<std::size_t>> poll(const Waker& waker) noexcept { return io_->poll_read_vectored(waker, bufs_); }
  bool wait_if_pending(const Waker& waker) noexcept { return io_->wait_if_pending(waker, io::Direction::Read); }

 private:
  PollEvented* io_;
  std::span<const MutableBuffer> bufs_;
};

// One vectored write (sendmsg) from `bufs`, in order.
class WriteVectoredAwaiter : public eddy::detail::PollAwaiter<WriteVectoredAwaiter, Result<std::size_t>> {
 public:
  WriteVectoredAwaiter(PollEvented& io, std::span<const ConstBuffer> bufs) noexcept : io_(&io), bufs_(bufs) {}
  Poll<Result<std::size_t>> poll(const Waker& waker) noexcept {
    return io_->poll_write_vectored(waker, bufs_, &ticket_);
  }
  bool wait_if_pending(const Waker& waker) noexcept { return io_->wait_if_pending(waker, io::Direction::Write); }

 private:
  PollEvented* io_;
  std::span<const ConstBuffer> bufs_;
  std::uint64_t ticket_ = 0;
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
      auto r = io_->poll_write(waker, buf_.subspan(done_), &ticket_, true);
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
  std::uint64_t ticket_ = 0;
};

// Future-style readiness (any number of waiters; no budget). Gives the Ready set seen, which
// may be spurious or empty: callers try their operation and wait again on would-block.
// Movable until its first poll (the waiter is made then), so that timeout() can own it.
class ReadyAwaiter : public eddy::detail::PollAwaiter<ReadyAwaiter, Result<Ready>> {
 public:
  ReadyAwaiter(PollEvented& io, Interest interest) noexcept : io_(&io), interest_(interest) {}
  ReadyAwaiter(ReadyAwaiter&& o) noexcept : io_(o.io_), interest_(o.interest_) {}
  Poll<Result<Ready>> poll(const Waker& waker) noexcept {
    if (!readiness_) {
      // A completion-mode stream socket joins epoll now (PollEvented::ensure_registered).
      if (auto r = io_->ensure_registered(); !r) return Result<Ready>(r.error());
      readiness_.emplace(io_->registration().scheduled_io(), interest_);
    }
    auto ev = readiness_->poll(waker);
    if (!ev) return Pending;
    if (ev->is_shutdown) return Result<Ready>(Error::shutdown);
    return Result<Ready>(ev->ready);
  }

 private:
  PollEvented* io_;
  Interest interest_;
  std::optional<io::Readiness> readiness_;
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

// What every datagram receive waits for (as tokio's receives do): readable, or a pending socket
// error. A connected UDP socket whose peer is gone gets its ICMP error as EPOLLERR|EPOLLOUT,
// with nothing readable; waiting for read readiness alone would sleep forever, while the
// receive syscall would return the error (ECONNREFUSED) at once.
inline constexpr Interest kRecvInterest = Interest::READABLE | Interest::ERROR;

// Runs `f` (returning a Result) under `interest` until it does not block. It waits on a list
// waiter (io::Readiness), not on a direction's waker slot: the slot holds one waker, and an
// operation such as peek must not take the slot of a concurrent read. One unit of budget per
// call of `f` that does not block.
//
// Cancellation: destroying it while suspended only unlinks the waiter: nothing was received
// (the datagram, the bytes, or the pending error stay queued for the next receive).
// Movable until its first poll (timeout() and similar wrappers move it into place).
template <class F>
class ReadinessIoAwaiter : public eddy::detail::PollAwaiter<ReadinessIoAwaiter<F>, std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;

 public:
  ReadinessIoAwaiter(PollEvented& io, Interest interest, F f) noexcept(std::is_nothrow_move_constructible_v<F>)
      : io_(&io), interest_(interest), f_(std::move(f)) {}
  // Only before the first poll (the waiter is not linked yet).
  ReadinessIoAwaiter(ReadinessIoAwaiter&& o) noexcept(std::is_nothrow_move_constructible_v<F>)
      : io_(o.io_), interest_(o.interest_), f_(std::move(o.f_)) {}

  Poll<R> poll(const Waker& waker) {
    for (;;) {
      if (!readiness_) {
        if (auto e = io_->ensure_registered(); !e) return R(e.error());  // see ReadyAwaiter
        readiness_.emplace(io_->registration().scheduled_io(), interest_);
      }
      auto ev = readiness_->poll(waker);
      if (!ev) return Pending;
      readiness_.reset();
      if (ev->is_shutdown) return R(Error::shutdown);
      if (!coop::poll_proceed(waker)) return Pending;  // re-polled after the driver runs
      R r = f_();
      if (r || !io::is_would_block(r.error())) return r;
      coop::restore_one();
      io_->registration().clear_readiness(*ev);
    }
  }

 private:
  PollEvented* io_;
  Interest interest_;
  F f_;
  std::optional<io::Readiness> readiness_;
};

// A datagram receive: waits for kRecvInterest.
template <class F>
class DatagramRecvAwaiter : public ReadinessIoAwaiter<F> {
 public:
  DatagramRecvAwaiter(PollEvented& io, F f) noexcept(std::is_nothrow_move_constructible_v<F>)
      : ReadinessIoAwaiter<F>(io, kRecvInterest, std::move(f)) {}
};

}  // namespace eddy::net::detail
