// TcpSocket: a TCP socket not yet connected or listening, for the options that must be set
// before bind, connect or listen (tokio's TcpSocket).
//
//   auto s = eddy::net::TcpSocket::new_v4();                    // Result<TcpSocket>
//   s->set_reuseaddr(true);
//   s->bind(local);                                             // optional: choose our address
//   auto stream = co_await std::move(*s).connect(remote);       // Result<TcpStream>
//   // or: auto listener = std::move(*s).listen(1024);          // Result<TcpListener>
//
// The socket is created non-blocking and close-on-exec and is not registered with any driver
// until connect or listen, so making one and setting options needs no runtime. Every setter
// has a getter giving what the kernel holds (the kernel doubles SO_SNDBUF/SO_RCVBUF and clamps
// them, so a buffer size reads back as at least what was asked, not exactly it).
// Options on a socket that is gone (moved from) give EBADF.
//
// Cancellation: destroying a coroutine suspended in connect() closes the socket; the
// connection attempt is abandoned (as TcpStream::connect).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/net/detail/connect_core.hpp"
#include "eddy/net/socket_addr.hpp"
#include "eddy/net/tcp_listener.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"
#include "eddy/waker.hpp"

namespace eddy::net {

namespace detail {
class TcpSocketConnectAwaiter;
}

class TcpSocket {
 public:
  // A new IPv4 / IPv6 stream socket.
  static Result<TcpSocket> new_v4();
  static Result<TcpSocket> new_v6();
  // Adopts a TCP socket (made non-blocking here). On failure the fd is closed.
  static Result<TcpSocket> from_fd(OwnedFd fd);

  TcpSocket(TcpSocket&&) noexcept = default;
  TcpSocket& operator=(TcpSocket&&) noexcept = default;
  // Closes the socket (if it was not turned into a stream or listener).
  ~TcpSocket() = default;

  // --- options (SOL_SOCKET and IPPROTO_TCP) ---

  Result<void> set_reuseaddr(bool on);
  Result<bool> reuseaddr() const;
  Result<void> set_reuseport(bool on);
  Result<bool> reuseport() const;
  // Sizes in bytes; the kernel doubles the value it is given (see the file comment).
  Result<void> set_send_buffer_size(std::uint32_t size);
  Result<std::uint32_t> send_buffer_size() const;
  Result<void> set_recv_buffer_size(std::uint32_t size);
  Result<std::uint32_t> recv_buffer_size() const;
  Result<void> set_keepalive(bool on);
  Result<bool> keepalive() const;
  Result<void> set_nodelay(bool on);
  Result<bool> nodelay() const;
  // SO_LINGER; nullopt is off. Some(0s) makes close() send a reset.
  Result<void> set_linger(std::optional<std::chrono::seconds> linger);
  Result<std::optional<std::chrono::seconds>> linger() const;

  // --- addresses ---

  // Binds to `addr` (port 0 picks a free port) before connect or listen.
  Result<void> bind(const SocketAddr& addr);
  Result<SocketAddr> local_addr() const;
  std::error_code take_error() const;

  // --- becoming a stream or a listener (the socket is consumed) ---

  // co_await: Result<TcpStream>, as TcpStream::connect but with this socket and its options.
  detail::TcpSocketConnectAwaiter connect(const SocketAddr& addr) &&;
  // listen(backlog), registered with the current runtime (an unbound socket gets a free
  // port). Errors: listen(2)'s, Error::no_runtime outside a runtime.
  Result<TcpListener> listen(int backlog = TcpListener::kDefaultBacklog) &&;

  int fd() const noexcept { return fd_.fd(); }

 private:
  explicit TcpSocket(OwnedFd fd) noexcept : fd_(std::move(fd)) {}
  OwnedFd fd_;
};

namespace detail {

class TcpSocketConnectAwaiter : public eddy::detail::PollAwaiter<TcpSocketConnectAwaiter, Result<TcpStream>> {
 public:
  // A negative `fd` (the socket was moved from) gives EBADF.
  TcpSocketConnectAwaiter(int fd, const SocketAddr& addr) noexcept
      : addr_(addr), bad_fd_(fd < 0), core_(fd) {}
  Poll<Result<TcpStream>> poll(const Waker& waker);

 private:
  SocketAddr addr_;
  bool bad_fd_;
  ConnectCore core_;
};

}  // namespace detail

}  // namespace eddy::net
