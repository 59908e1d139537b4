// The run: connect every connection, then start them together and time the phases
// (warm-up, measure, stop and drain), then report. Every wait is bounded: connecting, the
// measured time, draining (kDrainLimit) and, with --count or --idle, --duration as a time limit.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "eddy/runtime.hpp"
#include "eddy/time.hpp"
#include "load.hpp"
#include "report.hpp"

namespace eddy_load {
namespace {

using namespace std::chrono_literals;

constexpr auto kConnectLimit = 60s;  // for all connections together
constexpr auto kDrainLimit = 5s;     // for messages in flight when the measured time ends
constexpr auto kTick = 250ms;        // progress line period
constexpr auto kPoll = 10ms;         // how often the run checks on its connections while waiting

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Sleeps in kPoll steps until `done()` or `deadline`; true if done.
template <class F>
eddy::Task<bool> wait_until(F done, Clock::time_point deadline) {
  while (!done()) {
    if (Clock::now() >= deadline) co_return false;
    (void)co_await eddy::time::sleep(kPoll);
  }
  co_return true;
}

}  // namespace

eddy::Task<int> run_load(const Options& o) {
  auto addr = eddy::net::SocketAddr::parse(o.addr.find(':') != std::string::npos
                                               ? "[" + o.addr + "]:" + std::to_string(o.port)
                                               : o.addr + ":" + std::to_string(o.port));
  if (!addr) {
    std::fprintf(stderr, "eddy-load: bad address %s: %s\n", o.addr.c_str(), addr.error().message().c_str());
    co_return 2;
  }
  LoadState state(o);
  const bool live = o.progress && !o.json && isatty(STDOUT_FILENO) == 1;

  // Connect them all before any starts, so that every connection runs for the whole measure.
  std::vector<eddy::net::TcpStream> streams;
  streams.reserve(o.connections);
  const auto connect_deadline = Clock::now() + kConnectLimit;
  for (std::uint32_t i = 0; i < o.connections; ++i) {
    auto s = co_await eddy::net::TcpStream::connect(*addr);
    if (!s) {
      std::fprintf(stderr, "eddy-load: connection %u of %u to %s port %u failed: %s\n", i + 1, o.connections,
                   o.addr.c_str(), static_cast<unsigned>(o.port), s.error().message().c_str());
      co_return 1;
    }
    (void)s->set_nodelay(true);
    streams.push_back(std::move(*s));
    if (Clock::now() > connect_deadline) {
      std::fprintf(stderr, "eddy-load: connecting took longer than %llds\n",
                   static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(kConnectLimit).count()));
      co_return 1;
    }
  }

  std::vector<eddy::JoinHandle<void>> tasks;
  tasks.reserve(o.connections);
  state.phase = o.warmup > 0 ? Phase::Warmup : Phase::Measure;
  state.active = o.connections;  // each task counts itself out when it finishes
  for (std::uint32_t i = 0; i < o.connections; ++i) {
    tasks.push_back(eddy::spawn(run_connection(state, i, std::move(streams[i]))));
  }
  streams.clear();

  const auto limit = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  Results res;
  res.connections = o.connections;
  bool finished = true;

  if (o.idle) {
    // Every connection does one round trip, then holds; say so (the benchmark measures the
    // server's memory now), hold for --duration, then close them all.
    finished = co_await wait_until([&] { return state.idle == o.connections || state.errors > 0; },
                                   Clock::now() + kConnectLimit);
    if (finished && state.errors == 0) {
      std::printf("idle %u\n", state.idle);
      std::fflush(stdout);
      (void)co_await eddy::time::sleep(limit);
    }
    state.phase = Phase::Stop;
    for (auto& t : tasks) t.abort();
  } else {
    if (state.phase == Phase::Warmup) {
      (void)co_await eddy::time::sleep(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup)));
      if (state.phase == Phase::Warmup) state.phase = Phase::Measure;
    }
    const auto start = Clock::now();
    const auto end = start + limit;
    auto last_tick = start;
    std::uint64_t last_count = 0;
    // --count: until every round trip is done (or the limit). Otherwise: for --duration.
    while (state.phase == Phase::Measure && (o.count == 0 || state.active > 0)) {
      const auto now = Clock::now();
      if (now >= end) break;
      const auto step = o.count > 0 ? std::chrono::duration_cast<Clock::duration>(kPoll) : Clock::duration(kTick);
      (void)co_await eddy::time::sleep(std::min<Clock::duration>(step, end - now));
      if (live && Clock::now() - last_tick >= kTick) {
        const auto t = Clock::now();
        print_progress(seconds_between(start, t),
                       static_cast<double>(state.round_trips - last_count) / seconds_between(last_tick, t), state);
        last_tick = t;
        last_count = state.round_trips;
      }
    }
    if (live) clear_progress();
    const bool limit_hit = o.count > 0 && state.active > 0;
    state.phase = Phase::Stop;
    res.seconds = seconds_between(start, o.count > 0 && !limit_hit ? state.last_finish : Clock::now());
    if (limit_hit) state.fail("--count: the round trips did not finish within --duration");
    finished = co_await wait_until([&] { return state.active == 0; }, Clock::now() + kDrainLimit);
    if (!finished) {
      state.fail(std::to_string(state.active) + " connection(s) still had messages in flight " +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kDrainLimit).count()) +
                 " s after the end");
      for (auto& t : tasks) t.abort();
    }
  }
  for (auto& t : tasks) (void)co_await t;
  tasks.clear();

  if (!o.idle) {
    if (o.json) {
      print_json(o, state, res);
    } else {
      print_table(o, state, res);
    }
  }
  if (state.errors > 0) {
    std::fprintf(stderr, "eddy-load: FAILED: %s\n", state.first_error.c_str());
    co_return 1;
  }
  co_return 0;
}

}  // namespace eddy_load
