#include "eddy/net/lookup_host.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "eddy/blocking.hpp"
#include "eddy/net/error.hpp"

namespace eddy::net {

namespace {

std::error_code invalid() noexcept { return std::make_error_code(std::errc::invalid_argument); }

// The blocking part, run on the pool.
Result<std::vector<SocketAddr>> resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address instead of one per socket type
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    if (rc == EAI_SYSTEM) return last_error();
    return std::error_code(rc, gai_category());
  }
  std::vector<SocketAddr> out;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    auto a = SocketAddr::from_sockaddr(ai->ai_addr, ai->ai_addrlen);
    if (!a) continue;
    a->set_port(port);
    if (std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(*a);
  }
  ::freeaddrinfo(res);
  if (out.empty()) return std::error_code(EAI_NONAME, gai_category());
  return out;
}

// The job handed to spawn_blocking. A named type rather than a lambda with an init-capture:
// g++ 12 miscompiles such a lambda built inside a coroutine (the captured std::string is
// copied bitwise, leaving it pointing at the frame's buffer).
struct ResolveJob {
  std::string host;
  std::uint16_t port;
  Result<std::vector<SocketAddr>> operator()() const { return resolve(host, port); }
};

bool parse_port(std::string_view s, std::uint16_t& port) {
  if (s.empty() || s.size() > 5) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

}  // namespace

Task<Result<std::vector<SocketAddr>>> lookup_host(std::string host, std::uint16_t port) {
  if (host.empty() || host.find('\0') != std::string::npos) co_return invalid();
  // A literal needs no resolver (and no thread).
  if (auto ip = IpAddr::parse(host)) co_return std::vector<SocketAddr>{SocketAddr(*ip, port)};
  ResolveJob job{std::move(host), port};
  auto r = co_await spawn_blocking(std::move(job));
  if (!r) co_return r.error();
  co_return std::move(*r);
}

Task<Result<std::vector<SocketAddr>>> lookup_host(std::string host_and_port) {
  if (auto literal = SocketAddr::parse(host_and_port)) co_return std::vector<SocketAddr>{*literal};
  const std::string_view text(host_and_port);
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') co_return invalid();
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) co_return invalid();
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) co_return invalid();
  }
  std::uint16_t port = 0;
  if (!parse_port(port_text, port)) co_return invalid();
  co_return co_await lookup_host(std::string(host), port);
}

}  // namespace eddy::net
