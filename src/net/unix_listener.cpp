#include "eddy/net/unix_listener.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include "net/sys.hpp"

namespace eddy::net {

Result<UnixListener> UnixListener::bind(const UnixSocketAddr& addr, int backlog) {
  auto fd = sys::socket(AF_UNIX, SOCK_STREAM);
  if (!fd) return fd.error();
  auto fail = [&](std::error_code e) {
    ::close(*fd);
    return Result<UnixListener>(e);
  };
  if (auto r = sys::bind(*fd, addr); !r) return fail(r.error());
  if (::listen(*fd, backlog) != 0) return fail(last_error());
  auto io = detail::PollEvented::create(*fd, Interest::READABLE);
  if (!io) return io.error();
  return UnixListener(std::move(*io));
}

Result<UnixListener> UnixListener::bind(std::string_view path, int backlog) {
  auto addr = UnixSocketAddr::from_path(path);
  if (!addr) return addr.error();
  return bind(*addr, backlog);
}

Result<UnixListener> UnixListener::from_fd(OwnedFd fd) {
  if (auto r = sys::set_nonblocking_cloexec(fd.fd()); !r) return r.error();
  auto io = detail::PollEvented::create(fd.release(), Interest::READABLE);
  if (!io) return io.error();
  return UnixListener(std::move(*io));
}

Poll<Result<UnixListener::Accepted>> UnixListener::poll_accept(const Waker& waker) {
  auto accepted = io_.poll_io(waker, io::Direction::Read, [this]() -> Result<std::pair<int, UnixSocketAddr>> {
    for (;;) {
      sockaddr_un sun{};
      socklen_t len = sizeof sun;
      const int fd = ::accept4(io_.fd(), reinterpret_cast<sockaddr*>(&sun), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        auto peer = UnixSocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&sun), len);
        return std::pair<int, UnixSocketAddr>(fd, peer ? *peer : UnixSocketAddr());
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return last_error();
    }
  });
  if (!accepted) return Pending;
  if (!*accepted) return Result<Accepted>(accepted->error());
  auto io = detail::PollEvented::create((*accepted)->first, Interest::READABLE | Interest::WRITABLE, io_.handle());
  if (!io) return Result<Accepted>(io.error());
  return Result<Accepted>(Accepted(UnixStream(std::move(*io)), (*accepted)->second));
}

Result<UnixSocketAddr> UnixListener::local_addr() const { return sys::local_unix_addr(io_.fd()); }

}  // namespace eddy::net
