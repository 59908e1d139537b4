#include "eddy/net/udp_socket.hpp"

#include <unistd.h>

#include "net/sys.hpp"

namespace eddy::net {

namespace {
detail::SendToOp send_to_op(int fd, ConstBuffer buf, const SocketAddr& target) noexcept {
  detail::SendToOp op{fd, buf, {}, 0};
  op.to_len = target.to_sockaddr(op.to);
  return op;
}
}  // namespace

Result<UdpSocket> UdpSocket::bind(const SocketAddr& addr) {
  auto fd = sys::socket(addr.family(), SOCK_DGRAM);
  if (!fd) return fd.error();
  if (auto r = sys::bind(*fd, addr); !r) {
    ::close(*fd);
    return r.error();
  }
  auto io = detail::PollEvented::create(*fd, Interest::READABLE | Interest::WRITABLE);
  if (!io) return io.error();
  return UdpSocket(std::move(*io));
}

Result<UdpSocket> UdpSocket::from_fd(OwnedFd fd) {
  if (auto r = sys::set_nonblocking_cloexec(fd.fd()); !r) return r.error();
  auto io = detail::PollEvented::create(fd.release(), Interest::READABLE | Interest::WRITABLE);
  if (!io) return io.error();
  return UdpSocket(std::move(*io));
}

Result<void> UdpSocket::connect(const SocketAddr& addr) {
  sockaddr_storage ss;
  const socklen_t len = addr.to_sockaddr(ss);
  if (::connect(io_.fd(), reinterpret_cast<const sockaddr*>(&ss), len) != 0) return last_error();
  return {};
}

UdpSocket::SendToAwaiter UdpSocket::send_to(ConstBuffer buf, const SocketAddr& target) noexcept {
  return {io_, io::Direction::Write, send_to_op(io_.fd(), buf, target)};
}

Result<std::size_t> UdpSocket::try_send(ConstBuffer buf) {
  return io_.try_io(Interest::WRITABLE, detail::SendOp{io_.fd(), buf});
}
Result<std::size_t> UdpSocket::try_recv(MutableBuffer buf) {
  return io_.try_io(Interest::READABLE, detail::RecvOp{io_.fd(), buf, 0});
}
Result<std::size_t> UdpSocket::try_send_to(ConstBuffer buf, const SocketAddr& target) {
  return io_.try_io(Interest::WRITABLE, send_to_op(io_.fd(), buf, target));
}
Result<std::pair<std::size_t, SocketAddr>> UdpSocket::try_recv_from(MutableBuffer buf) {
  return io_.try_io(Interest::READABLE, detail::RecvFromOp<SocketAddr>{io_.fd(), buf, 0});
}

Result<SocketAddr> UdpSocket::local_addr() const { return sys::local_addr(io_.fd()); }
Result<SocketAddr> UdpSocket::peer_addr() const { return sys::peer_addr(io_.fd()); }
Result<void> UdpSocket::set_broadcast(bool on) {
  return sys::set_int_option(io_.fd(), SOL_SOCKET, SO_BROADCAST, on ? 1 : 0);
}
std::error_code UdpSocket::take_error() const { return sys::take_error(io_.fd()); }

}  // namespace eddy::net
