#include "eddy/net/udp_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>

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
  return io_.try_io(detail::kRecvInterest, detail::RecvOp{io_.fd(), buf, 0});
}
Result<std::size_t> UdpSocket::try_send_to(ConstBuffer buf, const SocketAddr& target) {
  return io_.try_io(Interest::WRITABLE, send_to_op(io_.fd(), buf, target));
}
Result<std::pair<std::size_t, SocketAddr>> UdpSocket::try_recv_from(MutableBuffer buf) {
  return io_.try_io(detail::kRecvInterest, detail::RecvFromOp<SocketAddr>{io_.fd(), buf, 0});
}

Result<std::size_t> UdpSocket::try_peek(MutableBuffer buf) {
  return io_.try_io(detail::kRecvInterest, detail::RecvOp{io_.fd(), buf, MSG_PEEK});
}
Result<std::pair<std::size_t, SocketAddr>> UdpSocket::try_peek_from(MutableBuffer buf) {
  return io_.try_io(detail::kRecvInterest, detail::RecvFromOp<SocketAddr>{io_.fd(), buf, MSG_PEEK});
}
Result<SocketAddr> UdpSocket::try_peek_sender() {
  return io_.try_io(detail::kRecvInterest, detail::PeekSenderOp<SocketAddr>{io_.fd()});
}

Result<SocketAddr> UdpSocket::local_addr() const { return sys::local_addr(io_.fd()); }
Result<SocketAddr> UdpSocket::peer_addr() const { return sys::peer_addr(io_.fd()); }
Result<void> UdpSocket::set_broadcast(bool on) {
  return sys::set_int_option(io_.fd(), SOL_SOCKET, SO_BROADCAST, on ? 1 : 0);
}
Result<bool> UdpSocket::broadcast() const { return sys::bool_option(io_.fd(), SOL_SOCKET, SO_BROADCAST); }
Result<void> UdpSocket::set_ttl(std::uint32_t ttl) { return sys::set_ttl(io_.fd(), ttl); }
Result<std::uint32_t> UdpSocket::ttl() const { return sys::ttl(io_.fd()); }

namespace {

Result<in_addr> v4_addr(const IpAddr& a) noexcept {
  if (!a.is_ipv4()) return std::make_error_code(std::errc::invalid_argument);
  in_addr out{};
  std::memcpy(&out, a.octets().data(), 4);
  return out;
}

Result<void> v4_membership(int fd, int op, const IpAddr& group, const IpAddr& iface) noexcept {
  auto g = v4_addr(group);
  auto i = v4_addr(iface);
  if (!g) return g.error();
  if (!i) return i.error();
  if ((ntohl(g->s_addr) >> 28) != 0xE) return std::make_error_code(std::errc::invalid_argument);
  ip_mreq m{};
  m.imr_multiaddr = *g;
  m.imr_interface = *i;
  if (::setsockopt(fd, IPPROTO_IP, op, &m, sizeof m) != 0) return last_error();
  return {};
}

Result<void> v6_membership(int fd, int op, const IpAddr& group, std::uint32_t iface) noexcept {
  if (!group.is_ipv6() || group.octets()[0] != 0xff) return std::make_error_code(std::errc::invalid_argument);
  ipv6_mreq m{};
  std::memcpy(&m.ipv6mr_multiaddr, group.octets().data(), 16);
  m.ipv6mr_interface = iface;
  if (::setsockopt(fd, IPPROTO_IPV6, op, &m, sizeof m) != 0) return last_error();
  return {};
}

}  // namespace

Result<void> UdpSocket::join_multicast_v4(const IpAddr& group, const IpAddr& iface) {
  return v4_membership(io_.fd(), IP_ADD_MEMBERSHIP, group, iface);
}
Result<void> UdpSocket::leave_multicast_v4(const IpAddr& group, const IpAddr& iface) {
  return v4_membership(io_.fd(), IP_DROP_MEMBERSHIP, group, iface);
}
Result<void> UdpSocket::join_multicast_v6(const IpAddr& group, std::uint32_t iface) {
  return v6_membership(io_.fd(), IPV6_ADD_MEMBERSHIP, group, iface);
}
Result<void> UdpSocket::leave_multicast_v6(const IpAddr& group, std::uint32_t iface) {
  return v6_membership(io_.fd(), IPV6_DROP_MEMBERSHIP, group, iface);
}
Result<void> UdpSocket::set_multicast_loop_v4(bool on) {
  return sys::set_int_option(io_.fd(), IPPROTO_IP, IP_MULTICAST_LOOP, on ? 1 : 0);
}
Result<bool> UdpSocket::multicast_loop_v4() const { return sys::bool_option(io_.fd(), IPPROTO_IP, IP_MULTICAST_LOOP); }
Result<void> UdpSocket::set_multicast_loop_v6(bool on) {
  return sys::set_int_option(io_.fd(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on ? 1 : 0);
}
Result<bool> UdpSocket::multicast_loop_v6() const {
  return sys::bool_option(io_.fd(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP);
}
Result<void> UdpSocket::set_multicast_ttl_v4(std::uint32_t ttl) {
  if (ttl > 255) return std::make_error_code(std::errc::invalid_argument);
  return sys::set_int_option(io_.fd(), IPPROTO_IP, IP_MULTICAST_TTL, static_cast<int>(ttl));
}
Result<std::uint32_t> UdpSocket::multicast_ttl_v4() const {
  auto v = sys::int_option(io_.fd(), IPPROTO_IP, IP_MULTICAST_TTL);
  if (!v) return v.error();
  return static_cast<std::uint32_t>(*v);
}
Result<void> UdpSocket::set_multicast_if_v4(const IpAddr& iface) {
  auto i = v4_addr(iface);
  if (!i) return i.error();
  if (::setsockopt(io_.fd(), IPPROTO_IP, IP_MULTICAST_IF, &*i, sizeof *i) != 0) return last_error();
  return {};
}

std::error_code UdpSocket::take_error() const { return sys::take_error(io_.fd()); }

}  // namespace eddy::net
