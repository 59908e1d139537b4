// Fuzz target: eddy-load's command-line parsing (tools/eddy-load/options.cpp). The input is
// split at NUL bytes into argv[1..]. Properties: no crash or UB; accepted options respect the
// documented limits; rejected input gives a message and exit code 2 (0 only for --help).
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"eddy-load"};
  std::string cur;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  if (!cur.empty() || size == 0) args.push_back(cur);
  if (args.size() > 64) return 0;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  eddy_load::Options o;
  std::string message;
  int code = -1;
  if (eddy_load::parse_options(static_cast<int>(args.size()), argv.data(), o, message, code)) {
    FUZZ_CHECK(o.port != 0);
    FUZZ_CHECK(o.connections >= 1 && o.connections <= eddy_load::kMaxConnections);
    FUZZ_CHECK(o.size >= 1 && o.size <= eddy_load::kMaxSize);
    FUZZ_CHECK(o.inflight >= 1 && o.inflight <= eddy_load::kMaxInflight);
    FUZZ_CHECK(std::uint64_t{o.size} * o.inflight <= eddy_load::kMaxBytesInFlight);
    FUZZ_CHECK(o.duration > 0 && o.duration <= eddy_load::kMaxSeconds);
    FUZZ_CHECK(o.warmup >= 0 && o.warmup <= eddy_load::kMaxSeconds);
  } else {
    FUZZ_CHECK(!message.empty());
    FUZZ_CHECK(code == 0 || code == 2);
  }
  return 0;
}
