// Command-line options of eddy-load, with their limits (the tool is bounded in connections,
// bytes and time, and talks to loopback only).
#pragma once

#include <cstdint>
#include <string>

namespace eddy_load {

struct Options {
  std::string addr = "127.0.0.1";
  std::uint16_t port = 0;
  std::uint32_t connections = 1;
  std::uint32_t size = 64;      // bytes per message
  std::uint32_t inflight = 1;   // messages in flight per connection
  double duration = 3.0;        // measured seconds (a time limit with --count or --idle)
  double warmup = 1.0;          // seconds before measuring (not with --count)
  std::uint64_t count = 0;      // > 0: exactly this many round trips in total, then stop
  bool idle = false;            // one round trip per connection, then hold them open
  bool json = false;            // one JSON object on stdout instead of the table
  bool progress = true;         // live line when stdout is a terminal
};

inline constexpr std::uint32_t kMaxConnections = 60000;
inline constexpr std::uint32_t kMaxSize = 1u << 20;
inline constexpr std::uint32_t kMaxInflight = 4096;
// Bytes one connection has in flight: one task per connection writes then reads, so what it has
// written but not read back must fit in the loopback socket buffers, or both ends could block
// writing (see connection.cpp).
inline constexpr std::uint64_t kMaxBytesInFlight = 64 * 1024;
inline constexpr double kMaxSeconds = 3600;

// Parses argv. On error or --help returns false with `message` set (usage text for --help;
// `exit_code` 0 for --help, 2 for bad input).
bool parse_options(int argc, char** argv, Options& out, std::string& message, int& exit_code);

}  // namespace eddy_load
