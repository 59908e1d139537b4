// SocketAddr: an IP address and a port (what TCP and UDP sockets bind and connect to).
//
// Text form: "127.0.0.1:8080" and "[::1]:80" (an IPv6 address is always bracketed; a numeric
// scope id may follow the address, "[fe80::1%2]:80"). parse() accepts exactly that form and
// rejects anything else with std::errc::invalid_argument: "1.2.3:80", "127.0.0.1" (no port),
// "[::1" , "::1:80" (unbracketed IPv6), "host:99999" (port out of range, or a host name; use
// lookup_host for names), "".
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/net/ip_addr.hpp"
#include "eddy/result.hpp"

namespace eddy::net {

class SocketAddr {
 public:
  // 0.0.0.0:0
  constexpr SocketAddr() noexcept = default;
  constexpr SocketAddr(IpAddr ip, std::uint16_t port, std::uint32_t scope_id = 0) noexcept
      : ip_(ip), port_(port), scope_id_(ip.is_ipv6() ? scope_id : 0) {}

  static Result<SocketAddr> parse(std::string_view text);
  // From a kernel address (AF_INET or AF_INET6); anything else is invalid_argument.
  static Result<SocketAddr> from_sockaddr(const sockaddr* sa, socklen_t len);

  constexpr const IpAddr& ip() const noexcept { return ip_; }
  constexpr std::uint16_t port() const noexcept { return port_; }
  constexpr std::uint32_t scope_id() const noexcept { return scope_id_; }
  constexpr bool is_ipv4() const noexcept { return ip_.is_ipv4(); }
  constexpr bool is_ipv6() const noexcept { return ip_.is_ipv6(); }
  constexpr void set_ip(IpAddr ip) noexcept { ip_ = ip; }
  constexpr void set_port(std::uint16_t port) noexcept { port_ = port; }

  // AF_INET or AF_INET6.
  int family() const noexcept;
  // Fills `out` and returns the length to pass to bind/connect/sendto.
  socklen_t to_sockaddr(sockaddr_storage& out) const noexcept;

  // "127.0.0.1:8080", "[::1]:80", "[fe80::1%2]:80"; parse(to_string()) gives it back.
  std::string to_string() const;

  constexpr bool operator==(const SocketAddr&) const noexcept = default;

 private:
  IpAddr ip_;
  std::uint16_t port_ = 0;
  std::uint32_t scope_id_ = 0;
};

}  // namespace eddy::net
