#include "eddy/net/unix_stream.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include "eddy/net/detail/socket_ops.hpp"
#include "net/sys.hpp"

namespace eddy::net {

namespace detail {

Poll<Result<UnixStream>> UnixConnectAwaiter::poll(const Waker& waker) {
  if (!addr_) return Result<UnixStream>(addr_.error());
  auto r = core_.poll(waker, AF_UNIX, addr_->as_sockaddr(), addr_->len());
  if (!r) return Pending;
  if (!*r) return Result<UnixStream>(r->error());
  return Result<UnixStream>(UnixStream(std::move(**r)));
}

}  // namespace detail

Result<std::pair<UnixStream, UnixStream>> UnixStream::pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) return last_error();
  auto a = detail::PollEvented::create_stream(sv[0], Interest::READABLE | Interest::WRITABLE, false);
  if (!a) {
    ::close(sv[1]);
    return a.error();
  }
  auto b = detail::PollEvented::create_stream(sv[1], Interest::READABLE | Interest::WRITABLE, false);
  if (!b) return b.error();
  return std::pair<UnixStream, UnixStream>(UnixStream(std::move(*a)), UnixStream(std::move(*b)));
}

Result<UnixStream> UnixStream::from_fd(OwnedFd fd) {
  if (auto r = sys::set_nonblocking_cloexec(fd.fd()); !r) return r.error();
  auto io = detail::PollEvented::create_stream(fd.release(), Interest::READABLE | Interest::WRITABLE, false);
  if (!io) return io.error();
  return UnixStream(std::move(*io));
}

Result<void> UnixStream::shutdown(Shutdown how) { return sys::shutdown(io_.fd(), to_shut_how(how)); }
Result<UnixSocketAddr> UnixStream::local_addr() const { return sys::local_unix_addr(io_.fd()); }
Result<UnixSocketAddr> UnixStream::peer_addr() const { return sys::peer_unix_addr(io_.fd()); }
Result<UCred> UnixStream::peer_cred() const {
  ucred c{};
  socklen_t len = sizeof c;
  if (::getsockopt(io_.fd(), SOL_SOCKET, SO_PEERCRED, &c, &len) != 0) return last_error();
  UCred out;
  if (c.pid != 0) out.pid = c.pid;
  out.uid = c.uid;
  out.gid = c.gid;
  return out;
}

std::error_code UnixStream::take_error() const { return sys::take_error(io_.fd()); }

}  // namespace eddy::net
