#include "eddy/net/tcp_listener.hpp"

#include <unistd.h>

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
  auto io = detail::PollEvented::create(*fd, Interest::READABLE);
  if (!io) return io.error();
  return TcpListener(std::move(*io));
}

Result<TcpListener> TcpListener::from_fd(OwnedFd fd) {
  if (auto r = sys::set_nonblocking_cloexec(fd.fd()); !r) return r.error();
  auto io = detail::PollEvented::create(fd.release(), Interest::READABLE);
  if (!io) return io.error();
  return TcpListener(std::move(*io));
}

Poll<Result<TcpListener::Accepted>> TcpListener::poll_accept(const Waker& waker) {
  auto accepted = io_.poll_io(waker, io::Direction::Read, [this]() -> Result<std::pair<int, SocketAddr>> {
    for (;;) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      const int fd = ::accept4(io_.fd(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        auto peer = SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
        return std::pair<int, SocketAddr>(fd, peer ? *peer : SocketAddr());
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return last_error();
    }
  });
  if (!accepted) return Pending;
  if (!*accepted) return Result<Accepted>(accepted->error());
  auto io = detail::PollEvented::create((*accepted)->first, Interest::READABLE | Interest::WRITABLE, io_.handle());
  if (!io) return Result<Accepted>(io.error());
  return Result<Accepted>(Accepted(TcpStream(std::move(*io)), (*accepted)->second));
}

Result<SocketAddr> TcpListener::local_addr() const { return sys::local_addr(io_.fd()); }

}  // namespace eddy::net
