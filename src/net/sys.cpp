#include "net/sys.hpp"

#include "eddy/net/shutdown.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

namespace eddy::net::sys {

Result<int> socket(int family, int type, int protocol) noexcept {
  const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return last_error();
  return fd;
}

namespace {
template <class Get>
Result<SocketAddr> inet_name(int fd, Get get) noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (get(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return last_error();
  return SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
}
template <class Get>
Result<UnixSocketAddr> unix_name(int fd, Get get) noexcept {
  sockaddr_un sun{};
  socklen_t len = sizeof sun;
  if (get(fd, reinterpret_cast<sockaddr*>(&sun), &len) != 0) return last_error();
  return UnixSocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&sun), len);
}
}  // namespace

Result<SocketAddr> local_addr(int fd) noexcept { return inet_name(fd, ::getsockname); }
Result<SocketAddr> peer_addr(int fd) noexcept { return inet_name(fd, ::getpeername); }
Result<UnixSocketAddr> local_unix_addr(int fd) noexcept { return unix_name(fd, ::getsockname); }
Result<UnixSocketAddr> peer_unix_addr(int fd) noexcept { return unix_name(fd, ::getpeername); }

Result<void> set_int_option(int fd, int level, int name, int value) noexcept {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return last_error();
  return {};
}

Result<int> int_option(int fd, int level, int name) noexcept {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0) return last_error();
  return value;
}

Result<void> set_linger(int fd, std::optional<std::chrono::seconds> linger) noexcept {
  ::linger l{};
  l.l_onoff = linger ? 1 : 0;
  l.l_linger = linger ? static_cast<int>(linger->count()) : 0;
  if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) return last_error();
  return {};
}

Result<std::optional<std::chrono::seconds>> linger(int fd) noexcept {
  ::linger l{};
  socklen_t len = sizeof l;
  if (::getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) != 0) return last_error();
  if (l.l_onoff == 0) return std::optional<std::chrono::seconds>();
  return std::optional<std::chrono::seconds>(std::chrono::seconds(l.l_linger));
}

Result<bool> is_ipv6(int fd) noexcept {
  auto d = int_option(fd, SOL_SOCKET, SO_DOMAIN);
  if (!d) return d.error();
  return *d == AF_INET6;
}

Result<void> set_ttl(int fd, std::uint32_t ttl) noexcept {
  auto v6 = is_ipv6(fd);
  if (!v6) return v6.error();
  if (ttl > 255) return std::make_error_code(std::errc::invalid_argument);
  return *v6 ? set_int_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, static_cast<int>(ttl))
             : set_int_option(fd, IPPROTO_IP, IP_TTL, static_cast<int>(ttl));
}

Result<std::uint32_t> ttl(int fd) noexcept {
  auto v6 = is_ipv6(fd);
  if (!v6) return v6.error();
  auto v = *v6 ? int_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS) : int_option(fd, IPPROTO_IP, IP_TTL);
  if (!v) return v.error();
  return static_cast<std::uint32_t>(*v);
}

Result<bool> bool_option(int fd, int level, int name) noexcept {
  auto v = int_option(fd, level, name);
  if (!v) return v.error();
  return *v != 0;
}

std::error_code take_error(int fd) noexcept {
  auto e = int_option(fd, SOL_SOCKET, SO_ERROR);
  if (!e) return e.error();
  if (*e == 0) return {};
  return {*e, std::system_category()};
}

Result<void> shutdown(int fd, int how) noexcept {
  if (::shutdown(fd, how) != 0 && errno != ENOTCONN) return last_error();
  return {};
}

Result<void> bind(int fd, const SocketAddr& addr) noexcept {
  sockaddr_storage ss;
  const socklen_t len = addr.to_sockaddr(ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) return last_error();
  return {};
}

Result<void> bind(int fd, const UnixSocketAddr& addr) noexcept {
  if (::bind(fd, addr.as_sockaddr(), addr.len()) != 0) return last_error();
  return {};
}

Result<void> set_nonblocking_cloexec(int fd) noexcept {
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0) return last_error();
  if ((fl & O_NONBLOCK) == 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) return last_error();
  const int fdfl = ::fcntl(fd, F_GETFD);
  if (fdfl < 0) return last_error();
  if ((fdfl & FD_CLOEXEC) == 0 && ::fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) != 0) return last_error();
  return {};
}

}  // namespace eddy::net::sys

static_assert(eddy::net::to_shut_how(eddy::net::Shutdown::Read) == SHUT_RD);
static_assert(eddy::net::to_shut_how(eddy::net::Shutdown::Write) == SHUT_WR);
static_assert(eddy::net::to_shut_how(eddy::net::Shutdown::Both) == SHUT_RDWR);
