#include "eddy/net/tcp_listener.hpp"

#include <unistd.h>

#include "net/accept.hpp"
#include "net/sys.hpp"

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
  auto io = detail::PollEvented::create_stream(*fd, Interest::READABLE, true);
  if (!io) return io.error();
  return TcpListener(std::move(*io));
}

Result<TcpListener> TcpListener::from_fd(OwnedFd fd) {
  if (auto r = sys::set_nonblocking_cloexec(fd.fd()); !r) return r.error();
  auto io = detail::PollEvented::create_stream(fd.release(), Interest::READABLE, true);
  if (!io) return io.error();
  return TcpListener(std::move(*io));
}

Poll<Result<TcpListener::Accepted>> TcpListener::poll_accept(const Waker& waker) {
  auto r = detail::poll_accept<SocketAddr, sockaddr_storage>(io_, waker, sys::peer_addr);
  if (!r) return Pending;
  if (!*r) return Result<Accepted>(r->error());
  return Result<Accepted>(Accepted(TcpStream(std::move((*r)->first)), (*r)->second));
}

Result<SocketAddr> TcpListener::local_addr() const { return sys::local_addr(io_.fd()); }
Result<void> TcpListener::set_ttl(std::uint32_t ttl) { return sys::set_ttl(io_.fd(), ttl); }
Result<std::uint32_t> TcpListener::ttl() const { return sys::ttl(io_.fd()); }

}  // namespace eddy::net
