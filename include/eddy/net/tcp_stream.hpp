// TcpStream: a connected TCP socket on the current runtime's I/O driver.
//
//   auto s = co_await eddy::net::TcpStream::connect(addr);      // Result<TcpStream>
//   auto n = co_await s->read(buf);                             // Result<size_t>, 0 = EOF
//   auto w = co_await s->write_all(data);                       // Result<void>
//
// All operations are non-blocking syscalls driven by edge-triggered readiness (see
// net/detail/poll_evented.hpp for the read path and the short-read trick). Each completed
// read/write/accept takes one unit of the task's coop budget, so a task on an always-ready
// socket yields every 128 operations and cannot starve the other tasks.
//
// Writes use MSG_NOSIGNAL: writing to a connection the peer closed or reset gives EPIPE or
// ECONNRESET, never SIGPIPE. A peer that half-closes (shutdown of its write side) makes read
// return 0 once everything it sent has been read; our write side keeps working.
//
// Cancellation (destroying the awaiting coroutine while suspended):
// - read/read_exact: no byte has been consumed from the socket by the pending poll (read_exact
//   keeps what it already read in the buffer, but the count is lost).
// - write/write_all: the pending poll has sent nothing (write_all's earlier chunks stay sent).
// - connect: the socket is closed; the connection attempt is abandoned.
// - readable/writable/ready: only the wait stops; readiness stays recorded.
//
// Threading: one task may read while another writes (see split()); every awaitable must be
// awaited on the runtime the stream was registered with.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/interest.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/net/detail/connect_core.hpp"
#include "eddy/net/detail/io_awaiters.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/shutdown.hpp"
#include "eddy/net/socket_addr.hpp"
#include "eddy/net/split.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/poll.hpp"
#include "eddy/ready.hpp"
#include "eddy/result.hpp"

namespace eddy::net {

class TcpStream;
namespace detail {
class TcpConnectAwaiter;
}

class TcpStream {
 public:
  // co_await: Result<TcpStream>. A non-blocking connect, then a wait for writability, then
  // SO_ERROR (a refused connection gives ECONNREFUSED). Cancellation closes the socket.
  static detail::TcpConnectAwaiter connect(const SocketAddr& addr) noexcept;

  // Adopts a connected socket (made non-blocking here) and registers it with the current
  // runtime. On failure the fd is closed.
  static Result<TcpStream> from_fd(OwnedFd fd);
  // Adopts an already registered socket (used by TcpListener::accept).
  explicit TcpStream(detail::PollEvented io) noexcept : io_(std::move(io)) {}

  TcpStream(TcpStream&&) noexcept = default;
  TcpStream& operator=(TcpStream&&) noexcept = default;
  // Deregisters and closes the socket.
  ~TcpStream() = default;

  // --- reading ---

  // co_await: Result<size_t>, the bytes read (at least 1 unless `buf` is empty); 0 means the
  // peer shut down its write side and everything it sent has been read.
  detail::ReadAwaiter read(MutableBuffer buf) noexcept { return {io_, buf}; }
  // co_await: Result<void>; fills `buf` completely, or NetError::unexpected_eof.
  detail::ReadExactAwaiter read_exact(MutableBuffer buf) noexcept { return {io_, buf}; }
  // Reads only if the socket is known readable; otherwise (or if recv would block, which
  // clears the readiness) gives EAGAIN at once. Costs no budget.
  Result<std::size_t> try_read(MutableBuffer buf) noexcept { return io_.try_read(buf); }
  Poll<Result<std::size_t>> poll_read(const Waker& waker, MutableBuffer buf) noexcept {
    return io_.poll_read(waker, buf);
  }

  // --- writing ---

  // co_await: Result<size_t>, the bytes sent (may be fewer than buf.size()).
  detail::WriteAwaiter write(ConstBuffer buf) noexcept { return {io_, buf}; }
  // co_await: Result<void>; sends all of `buf`.
  detail::WriteAllAwaiter write_all(ConstBuffer buf) noexcept { return {io_, buf}; }
  Result<std::size_t> try_write(ConstBuffer buf) noexcept { return io_.try_write(buf); }
  Poll<Result<std::size_t>> poll_write(const Waker& waker, ConstBuffer buf) noexcept {
    return io_.poll_write(waker, buf);
  }
  // Closes one or both directions (default: our write side, so the peer reads EOF). Calling it
  // again, or after the connection was reset, succeeds (ENOTCONN is not an error here).
  Result<void> shutdown(Shutdown how = Shutdown::Write);

  // --- readiness ---

  // co_await: Result<Ready>, the readiness seen (possibly spurious: try the operation, and
  // wait again if it would block). Any number of tasks may wait; costs no budget.
  detail::ReadyAwaiter ready(Interest interest) noexcept { return {io_, interest}; }
  detail::ReadyAwaiter readable() noexcept { return ready(Interest::READABLE); }
  detail::ReadyAwaiter writable() noexcept { return ready(Interest::WRITABLE); }
  // Poll-style readiness (one waker per direction; consumes budget when ready).
  Poll<Result<Ready>> poll_read_ready(const Waker& waker) noexcept {
    return io_.poll_ready(waker, io::Direction::Read);
  }
  Poll<Result<Ready>> poll_write_ready(const Waker& waker) noexcept {
    return io_.poll_ready(waker, io::Direction::Write);
  }

  // --- halves ---

  std::pair<ReadHalf<TcpStream>, WriteHalf<TcpStream>> split() noexcept {
    return {ReadHalf<TcpStream>(*this), WriteHalf<TcpStream>(*this)};
  }
  // Allocates once (the shared stream).
  std::pair<OwnedReadHalf<TcpStream>, OwnedWriteHalf<TcpStream>> into_split() && {
    auto shared = std::make_shared<TcpStream>(std::move(*this));
    return {OwnedReadHalf<TcpStream>(shared), OwnedWriteHalf<TcpStream>(shared)};
  }

  // --- socket options and addresses ---

  Result<SocketAddr> local_addr() const;
  Result<SocketAddr> peer_addr() const;
  Result<void> set_nodelay(bool on);
  Result<bool> nodelay() const;
  // SO_LINGER; Some(0s) makes close() send a reset (RST) instead of a FIN.
  Result<void> set_linger(std::optional<std::chrono::seconds> linger);
  // The pending socket error (SO_ERROR), cleared by reading it; empty if none.
  std::error_code take_error() const;

  int fd() const noexcept { return io_.fd(); }
  detail::PollEvented& poll_evented() noexcept { return io_; }

 private:
  detail::PollEvented io_;
};

namespace detail {

class TcpConnectAwaiter : public eddy::detail::PollAwaiter<TcpConnectAwaiter, Result<TcpStream>> {
 public:
  explicit TcpConnectAwaiter(const SocketAddr& addr) noexcept : addr_(addr) {}
  Poll<Result<TcpStream>> poll(const Waker& waker);

 private:
  SocketAddr addr_;
  ConnectCore core_;
};

}  // namespace detail

inline detail::TcpConnectAwaiter TcpStream::connect(const SocketAddr& addr) noexcept {
  return detail::TcpConnectAwaiter(addr);
}

}  // namespace eddy::net
