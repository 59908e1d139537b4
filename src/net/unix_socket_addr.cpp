#include "eddy/net/unix_socket_addr.hpp"

#include <cstddef>
#include <cstring>

namespace eddy::net {

namespace {
constexpr socklen_t kPathOffset = offsetof(sockaddr_un, sun_path);
constexpr std::size_t kMaxPath = sizeof(sockaddr_un{}.sun_path);
std::error_code invalid() noexcept { return std::make_error_code(std::errc::invalid_argument); }
}  // namespace

UnixSocketAddr::UnixSocketAddr() noexcept : addr_{}, len_(kPathOffset) { addr_.sun_family = AF_UNIX; }

Result<UnixSocketAddr> UnixSocketAddr::from_path(std::string_view path) {
  // One byte is kept for the terminating NUL.
  if (path.empty() || path.size() >= kMaxPath || path.find('\0') != std::string_view::npos) {
    return invalid();
  }
  UnixSocketAddr a;
  std::memcpy(a.addr_.sun_path, path.data(), path.size());
  a.addr_.sun_path[path.size()] = '\0';
  a.len_ = static_cast<socklen_t>(kPathOffset + path.size() + 1);
  return a;
}

Result<UnixSocketAddr> UnixSocketAddr::from_abstract_name(std::string_view name) {
  if (name.size() + 1 > kMaxPath) return invalid();
  UnixSocketAddr a;
  a.addr_.sun_path[0] = '\0';
  std::memcpy(a.addr_.sun_path + 1, name.data(), name.size());
  a.len_ = static_cast<socklen_t>(kPathOffset + 1 + name.size());
  return a;
}

Result<UnixSocketAddr> UnixSocketAddr::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t)) || sa->sa_family != AF_UNIX ||
      len > static_cast<socklen_t>(sizeof(sockaddr_un))) {
    return invalid();
  }
  UnixSocketAddr a;
  std::memcpy(&a.addr_, sa, static_cast<std::size_t>(len));
  a.len_ = len < kPathOffset ? kPathOffset : len;
  return a;
}

bool UnixSocketAddr::is_unnamed() const noexcept { return len_ <= kPathOffset; }

std::optional<std::string_view> UnixSocketAddr::as_pathname() const noexcept {
  if (is_unnamed() || addr_.sun_path[0] == '\0') return std::nullopt;
  const std::size_t n = static_cast<std::size_t>(len_ - kPathOffset);
  // The kernel may or may not count the NUL; stop at the first one.
  return std::string_view(addr_.sun_path, strnlen(addr_.sun_path, n));
}

std::optional<std::string_view> UnixSocketAddr::as_abstract_name() const noexcept {
  if (is_unnamed() || addr_.sun_path[0] != '\0') return std::nullopt;
  return std::string_view(addr_.sun_path + 1, static_cast<std::size_t>(len_ - kPathOffset - 1));
}

std::string UnixSocketAddr::to_string() const {
  if (auto p = as_pathname()) return std::string(*p);
  if (auto n = as_abstract_name()) return "@" + std::string(*n);
  return "(unnamed)";
}

bool UnixSocketAddr::operator==(const UnixSocketAddr& o) const noexcept {
  if (is_unnamed() || o.is_unnamed()) return is_unnamed() && o.is_unnamed();
  if (auto p = as_pathname()) return *p == o.as_pathname();
  return as_abstract_name() == o.as_abstract_name();
}

}  // namespace eddy::net
