#include "eddy/net/unix_listener.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include "net/accept.hpp"
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
  auto io = detail::PollEvented::create_stream(*fd, Interest::READABLE, true);
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
  auto io = detail::PollEvented::create_stream(fd.release(), Interest::READABLE, true);
  if (!io) return io.error();
  return UnixListener(std::move(*io));
}

Poll<Result<UnixListener::Accepted>> UnixListener::poll_accept(const Waker& waker) {
  auto r = detail::poll_accept<UnixSocketAddr, sockaddr_un>(io_, waker, sys::peer_unix_addr);
  if (!r) return Pending;
  if (!*r) return Result<Accepted>(r->error());
  return Result<Accepted>(Accepted(UnixStream(std::move((*r)->first)), (*r)->second));
}

Result<UnixSocketAddr> UnixListener::local_addr() const { return sys::local_unix_addr(io_.fd()); }

}  // namespace eddy::net
