#include "eddy/net/unix_datagram.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "net/sys.hpp"

namespace eddy::net {

namespace {

detail::SendToOp send_to_op(int fd, ConstBuffer buf, const UnixSocketAddr& target) noexcept {
  detail::SendToOp op{fd, buf, {}, target.len()};
  std::memcpy(&op.to, target.as_sockaddr(), target.len());
  return op;
}

Result<detail::PollEvented> register_fd(int fd) {
  return detail::PollEvented::create(fd, Interest::READABLE | Interest::WRITABLE);
}

}  // namespace

Result<UnixDatagram> UnixDatagram::bind(const UnixSocketAddr& addr) {
  auto fd = sys::socket(AF_UNIX, SOCK_DGRAM);
  if (!fd) return fd.error();
  if (auto r = sys::bind(*fd, addr); !r) {
    ::close(*fd);
    return r.error();
  }
  auto io = register_fd(*fd);
  if (!io) return io.error();
  return UnixDatagram(std::move(*io));
}

Result<UnixDatagram> UnixDatagram::bind(std::string_view path) {
  auto addr = UnixSocketAddr::from_path(path);
  if (!addr) return addr.error();
  return bind(*addr);
}

Result<UnixDatagram> UnixDatagram::unbound() {
  auto fd = sys::socket(AF_UNIX, SOCK_DGRAM);
  if (!fd) return fd.error();
  auto io = register_fd(*fd);
  if (!io) return io.error();
  return UnixDatagram(std::move(*io));
}

Result<std::pair<UnixDatagram, UnixDatagram>> UnixDatagram::pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) return last_error();
  auto a = register_fd(sv[0]);
  if (!a) {
    ::close(sv[1]);
    return a.error();
  }
  auto b = register_fd(sv[1]);
  if (!b) return b.error();
  return std::pair<UnixDatagram, UnixDatagram>(UnixDatagram(std::move(*a)), UnixDatagram(std::move(*b)));
}

Result<UnixDatagram> UnixDatagram::from_fd(OwnedFd fd) {
  if (auto r = sys::set_nonblocking_cloexec(fd.fd()); !r) return r.error();
  auto io = register_fd(fd.release());
  if (!io) return io.error();
  return UnixDatagram(std::move(*io));
}

Result<void> UnixDatagram::connect(const UnixSocketAddr& addr) {
  if (::connect(io_.fd(), addr.as_sockaddr(), addr.len()) != 0) return last_error();
  return {};
}

Result<void> UnixDatagram::connect(std::string_view path) {
  auto addr = UnixSocketAddr::from_path(path);
  if (!addr) return addr.error();
  return connect(*addr);
}

UnixDatagram::SendToAwaiter UnixDatagram::send_to(ConstBuffer buf, const UnixSocketAddr& target) noexcept {
  return {io_, io::Direction::Write, send_to_op(io_.fd(), buf, target)};
}

Result<std::size_t> UnixDatagram::try_send(ConstBuffer buf) {
  return io_.try_io(Interest::WRITABLE, detail::SendOp{io_.fd(), buf});
}
Result<std::size_t> UnixDatagram::try_recv(MutableBuffer buf) {
  return io_.try_io(detail::kRecvInterest, detail::RecvOp{io_.fd(), buf, 0});
}
Result<std::size_t> UnixDatagram::try_send_to(ConstBuffer buf, const UnixSocketAddr& target) {
  return io_.try_io(Interest::WRITABLE, send_to_op(io_.fd(), buf, target));
}
Result<std::pair<std::size_t, UnixSocketAddr>> UnixDatagram::try_recv_from(MutableBuffer buf) {
  return io_.try_io(detail::kRecvInterest, detail::RecvFromOp<UnixSocketAddr>{io_.fd(), buf, 0});
}

Result<UnixSocketAddr> UnixDatagram::local_addr() const { return sys::local_unix_addr(io_.fd()); }
Result<UnixSocketAddr> UnixDatagram::peer_addr() const { return sys::peer_unix_addr(io_.fd()); }
std::error_code UnixDatagram::take_error() const { return sys::take_error(io_.fd()); }
Result<void> UnixDatagram::shutdown(Shutdown how) { return sys::shutdown(io_.fd(), to_shut_how(how)); }

}  // namespace eddy::net
