// The load run's shared state and its two kinds of task: one per connection (connection.cpp)
// and the one that connects, times the phases and reports (run.cpp).
//
// Everything runs on one current-thread runtime, so the shared state needs no synchronisation.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "eddy/net.hpp"
#include "eddy/task.hpp"
#include "histogram.hpp"
#include "options.hpp"

namespace eddy_load {

using Clock = std::chrono::steady_clock;

enum class Phase : std::uint8_t {
  Warmup,   // round trips run but are not counted
  Measure,  // round trips are counted and their latency recorded
  Stop,     // no new messages; connections drain what is in flight and finish
};

struct LoadState {
  explicit LoadState(const Options& o) : opts(o), credits(o.count) {}

  const Options& opts;
  Phase phase = Phase::Warmup;
  Histogram latency;              // round trips completed in the Measure phase
  std::uint64_t round_trips = 0;  // the same, counted
  std::uint64_t all_round_trips = 0;
  std::uint64_t bytes_verified = 0;
  std::uint64_t credits;          // --count mode: round trips not yet started
  std::uint32_t active = 0;       // connection tasks not yet finished (set by the run)
  std::uint32_t idle = 0;         // --idle mode: connections holding idle
  std::uint64_t errors = 0;
  std::string first_error;
  Clock::time_point last_finish{};

  // Messages a connection may start now, out of `wanted`.
  std::uint32_t take(std::uint32_t wanted) noexcept {
    if (phase == Phase::Stop) return 0;
    if (opts.count == 0) return wanted;
    const auto k = static_cast<std::uint32_t>(credits < wanted ? credits : wanted);
    credits -= k;
    return k;
  }

  void fail(std::string what) {
    if (errors++ == 0) first_error = std::move(what);
    phase = Phase::Stop;
  }
};

// One connection's load: sends messages (keeping opts.inflight in flight), checks every echoed
// byte, records each round trip's latency. Finishes once Stop is reached and nothing is in
// flight (or, with --idle, is aborted by the run while it holds the connection open).
eddy::Task<void> run_connection(LoadState& state, std::uint32_t id, eddy::net::TcpStream stream);

// The whole run; returns the process exit code.
eddy::Task<int> run_load(const Options& opts);

}  // namespace eddy_load
