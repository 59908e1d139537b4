// UnixStream: a connected Unix domain stream socket on the current runtime's I/O driver.
// Same operations, read path, budget, SIGPIPE and half-close behaviour as TcpStream (see
// tcp_stream.hpp), and the same io_uring completion mode under Builder::io_backend(io_uring)
// (docs/io-uring.md, "Sockets"); addresses are UnixSocketAddr.
//
// Cancellation (destroying the awaiting coroutine while suspended):
// - read/read_exact: nothing consumed by the pending poll (read_exact keeps what it already
//   read in the buffer, the count is lost).
// - write/write_all: nothing sent by the pending poll. In io_uring completion mode the send in
//   flight still goes out, in order (as for TcpStream).
// - connect: the socket is closed; the attempt is abandoned.
// - readable/writable/ready: only the wait stops.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/interest.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/net/detail/connect_core.hpp"
#include "eddy/net/detail/io_awaiters.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/detail/stream_base.hpp"
#include "eddy/net/split.hpp"
#include "eddy/net/shutdown.hpp"
#include "eddy/net/ucred.hpp"
#include "eddy/net/unix_socket_addr.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/poll.hpp"
#include "eddy/ready.hpp"
#include "eddy/result.hpp"

namespace eddy::net {

class UnixStream;
namespace detail {
class UnixConnectAwaiter;
}

class UnixStream : public detail::StreamBase<UnixStream> {
 public:
  // co_await: Result<UnixStream>. Waits until the socket is writable and reports SO_ERROR, so
  // a listener that goes away before accepting gives ECONNREFUSED or ECONNRESET; a missing
  // path gives ENOENT. Cancellation closes the socket.
  static detail::UnixConnectAwaiter connect(const UnixSocketAddr& addr) noexcept;
  // A path (an invalid one gives invalid_argument when awaited).
  static detail::UnixConnectAwaiter connect(std::string_view path) noexcept;

  // A connected pair (socketpair), both registered with the current runtime. Under
  // Builder::io_backend(io_uring) both are in completion mode, as TCP streams are.
  static Result<std::pair<UnixStream, UnixStream>> pair();
  // Adopts a connected socket (made non-blocking here). On failure the fd is closed.
  static Result<UnixStream> from_fd(OwnedFd fd);
  // Adopts an already registered socket (used by UnixListener::accept and connect). Under
  // Builder::io_backend(io_uring) it goes into completion mode here (PollEvented), as a
  // TcpStream does.
  explicit UnixStream(detail::PollEvented io) : StreamBase(std::move(io)) { io_.enable_completion_mode(false); }

  UnixStream(UnixStream&&) noexcept = default;
  UnixStream& operator=(UnixStream&&) noexcept = default;
  ~UnixStream() = default;

  // Reading, writing, readiness and split(): see detail::StreamBase.

  // See TcpStream::shutdown.
  Result<void> shutdown(Shutdown how = Shutdown::Write);

  Result<UnixSocketAddr> local_addr() const;
  Result<UnixSocketAddr> peer_addr() const;
  // The connecting process's credentials (SO_PEERCRED), recorded when the connection was made.
  Result<UCred> peer_cred() const;
  std::error_code take_error() const;
};

namespace detail {

class UnixConnectAwaiter : public eddy::detail::PollAwaiter<UnixConnectAwaiter, Result<UnixStream>> {
 public:
  explicit UnixConnectAwaiter(Result<UnixSocketAddr> addr) noexcept : addr_(std::move(addr)) {}
  Poll<Result<UnixStream>> poll(const Waker& waker);

 private:
  Result<UnixSocketAddr> addr_;
  ConnectCore core_;
};

}  // namespace detail

inline detail::UnixConnectAwaiter UnixStream::connect(const UnixSocketAddr& addr) noexcept {
  return detail::UnixConnectAwaiter(addr);
}
inline detail::UnixConnectAwaiter UnixStream::connect(std::string_view path) noexcept {
  return detail::UnixConnectAwaiter(UnixSocketAddr::from_path(path));
}

}  // namespace eddy::net
