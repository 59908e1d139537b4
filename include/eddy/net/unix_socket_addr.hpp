// UnixSocketAddr: the address of a Unix domain socket: a filesystem path ("/tmp/app.sock"), a
// Linux abstract name (no filesystem entry; written "@name" by to_string), or unnamed (an
// unbound socket, or the client side of a connection).
//
// Paths are limited by sockaddr_un (107 bytes plus NUL); longer paths, empty paths and paths
// containing NUL give std::errc::invalid_argument.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <optional>
#include <string>
#include <string_view>

#include "eddy/result.hpp"

namespace eddy::net {

class UnixSocketAddr {
 public:
  // Unnamed.
  UnixSocketAddr() noexcept;

  static Result<UnixSocketAddr> from_path(std::string_view path);
  // Linux abstract namespace (`name` without the leading NUL, up to 107 bytes).
  static Result<UnixSocketAddr> from_abstract_name(std::string_view name);
  // From a kernel address (AF_UNIX); anything else is invalid_argument.
  static Result<UnixSocketAddr> from_sockaddr(const sockaddr* sa, socklen_t len);

  bool is_unnamed() const noexcept;
  // The path, if this is a pathname address.
  std::optional<std::string_view> as_pathname() const noexcept;
  // The abstract name, if this is an abstract address.
  std::optional<std::string_view> as_abstract_name() const noexcept;

  // "/path", "@name" or "(unnamed)".
  std::string to_string() const;

  const sockaddr* as_sockaddr() const noexcept { return reinterpret_cast<const sockaddr*>(&addr_); }
  socklen_t len() const noexcept { return len_; }

  bool operator==(const UnixSocketAddr& o) const noexcept;

 private:
  sockaddr_un addr_;
  socklen_t len_;
};

}  // namespace eddy::net
