#include "eddy/net/tcp_socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <limits>

#include "net/sys.hpp"

namespace eddy::net {

namespace {

Result<std::uint32_t> size_option(int fd, int name) noexcept {
  auto v = sys::int_option(fd, SOL_SOCKET, name);
  if (!v) return v.error();
  return static_cast<std::uint32_t>(*v);
}

Result<void> set_size_option(int fd, int name, std::uint32_t size) noexcept {
  // setsockopt takes an int: larger sizes are clamped (the kernel clamps far lower anyway).
  const int v = size > static_cast<std::uint32_t>(std::numeric_limits<int>::max())
                    ? std::numeric_limits<int>::max()
                    : static_cast<int>(size);
  return sys::set_int_option(fd, SOL_SOCKET, name, v);
}

}  // namespace

namespace detail {

Poll<Result<TcpStream>> TcpSocketConnectAwaiter::poll(const Waker& waker) {
  if (bad_fd_) return Result<TcpStream>(std::error_code(EBADF, std::system_category()));
  sockaddr_storage ss;
  const socklen_t len = addr_.to_sockaddr(ss);
  auto r = core_.poll(waker, addr_.family(), reinterpret_cast<const sockaddr*>(&ss), len);
  if (!r) return Pending;
  if (!*r) return Result<TcpStream>(r->error());
  return Result<TcpStream>(TcpStream(std::move(**r)));
}

}  // namespace detail

Result<TcpSocket> TcpSocket::new_v4() {
  auto fd = sys::socket(AF_INET, SOCK_STREAM);
  if (!fd) return fd.error();
  return TcpSocket(OwnedFd(*fd));
}

Result<TcpSocket> TcpSocket::new_v6() {
  auto fd = sys::socket(AF_INET6, SOCK_STREAM);
  if (!fd) return fd.error();
  return TcpSocket(OwnedFd(*fd));
}

Result<TcpSocket> TcpSocket::from_fd(OwnedFd fd) {
  if (auto r = sys::set_nonblocking_cloexec(fd.fd()); !r) return r.error();
  return TcpSocket(std::move(fd));
}

Result<void> TcpSocket::set_reuseaddr(bool on) {
  return sys::set_int_option(fd(), SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0);
}
Result<bool> TcpSocket::reuseaddr() const { return sys::bool_option(fd(), SOL_SOCKET, SO_REUSEADDR); }
Result<void> TcpSocket::set_reuseport(bool on) {
  return sys::set_int_option(fd(), SOL_SOCKET, SO_REUSEPORT, on ? 1 : 0);
}
Result<bool> TcpSocket::reuseport() const { return sys::bool_option(fd(), SOL_SOCKET, SO_REUSEPORT); }
Result<void> TcpSocket::set_send_buffer_size(std::uint32_t size) { return set_size_option(fd(), SO_SNDBUF, size); }
Result<std::uint32_t> TcpSocket::send_buffer_size() const { return size_option(fd(), SO_SNDBUF); }
Result<void> TcpSocket::set_recv_buffer_size(std::uint32_t size) { return set_size_option(fd(), SO_RCVBUF, size); }
Result<std::uint32_t> TcpSocket::recv_buffer_size() const { return size_option(fd(), SO_RCVBUF); }
Result<void> TcpSocket::set_keepalive(bool on) {
  return sys::set_int_option(fd(), SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0);
}
Result<bool> TcpSocket::keepalive() const { return sys::bool_option(fd(), SOL_SOCKET, SO_KEEPALIVE); }
Result<void> TcpSocket::set_nodelay(bool on) {
  return sys::set_int_option(fd(), IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}
Result<bool> TcpSocket::nodelay() const { return sys::bool_option(fd(), IPPROTO_TCP, TCP_NODELAY); }
Result<void> TcpSocket::set_linger(std::optional<std::chrono::seconds> linger) {
  return sys::set_linger(fd(), linger);
}
Result<std::optional<std::chrono::seconds>> TcpSocket::linger() const { return sys::linger(fd()); }

Result<void> TcpSocket::bind(const SocketAddr& addr) { return sys::bind(fd(), addr); }
Result<SocketAddr> TcpSocket::local_addr() const { return sys::local_addr(fd()); }
std::error_code TcpSocket::take_error() const { return sys::take_error(fd()); }

detail::TcpSocketConnectAwaiter TcpSocket::connect(const SocketAddr& addr) && {
  return detail::TcpSocketConnectAwaiter(fd_.release(), addr);
}

Result<TcpListener> TcpSocket::listen(int backlog) && {
  if (::listen(fd(), backlog) != 0) return last_error();
  return TcpListener::from_fd(std::move(fd_));
}

}  // namespace eddy::net
