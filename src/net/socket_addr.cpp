#include "eddy/net/socket_addr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace eddy::net {

namespace {

std::error_code invalid() noexcept { return std::make_error_code(std::errc::invalid_argument); }

// inet_pton needs a NUL-terminated string; the longest valid IPv6 text is 45 characters.
bool to_cstr(std::string_view s, char (&buf)[64]) noexcept {
  if (s.empty() || s.size() >= sizeof buf) return false;
  if (s.find('\0') != std::string_view::npos) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  return true;
}

// Decimal digits only, no sign, at most `max`.
bool parse_decimal(std::string_view s, std::uint64_t max, std::uint64_t& out) noexcept {
  if (s.empty() || s.size() > 10) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > max) return false;
  out = v;
  return true;
}

}  // namespace

Result<IpAddr> IpAddr::parse(std::string_view text) {
  char buf[64];
  if (!to_cstr(text, buf)) return invalid();
  if (text.find(':') == std::string_view::npos) {
    in_addr a{};
    if (::inet_pton(AF_INET, buf, &a) != 1) return invalid();
    std::array<std::uint8_t, 4> b{};
    std::memcpy(b.data(), &a, 4);
    return IpAddr::v4(b[0], b[1], b[2], b[3]);
  }
  in6_addr a{};
  if (::inet_pton(AF_INET6, buf, &a) != 1) return invalid();
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), &a, 16);
  return IpAddr::v6(b);
}

bool IpAddr::is_loopback() const noexcept {
  if (is_ipv4()) return bytes_[0] == 127;
  return *this == v6_loopback();
}

bool IpAddr::is_unspecified() const noexcept {
  if (is_ipv4()) return bytes_[0] == 0 && bytes_[1] == 0 && bytes_[2] == 0 && bytes_[3] == 0;
  return *this == v6_unspecified();
}

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  const char* s = ::inet_ntop(is_ipv4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return s ? std::string(s) : std::string();
}

Result<SocketAddr> SocketAddr::parse(std::string_view text) {
  if (text.empty()) return invalid();
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return invalid();
    std::string_view host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (rest.size() < 2 || rest.front() != ':') return invalid();
    std::uint64_t port = 0;
    if (!parse_decimal(rest.substr(1), 65535, port)) return invalid();
    std::uint64_t scope = 0;
    if (const auto pct = host.find('%'); pct != std::string_view::npos) {
      if (!parse_decimal(host.substr(pct + 1), UINT32_MAX, scope)) return invalid();
      host = host.substr(0, pct);
    }
    auto ip = IpAddr::parse(host);
    if (!ip || !ip->is_ipv6()) return invalid();
    return SocketAddr(*ip, static_cast<std::uint16_t>(port), static_cast<std::uint32_t>(scope));
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return invalid();
  const std::string_view host = text.substr(0, colon);
  // Unbracketed IPv6 ("::1:80") is ambiguous: refuse it.
  if (host.find(':') != std::string_view::npos) return invalid();
  std::uint64_t port = 0;
  if (!parse_decimal(text.substr(colon + 1), 65535, port)) return invalid();
  auto ip = IpAddr::parse(host);
  if (!ip) return invalid();
  return SocketAddr(*ip, static_cast<std::uint16_t>(port));
}

Result<SocketAddr> SocketAddr::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return invalid();
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    std::array<std::uint8_t, 4> b{};
    std::memcpy(b.data(), &in.sin_addr, 4);
    return SocketAddr(IpAddr::v4(b[0], b[1], b[2], b[3]), ntohs(in.sin_port));
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 in{};
    std::memcpy(&in, sa, sizeof in);
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &in.sin6_addr, 16);
    return SocketAddr(IpAddr::v6(b), ntohs(in.sin6_port), in.sin6_scope_id);
  }
  return invalid();
}

int SocketAddr::family() const noexcept { return is_ipv4() ? AF_INET : AF_INET6; }

socklen_t SocketAddr::to_sockaddr(sockaddr_storage& out) const noexcept {
  std::memset(&out, 0, sizeof out);
  if (is_ipv4()) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port_);
    std::memcpy(&in.sin_addr, ip_.octets().data(), 4);
    std::memcpy(&out, &in, sizeof in);
    return sizeof in;
  }
  sockaddr_in6 in{};
  in.sin6_family = AF_INET6;
  in.sin6_port = htons(port_);
  in.sin6_scope_id = scope_id_;
  std::memcpy(&in.sin6_addr, ip_.octets().data(), 16);
  std::memcpy(&out, &in, sizeof in);
  return sizeof in;
}

std::string SocketAddr::to_string() const {
  std::string out;
  if (is_ipv4()) {
    out = ip_.to_string();
  } else {
    out = "[" + ip_.to_string();
    if (scope_id_ != 0) out += "%" + std::to_string(scope_id_);
    out += "]";
  }
  out += ":" + std::to_string(port_);
  return out;
}

}  // namespace eddy::net
