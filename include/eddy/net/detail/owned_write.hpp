// The owned-buffer write awaiters behind StreamBase::write_owned / write_all_owned: the caller's
// OwnedBuffer moves into the awaiter, and comes back in the BufResult whatever the outcome.
//
// Readiness mode (epoll): a plain send from the buffer while the awaiter holds it.
// Completion mode (io_uring TCP): the buffer moves on into the socket's send op (no copy), is
// sent by SEND (or SEND_ZC when large, on a kernel that has it), and moves back after the op's
// last CQE (for SEND_ZC, the notification that the kernel has let go of the bytes).
//
// Cancellation (destroying the awaiting coroutine while it is suspended):
// - readiness mode: nothing was sent by the pending poll (write_all_owned's earlier chunks stay
//   sent); the buffer is freed with the awaiter.
// - completion mode: a send in the ring stays there: its bytes go out, in order (the next write
//   on the stream waits for it), and the op keeps the buffer until that send's last CQE, then
//   frees it. Closing the stream (or the runtime's shutdown) cancels the send; the buffer is
//   still freed only after the last CQE. The count of bytes sent is lost. Under timeout() the
//   same holds: a timed-out owned write's buffer is not given back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <system_error>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/owned_buffer.hpp"

namespace eddy::net::detail {

// One send of the buffer's bytes (may be short, in either mode, as write()); the buffer comes
// back whole.
class WriteOwnedAwaiter : public eddy::detail::PollAwaiter<WriteOwnedAwaiter, BufResult<std::size_t>> {
 public:
  WriteOwnedAwaiter(PollEvented& io, OwnedBuffer buf) noexcept : io_(&io), buf_(std::move(buf)) {}
  // Movable until its first poll (so that timeout() can own it).
  WriteOwnedAwaiter(WriteOwnedAwaiter&& o) noexcept : io_(o.io_), buf_(std::move(o.buf_)) {}
  WriteOwnedAwaiter(const WriteOwnedAwaiter&) = delete;
  WriteOwnedAwaiter& operator=(const WriteOwnedAwaiter&) = delete;
  ~WriteOwnedAwaiter() {
    if (ticket_ != 0) uring_write_owned_abandoned(*io_, ticket_);
  }

  Poll<BufResult<std::size_t>> poll(const Waker& waker) noexcept {
    auto r = io_->poll_write_owned(waker, buf_, 0, &ticket_, false);
    if (r.is_pending()) return Pending;
    return BufResult<std::size_t>{std::move(*r), std::move(buf_)};
  }

 private:
  PollEvented* io_;
  OwnedBuffer buf_;
  std::uint64_t ticket_ = 0;  // completion mode: our send in the ring
};

// Sends all of the buffer's bytes; Result<void>, and the buffer. In completion mode one send
// with MSG_WAITALL: the kernel goes on after a partial send (polling the socket itself).
class WriteAllOwnedAwaiter : public eddy::detail::PollAwaiter<WriteAllOwnedAwaiter, BufResult<void>> {
 public:
  WriteAllOwnedAwaiter(PollEvented& io, OwnedBuffer buf) noexcept : io_(&io), buf_(std::move(buf)) {}
  // Movable until its first poll (so that timeout() can own it).
  WriteAllOwnedAwaiter(WriteAllOwnedAwaiter&& o) noexcept : io_(o.io_), buf_(std::move(o.buf_)), done_(o.done_) {}
  WriteAllOwnedAwaiter(const WriteAllOwnedAwaiter&) = delete;
  WriteAllOwnedAwaiter& operator=(const WriteAllOwnedAwaiter&) = delete;
  ~WriteAllOwnedAwaiter() {
    if (ticket_ != 0) uring_write_owned_abandoned(*io_, ticket_);
  }

  Poll<BufResult<void>> poll(const Waker& waker) noexcept {
    for (;;) {
      // The size is read only while the buffer is here (in completion mode it is in the op
      // between the submission and the result).
      if (ticket_ == 0 && done_ >= buf_.size()) return BufResult<void>{Result<void>(), std::move(buf_)};
      auto r = io_->poll_write_owned(waker, buf_, done_, &ticket_, true);
      if (r.is_pending()) return Pending;
      if (!*r) return BufResult<void>{Result<void>(r->error()), std::move(buf_)};
      if (**r == 0) {
        return BufResult<void>{Result<void>(std::make_error_code(std::errc::broken_pipe)), std::move(buf_)};
      }
      done_ += **r;
    }
  }

 private:
  PollEvented* io_;
  OwnedBuffer buf_;
  std::size_t done_ = 0;
  std::uint64_t ticket_ = 0;
};

}  // namespace eddy::net::detail
