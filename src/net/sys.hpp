// Small socket syscall helpers shared by the eddy::net sources (not installed).
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <optional>

#include "eddy/net/socket_addr.hpp"
#include "eddy/net/unix_socket_addr.hpp"
#include "eddy/result.hpp"

namespace eddy::net::sys {

// socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol).
Result<int> socket(int family, int type, int protocol = 0) noexcept;

Result<SocketAddr> local_addr(int fd) noexcept;
Result<SocketAddr> peer_addr(int fd) noexcept;
Result<UnixSocketAddr> local_unix_addr(int fd) noexcept;
Result<UnixSocketAddr> peer_unix_addr(int fd) noexcept;

Result<void> set_int_option(int fd, int level, int name, int value) noexcept;
Result<int> int_option(int fd, int level, int name) noexcept;

Result<void> set_linger(int fd, std::optional<std::chrono::seconds> linger) noexcept;
Result<std::optional<std::chrono::seconds>> linger(int fd) noexcept;
// IP_TTL, or IPV6_UNICAST_HOPS when the socket is IPv6 (SO_DOMAIN). 0..255.
Result<void> set_ttl(int fd, std::uint32_t ttl) noexcept;
Result<std::uint32_t> ttl(int fd) noexcept;
// True when the socket's family is AF_INET6.
Result<bool> is_ipv6(int fd) noexcept;
// A boolean option (an int that is zero or not).
Result<bool> bool_option(int fd, int level, int name) noexcept;

// SO_ERROR, as an error (empty when there is none).
std::error_code take_error(int fd) noexcept;

// shutdown(2); ENOTCONN (the connection is already gone, e.g. reset) counts as success: the
// requested side is closed either way.
Result<void> shutdown(int fd, int how) noexcept;

Result<void> bind(int fd, const SocketAddr& addr) noexcept;
Result<void> bind(int fd, const UnixSocketAddr& addr) noexcept;

// Makes an adopted fd non-blocking and close-on-exec.
Result<void> set_nonblocking_cloexec(int fd) noexcept;

}  // namespace eddy::net::sys
