#include "eddy/net/tcp_listener.hpp"

#include <unistd.h>

#include "net/accept.hpp"
#include "net/sys.hpp"
#include "net/uring_socket.hpp"

namespace eddy::net {

Result<TcpListener> TcpListener::bind(const SocketAddr& addr, int backlog) {
  auto fd = sys::socket(addr.family(), SOCK_STREAM);
  if (!fd) return fd.error();
  auto fail = [&](std::error_code e) {
    ::close(*fd);
    return Result<TcpListener>(e);
  };
  if (auto r = sys::set_int_option(*fd, SOL_SOCKET, SO_REUSEADDR, 1); !r) return fail(r.error());
  if (auto r = sys::bind(*fd, addr); !r) return fail(r.error());
  if (::listen(*fd, backlog) != 0) return fail(last_error());
  auto io = detail::PollEvented::create_tcp(*fd, Interest::READABLE, true);
  if (!io) return io.error();
  return TcpListener(std::move(*io));
}

Result<TcpListener> TcpListener::from_fd(OwnedFd fd) {
  if (auto r = sys::set_nonblocking_cloexec(fd.fd()); !r) return r.error();
  auto io = detail::PollEvented::create_tcp(fd.release(), Interest::READABLE, true);
  if (!io) return io.error();
  return TcpListener(std::move(*io));
}

Poll<Result<TcpListener::Accepted>> TcpListener::poll_accept(const Waker& waker) {
  if (const auto& u = io_.uring()) {
    // Completion mode: the multishot accept queues fds (net/uring_socket.hpp); the peer's
    // address comes from getpeername (a multishot accept has no per-connection address slot).
    auto fd = detail::uring_poll_accept(u, waker);
    if (!fd) return Pending;
    if (!*fd) return Result<Accepted>(fd->error());
    auto peer = sys::peer_addr(**fd);
    auto io = detail::PollEvented::create_tcp(**fd, Interest::READABLE | Interest::WRITABLE, io_.handle(), false);
    if (!io) return Result<Accepted>(io.error());
    return Result<Accepted>(Accepted(TcpStream(std::move(*io)), peer ? *peer : SocketAddr()));
  }
  auto r = detail::poll_accept<SocketAddr, sockaddr_storage>(io_, waker);
  if (!r) return Pending;
  if (!*r) return Result<Accepted>(r->error());
  return Result<Accepted>(Accepted(TcpStream(std::move((*r)->first)), (*r)->second));
}

Result<SocketAddr> TcpListener::local_addr() const { return sys::local_addr(io_.fd()); }
Result<void> TcpListener::set_ttl(std::uint32_t ttl) { return sys::set_ttl(io_.fd(), ttl); }
Result<std::uint32_t> TcpListener::ttl() const { return sys::ttl(io_.fd()); }

}  // namespace eddy::net
