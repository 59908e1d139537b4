#include "options.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace eddy_load {
namespace {

constexpr const char* kUsage =
    "usage: eddy-load --port N [options]\n"
    "A TCP echo load generator (loopback only). Every echoed byte is checked.\n"
    "  --addr IP          server address, a loopback address (default 127.0.0.1)\n"
    "  --port N           server port (required)\n"
    "  --connections N    concurrent connections (default 1, at most 60000)\n"
    "  --size BYTES       message size (default 64)\n"
    "  --inflight N       messages in flight per connection, pipelined (default 1);\n"
    "                     size * inflight is at most 65536\n"
    "  --duration SECS    how long to measure (default 3); with --count or --idle, a time limit\n"
    "  --warmup SECS      load before measuring, not counted (default 1; ignored with --count)\n"
    "  --count N          exactly N round trips in total, then stop (no warm-up)\n"
    "  --idle             one round trip per connection, then hold the connections open,\n"
    "                     idle, for --duration seconds (prints 'idle N' once all are idle)\n"
    "  --json             print one JSON object instead of the table\n"
    "  --no-progress      no live progress line (it is shown only on a terminal anyway)\n";

template <class T>
bool parse_uint(std::string_view s, T min, T max, T& out) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < min || v > max) return false;
  out = v;
  return true;
}

bool parse_seconds(std::string_view s, double& out) {
  std::string copy(s);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str() || *end != '\0' || !std::isfinite(v) || v < 0 || v > kMaxSeconds) return false;
  out = v;
  return true;
}

bool is_loopback(const std::string& addr) {
  in_addr v4{};
  if (inet_pton(AF_INET, addr.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, addr.c_str(), &v6) == 1) {
    static const in6_addr loop = IN6ADDR_LOOPBACK_INIT;
    return std::memcmp(&v6, &loop, sizeof v6) == 0;
  }
  return false;
}

}  // namespace

bool parse_options(int argc, char** argv, Options& out, std::string& message, int& exit_code) {
  exit_code = 2;
  bool have_port = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view& v) {
      if (i + 1 >= argc) {
        message = "eddy-load: " + std::string(arg) + " needs a value";
        return false;
      }
      v = argv[++i];
      return true;
    };
    auto bad = [&](std::string_view v, const char* what) {
      message = "eddy-load: bad value '" + std::string(v) + "' for " + std::string(arg) + " (" + what + ")";
      return false;
    };
    std::string_view v;
    if (arg == "-h" || arg == "--help") {
      message = kUsage;
      exit_code = 0;
      return false;
    } else if (arg == "--idle") {
      out.idle = true;
    } else if (arg == "--json") {
      out.json = true;
    } else if (arg == "--no-progress") {
      out.progress = false;
    } else if (arg == "--addr") {
      if (!value(v)) return false;
      out.addr = std::string(v);
      if (!is_loopback(out.addr)) return bad(v, "a loopback IP address: 127.x.y.z or ::1");
    } else if (arg == "--port") {
      if (!value(v)) return false;
      if (!parse_uint<std::uint16_t>(v, 1, 65535, out.port)) return bad(v, "1..65535");
      have_port = true;
    } else if (arg == "--connections") {
      if (!value(v)) return false;
      if (!parse_uint<std::uint32_t>(v, 1, kMaxConnections, out.connections)) return bad(v, "1..60000");
    } else if (arg == "--size") {
      if (!value(v)) return false;
      if (!parse_uint<std::uint32_t>(v, 1, kMaxSize, out.size)) return bad(v, "1..1048576");
    } else if (arg == "--inflight") {
      if (!value(v)) return false;
      if (!parse_uint<std::uint32_t>(v, 1, kMaxInflight, out.inflight)) return bad(v, "1..4096");
    } else if (arg == "--count") {
      if (!value(v)) return false;
      if (!parse_uint<std::uint64_t>(v, 1, std::uint64_t{1} << 40, out.count)) return bad(v, "1..2^40");
    } else if (arg == "--duration") {
      if (!value(v)) return false;
      if (!parse_seconds(v, out.duration) || out.duration <= 0) return bad(v, "seconds, > 0 and <= 3600");
    } else if (arg == "--warmup") {
      if (!value(v)) return false;
      if (!parse_seconds(v, out.warmup)) return bad(v, "seconds, 0..3600");
    } else {
      message = "eddy-load: unknown option '" + std::string(arg) + "'\n" + kUsage;
      return false;
    }
  }
  if (!have_port) {
    message = std::string("eddy-load: --port is required\n") + kUsage;
    return false;
  }
  if (static_cast<std::uint64_t>(out.size) * out.inflight > kMaxBytesInFlight) {
    message = "eddy-load: --size * --inflight must be at most 65536 bytes (one connection's bytes in flight)";
    return false;
  }
  if (out.idle && out.count > 0) {
    message = "eddy-load: --idle and --count exclude each other";
    return false;
  }
  if (out.count > 0) out.warmup = 0;
  return true;
}

}  // namespace eddy_load
