#include "eddy/net/tcp_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "net/sys.hpp"

namespace eddy::net {

namespace detail {

Poll<Result<TcpStream>> TcpConnectAwaiter::poll(const Waker& waker) {
  sockaddr_storage ss;
  const socklen_t len = addr_.to_sockaddr(ss);
  auto r = core_.poll(waker, addr_.family(), reinterpret_cast<const sockaddr*>(&ss), len);
  if (!r) return Pending;
  if (!*r) return Result<TcpStream>(r->error());
  return Result<TcpStream>(TcpStream(std::move(**r)));
}

}  // namespace detail

Result<TcpStream> TcpStream::from_fd(OwnedFd fd) {
  if (auto r = sys::set_nonblocking_cloexec(fd.fd()); !r) return r.error();
  auto io = detail::PollEvented::create_stream(fd.release(), Interest::READABLE | Interest::WRITABLE, false);
  if (!io) return io.error();
  return TcpStream(std::move(*io));
}

Result<void> TcpStream::shutdown(Shutdown how) {
  return sys::shutdown(io_.fd(), to_shut_how(how));
}

Result<SocketAddr> TcpStream::local_addr() const { return sys::local_addr(io_.fd()); }
Result<SocketAddr> TcpStream::peer_addr() const { return sys::peer_addr(io_.fd()); }

Result<void> TcpStream::set_nodelay(bool on) {
  return sys::set_int_option(io_.fd(), IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

Result<bool> TcpStream::nodelay() const {
  auto v = sys::int_option(io_.fd(), IPPROTO_TCP, TCP_NODELAY);
  if (!v) return v.error();
  return *v != 0;
}

Result<void> TcpStream::set_linger(std::optional<std::chrono::seconds> linger) {
  return sys::set_linger(io_.fd(), linger);
}

Result<std::optional<std::chrono::seconds>> TcpStream::linger() const { return sys::linger(io_.fd()); }
Result<void> TcpStream::set_ttl(std::uint32_t ttl) { return sys::set_ttl(io_.fd(), ttl); }
Result<std::uint32_t> TcpStream::ttl() const { return sys::ttl(io_.fd()); }

std::error_code TcpStream::take_error() const { return sys::take_error(io_.fd()); }

}  // namespace eddy::net
