// StreamBase<S>: the byte-stream API that TcpStream and UnixStream share, each call forwarded
// to the stream's PollEvented. The stream types add what differs: how they connect, their
// addresses and their socket options.
//
// Cancellation (destroying a coroutine suspended in one of these awaitables): see
// net/detail/io_awaiters.hpp; a destroyed read has consumed nothing and a destroyed write has
// sent nothing, except for read_exact/write_all, whose earlier progress stays made. The vectored
// forms behave as read/write: a destroyed one has moved no byte.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <utility>

#include "eddy/interest.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/net/owned_buffer.hpp"
#include "eddy/net/detail/io_awaiters.hpp"
#include "eddy/net/detail/owned_write.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/detail/socket_ops.hpp"
#include "eddy/net/split.hpp"
#include "eddy/poll.hpp"
#include "eddy/ready.hpp"
#include "eddy/result.hpp"
#include "eddy/waker.hpp"

namespace eddy::net::detail {

template <class Stream>
class StreamBase {
 public:
  // --- reading ---

  // co_await: Result<size_t>, the bytes read (at least 1 unless `buf` is empty); 0 means the
  // peer shut down its write side and everything it sent has been read.
  ReadAwaiter read(MutableBuffer buf) noexcept { return {io_, buf}; }
  // co_await: Result<RecvBuffer>, a lease of the next received bytes (at least 1; an empty
  // lease means end of stream). No copy in io_uring completion mode: see net/recv_buffer.hpp for
  // who owns the bytes when. Mixes with read() in order. A destroyed read_buf consumed nothing.
  ReadBufAwaiter read_buf() noexcept { return ReadBufAwaiter(io_); }
  // read_buf without waiting: a lease of bytes already received, or EAGAIN at once. Completion
  // mode lends the next queued buffer (no syscall); epoll mode receives only if the socket is
  // known readable, as try_read. An empty lease means end of stream. Costs no budget. A server
  // gathers what is queued behind a read_buf's lease with it, to answer in one sendmsg.
  Result<RecvBuffer> try_read_buf() noexcept { return io_.try_read_buf(); }
  // read_buf as a poll: Ready with a lease (or an error, or an empty lease at end of stream),
  // or Pending with `waker` kept, to be woken when bytes come. A Ready value takes one unit of
  // budget (when the budget is spent: Pending, and `waker` woken at once). For a connection that
  // waits without a task of its own: examples/echo_server/lazy.cpp (--lazy).
  Poll<Result<RecvBuffer>> poll_read_buf(const Waker& waker) noexcept { return io_.poll_read_buf(waker); }
  // co_await: Result<void>; fills `buf` completely, or NetError::unexpected_eof.
  ReadExactAwaiter read_exact(MutableBuffer buf) noexcept { return {io_, buf}; }
  // Reads only if the socket is known readable; otherwise (or if recv would block, which
  // clears the readiness) gives EAGAIN at once. Costs no budget.
  Result<std::size_t> try_read(MutableBuffer buf) noexcept { return io_.try_read(buf); }
  Poll<Result<std::size_t>> poll_read(const Waker& waker, MutableBuffer buf) noexcept {
    return io_.poll_read(waker, buf);
  }

  // co_await: Result<size_t>; one read into `bufs` in order (recvmsg over at most kMaxIoVecs
  // of them), with read()'s meaning of 0.
  ReadVectoredAwaiter read_vectored(std::span<const MutableBuffer> bufs) noexcept { return {io_, bufs}; }
  Result<std::size_t> try_read_vectored(std::span<const MutableBuffer> bufs) noexcept {
    return io_.try_read_vectored(bufs);
  }
  Poll<Result<std::size_t>> poll_read_vectored(const Waker& waker, std::span<const MutableBuffer> bufs) noexcept {
    return io_.poll_read_vectored(waker, bufs);
  }
  // co_await: Result<size_t>; copies up to buf.size() queued bytes without consuming them
  // (MSG_PEEK); 0 means end of stream. Waits on its own waiter, not the read slot, so it may
  // run beside a pending read. Cancellation: nothing consumed (nothing ever is).
  ReadinessIoAwaiter<RecvOp> peek(MutableBuffer buf) noexcept {
    return {io_, Interest::READABLE, RecvOp{io_.fd(), buf, MSG_PEEK}};
  }

  // --- writing ---

  // co_await: Result<size_t>, the bytes sent (may be fewer than buf.size()).
  WriteAwaiter write(ConstBuffer buf) noexcept { return {io_, buf}; }
  // co_await: Result<void>; sends all of `buf`.
  WriteAllAwaiter write_all(ConstBuffer buf) noexcept { return {io_, buf}; }
  Result<std::size_t> try_write(ConstBuffer buf) noexcept { return io_.try_write(buf); }
  Poll<Result<std::size_t>> poll_write(const Waker& waker, ConstBuffer buf) noexcept {
    return io_.poll_write(waker, buf);
  }

  // co_await: BufResult<size_t>{bytes sent, the buffer}. The buffer moves in and comes back in
  // the result, whatever it is; in io_uring completion mode the kernel sends from it directly
  // (no copy; SEND_ZC when large). May be short, as write(). What a destroyed awaiting
  // coroutine means for the bytes: net/detail/owned_write.hpp.
  WriteOwnedAwaiter write_owned(OwnedBuffer buf) noexcept { return {io_, std::move(buf)}; }
  // co_await: BufResult<void>; sends all of the buffer's bytes.
  WriteAllOwnedAwaiter write_all_owned(OwnedBuffer buf) noexcept { return {io_, std::move(buf)}; }

  // co_await: Result<size_t>; one write of `bufs` in order (sendmsg over at most kMaxIoVecs
  // of them); may send fewer bytes than their total.
  WriteVectoredAwaiter write_vectored(std::span<const ConstBuffer> bufs) noexcept { return {io_, bufs}; }
  Result<std::size_t> try_write_vectored(std::span<const ConstBuffer> bufs) noexcept {
    return io_.try_write_vectored(bufs);
  }
  Poll<Result<std::size_t>> poll_write_vectored(const Waker& waker, std::span<const ConstBuffer> bufs) noexcept {
    return io_.poll_write_vectored(waker, bufs);
  }

  // --- readiness ---

  // co_await: Result<Ready>, the readiness seen (possibly spurious: try the operation, and
  // wait again if it would block). Any number of tasks may wait; costs no budget.
  ReadyAwaiter ready(Interest interest) noexcept { return {io_, interest}; }
  ReadyAwaiter readable() noexcept { return ready(Interest::READABLE); }
  ReadyAwaiter writable() noexcept { return ready(Interest::WRITABLE); }
  // Poll-style readiness (one waker per direction; consumes budget when ready).
  Poll<Result<Ready>> poll_read_ready(const Waker& waker) noexcept {
    return io_.poll_ready(waker, io::Direction::Read);
  }
  Poll<Result<Ready>> poll_write_ready(const Waker& waker) noexcept {
    return io_.poll_ready(waker, io::Direction::Write);
  }

  // --- halves ---

  std::pair<ReadHalf<Stream>, WriteHalf<Stream>> split() noexcept {
    return {ReadHalf<Stream>(self()), WriteHalf<Stream>(self())};
  }
  // Allocates once (the shared stream).
  std::pair<OwnedReadHalf<Stream>, OwnedWriteHalf<Stream>> into_split() && {
    auto shared = std::make_shared<Stream>(std::move(self()));
    return {OwnedReadHalf<Stream>(shared), OwnedWriteHalf<Stream>(shared)};
  }

  int fd() const noexcept { return io_.fd(); }
  PollEvented& poll_evented() noexcept { return io_; }

 protected:
  explicit StreamBase(PollEvented io) noexcept : io_(std::move(io)) {}
  StreamBase(StreamBase&&) noexcept = default;
  StreamBase& operator=(StreamBase&&) noexcept = default;
  // Deregisters and closes the socket.
  ~StreamBase() = default;

  PollEvented io_;

 private:
  Stream& self() noexcept { return static_cast<Stream&>(*this); }
};

}  // namespace eddy::net::detail
