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
//   In io_uring completion mode the send in flight still goes out, in order (docs/io-uring.md).
// - write_owned/write_all_owned: see net/detail/owned_write.hpp (in completion mode the send in
//   flight goes out, in order, and its buffer is freed after its last completion).
// - connect: the socket is closed; the connection attempt is abandoned.
// - readable/writable/ready: only the wait stops; readiness stays recorded.
//
// Threading: one task may read while another writes (see split()); every awaitable must be
// awaited on the runtime the stream was registered with.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/interest.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/net/detail/connect_core.hpp"
#include "eddy/net/detail/io_awaiters.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/detail/stream_base.hpp"
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

class TcpStream : public detail::StreamBase<TcpStream> {
 public:
  // co_await: Result<TcpStream>. A non-blocking connect, then a wait for writability, then
  // SO_ERROR (a refused connection gives ECONNREFUSED). Cancellation closes the socket.
  static detail::TcpConnectAwaiter connect(const SocketAddr& addr) noexcept;

  // Adopts a connected socket (made non-blocking here) and registers it with the current
  // runtime. On failure the fd is closed.
  static Result<TcpStream> from_fd(OwnedFd fd);
  // Adopts an already registered socket (used by TcpListener::accept and connect). Under
  // Builder::io_backend(io_uring) it goes into completion mode here (PollEvented).
  explicit TcpStream(detail::PollEvented io) : StreamBase(std::move(io)) { io_.enable_completion_mode(false); }

  TcpStream(TcpStream&&) noexcept = default;
  TcpStream& operator=(TcpStream&&) noexcept = default;
  // Deregisters and closes the socket.
  ~TcpStream() = default;

  // Reading, writing, readiness and split(): see detail::StreamBase.

  // Closes one or both directions (default: our write side, so the peer reads EOF). Calling it
  // again, or after the connection was reset, succeeds (ENOTCONN is not an error here).
  Result<void> shutdown(Shutdown how = Shutdown::Write);

  // --- socket options and addresses ---

  Result<SocketAddr> local_addr() const;
  Result<SocketAddr> peer_addr() const;
  Result<void> set_nodelay(bool on);
  Result<bool> nodelay() const;
  // SO_LINGER; Some(0s) makes close() send a reset (RST) instead of a FIN. nullopt is off.
  Result<void> set_linger(std::optional<std::chrono::seconds> linger);
  Result<std::optional<std::chrono::seconds>> linger() const;
  // IP_TTL (IPV6_UNICAST_HOPS on an IPv6 socket): the hop limit of outgoing packets.
  Result<void> set_ttl(std::uint32_t ttl);
  Result<std::uint32_t> ttl() const;
  // The pending socket error (SO_ERROR), cleared by reading it; empty if none.
  std::error_code take_error() const;

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
