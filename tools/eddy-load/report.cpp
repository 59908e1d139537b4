#include "report.hpp"

#include <cinttypes>
#include <cstdio>
#include <string>

namespace eddy_load {
namespace {

// 1234567 -> "1,234,567"
std::string grouped(std::uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string duration(std::uint64_t ns) {
  char buf[32];
  if (ns < 10'000) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 " ns", ns);
  } else if (ns < 10'000'000) {
    std::snprintf(buf, sizeof buf, "%.1f us", static_cast<double>(ns) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f ms", static_cast<double>(ns) / 1e6);
  }
  return buf;
}

double per_second(std::uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0.0; }

}  // namespace

void print_progress(double elapsed, double rate, const LoadState& state) {
  std::printf("\r\033[K  %5.1f s  %12s round trips/s  p99 so far %s", elapsed,
              grouped(static_cast<std::uint64_t>(rate)).c_str(), duration(state.latency.quantile(0.99)).c_str());
  std::fflush(stdout);
}

void clear_progress() {
  std::printf("\r\033[K");
  std::fflush(stdout);
}

void print_table(const Options& o, const LoadState& s, const Results& r) {
  const double rate = per_second(s.round_trips, r.seconds);
  const double mbps = rate * o.size / 1e6;
  std::printf("eddy-load: %s port %u, %u connection%s, %u-byte messages, %u in flight each\n", o.addr.c_str(),
              static_cast<unsigned>(o.port), r.connections, r.connections == 1 ? "" : "s", o.size, o.inflight);
  std::printf("  %-14s %s in %.2f s\n", "round trips", grouped(s.round_trips).c_str(), r.seconds);
  std::printf("  %-14s %s /s   (%.1f MB/s each way)\n", "rate", grouped(static_cast<std::uint64_t>(rate)).c_str(), mbps);
  std::printf("  %-14s p50 %s   p99 %s   p99.9 %s   max %s\n", "latency", duration(s.latency.quantile(0.50)).c_str(),
              duration(s.latency.quantile(0.99)).c_str(), duration(s.latency.quantile(0.999)).c_str(),
              duration(s.latency.max()).c_str());
  std::printf("  %-14s %s bytes echoed and checked, %s error%s\n", "verified", grouped(s.bytes_verified).c_str(),
              grouped(s.errors).c_str(), s.errors == 1 ? "" : "s");
  if (s.errors > 0) std::printf("  %-14s %s\n", "first error", s.first_error.c_str());
  std::fflush(stdout);
}

void print_json(const Options& o, const LoadState& s, const Results& r) {
  // Error text is ours (no quotes or backslashes), except the kernel's messages, which have none.
  std::printf(
      "{\"connections\":%u,\"size\":%u,\"inflight\":%u,\"seconds\":%.4f,\"round_trips\":%" PRIu64
      ",\"rtt_per_sec\":%.1f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f,\"max_us\":%.2f,\"mean_us\":%.2f"
      ",\"all_round_trips\":%" PRIu64 ",\"bytes_verified\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"first_error\":\"%s\"}\n",
      r.connections, o.size, o.inflight, r.seconds, s.round_trips, per_second(s.round_trips, r.seconds),
      static_cast<double>(s.latency.quantile(0.50)) / 1e3, static_cast<double>(s.latency.quantile(0.99)) / 1e3,
      static_cast<double>(s.latency.quantile(0.999)) / 1e3, static_cast<double>(s.latency.max()) / 1e3,
      s.latency.mean() / 1e3, s.all_round_trips, s.bytes_verified, s.errors, s.first_error.c_str());
  std::fflush(stdout);
}

}  // namespace eddy_load
