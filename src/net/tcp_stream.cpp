#include "eddy/net/tcp_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "net/sys.hpp"

namespace eddy::net {

namespace detail {

Poll<Result<TcpStream>> TcpConnectAwaiter::poll(const Waker& waker) {
  using R = Result<TcpStream>;
  if (!started_) {
    started_ = true;
    auto fd = sys::socket(addr_.family(), SOCK_STREAM);
    if (!fd) return R(fd.error());
    sockaddr_storage ss;
    const socklen_t len = addr_.to_sockaddr(ss);
    const int rc = ::connect(*fd, reinterpret_cast<const sockaddr*>(&ss), len);
    // EINTR: the connection keeps going asynchronously, just as with EINPROGRESS.
    const int err = rc == 0 ? 0 : errno;
    if (err != 0 && err != EINPROGRESS && err != EINTR) {
      ::close(*fd);
      return R(std::error_code(err, std::system_category()));
    }
    auto io = PollEvented::create(*fd, Interest::READABLE | Interest::WRITABLE);
    if (!io) return R(io.error());
    if (err == 0) return R(TcpStream(std::move(*io)));
    io_ = std::move(*io);
  }
  // Writability (or an error/hang-up, which also reads as writable) ends the connect.
  auto ev = io_.poll_ready(waker, io::Direction::Write);
  if (!ev) return Pending;
  if (!*ev) return R(ev->error());
  if (auto e = sys::take_error(io_.fd())) return R(e);
  return R(TcpStream(std::move(io_)));
}

}  // namespace detail

Result<TcpStream> TcpStream::from_fd(OwnedFd fd) {
  if (auto r = sys::set_nonblocking_cloexec(fd.fd()); !r) return r.error();
  auto io = detail::PollEvented::create(fd.release(), Interest::READABLE | Interest::WRITABLE);
  if (!io) return io.error();
  return TcpStream(std::move(*io));
}

Result<std::size_t> TcpStream::try_read(MutableBuffer buf) {
  return io_.try_io(Interest::READABLE, [&] { return detail::sys_recv(io_.fd(), buf, 0); });
}

Result<std::size_t> TcpStream::try_write(ConstBuffer buf) {
  return io_.try_io(Interest::WRITABLE, [&] { return detail::sys_send(io_.fd(), buf, 0); });
}

Result<void> TcpStream::shutdown(Shutdown how) {
  const int h = how == Shutdown::Read ? SHUT_RD : how == Shutdown::Write ? SHUT_WR : SHUT_RDWR;
  return sys::shutdown(io_.fd(), h);
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

std::error_code TcpStream::take_error() const { return sys::take_error(io_.fd()); }

}  // namespace eddy::net
