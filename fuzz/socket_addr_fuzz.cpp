// Fuzz target: SocketAddr::parse, IpAddr::parse and SocketAddr::from_sockaddr on arbitrary
// bytes. Properties: no crash or UB; whatever parses formats back to text that parses to the same
// value (parse(to_string()) == value); to_sockaddr and from_sockaddr are inverse; an accepted
// SocketAddr text always has a port in range and, for IPv6, brackets.
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <string_view>

#include "eddy/net/ip_addr.hpp"
#include "eddy/net/socket_addr.hpp"
#include "fuzz_input.hpp"

using eddy::net::IpAddr;
using eddy::net::SocketAddr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto a = SocketAddr::parse(text)) {
    FUZZ_CHECK(!text.empty());
    FUZZ_CHECK(a->is_ipv6() == (text.front() == '['));
    const auto again = SocketAddr::parse(a->to_string());
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *a);
    sockaddr_storage ss{};
    const socklen_t len = a->to_sockaddr(ss);
    const auto back = SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(*back == *a);
  }

  if (auto ip = IpAddr::parse(text)) {
    const auto again = IpAddr::parse(ip->to_string());
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *ip);
    FUZZ_CHECK(ip->is_ipv6() == (text.find(':') != std::string_view::npos));
  }

  // Raw bytes as a kernel address of any claimed length: accepted only as AF_INET/AF_INET6 of
  // sufficient length, and then it round-trips.
  sockaddr_storage raw{};
  std::memcpy(&raw, data, size < sizeof raw ? size : sizeof raw);
  const auto len = static_cast<socklen_t>(size < sizeof raw ? size : sizeof raw);
  if (auto a = SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&raw), len)) {
    FUZZ_CHECK(raw.ss_family == AF_INET || raw.ss_family == AF_INET6);
    sockaddr_storage ss{};
    const socklen_t n = a->to_sockaddr(ss);
    FUZZ_CHECK(n <= len);
    const auto back = SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), n);
    FUZZ_CHECK(back.has_value() && *back == *a);
  }
  return 0;
}
