// Cost of the I/O driver's hot paths, each next to a minimal hand-written epoll loop doing the
// same work, so that the ratio (printed at the end) shows what eddy's machinery costs.
//
// Dispatch: N eventfds, registered edge-triggered for reads, are all made ready (one write each,
// outside the timed region), then one turn dispatches the N events. eddy sets each resource's
// readiness (tick bump) and runs its wake path; the baseline ORs the event bits into a per-fd
// struct and bumps a counter: the least a reactor can do per event.
//
// Register+deregister: eddy's add_source + deregister_source (plus the deferred release at the
// next turn) against epoll_ctl ADD + DEL and a heap object per registration.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "io/driver.hpp"

namespace {

using eddy::Interest;
using eddy::detail::RefPtr;
using eddy::io::Driver;
using eddy::io::ScheduledIo;

std::vector<int> make_eventfds(std::size_t n) {
  std::vector<int> fds;
  for (std::size_t i = 0; i < n; ++i) fds.push_back(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  return fds;
}

void make_all_ready(const std::vector<int>& fds) {
  const std::uint64_t one = 1;
  for (int fd : fds) {
    if (::write(fd, &one, sizeof one) != sizeof one) std::abort();
  }
}

void close_all(const std::vector<int>& fds) {
  for (int fd : fds) ::close(fd);
}

// --- dispatch ----------------------------------------------------------------------------------

void BM_EddyDispatch(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto driver = std::move(*Driver::create(n + 8));
  auto h = driver.handle();
  const auto fds = make_eventfds(n);
  std::vector<RefPtr<ScheduledIo>> ios;
  for (int fd : fds) ios.push_back(*h->add_source(fd, Interest::READABLE));

  const std::uint64_t before = h->metrics().ready_count();
  for (auto _ : state) {
    state.PauseTiming();
    make_all_ready(fds);
    state.ResumeTiming();
    driver.park_timeout(std::chrono::nanoseconds(0));
  }
  const std::uint64_t events = h->metrics().ready_count() - before;
  if (events != n * state.iterations()) state.SkipWithError("not every event was dispatched");
  state.counters["ns_per_event"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  for (std::size_t i = 0; i < fds.size(); ++i) (void)h->deregister_source(*ios[i], fds[i]);
  close_all(fds);
}

// The per-resource state of the baseline: a readiness flag word and an event counter.
struct alignas(64) BaselineIo {
  std::uint32_t ready = 0;
  std::uint32_t tick = 0;
};

void BM_BaselineDispatch(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  const auto fds = make_eventfds(n);
  std::vector<BaselineIo> ios(n);
  for (std::size_t i = 0; i < n; ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &ios[i];
    if (::epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0) std::abort();
  }
  std::vector<epoll_event> events(n + 8);
  std::uint64_t dispatched = 0;
  for (auto _ : state) {
    state.PauseTiming();
    make_all_ready(fds);
    state.ResumeTiming();
    const int got = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 0);
    for (int i = 0; i < got; ++i) {
      auto* io = static_cast<BaselineIo*>(events[static_cast<std::size_t>(i)].data.ptr);
      io->ready |= events[static_cast<std::size_t>(i)].events;
      ++io->tick;
    }
    dispatched += static_cast<std::uint64_t>(got > 0 ? got : 0);
  }
  benchmark::DoNotOptimize(ios.data());
  if (dispatched != n * state.iterations()) state.SkipWithError("not every event was dispatched");
  state.counters["ns_per_event"] = benchmark::Counter(static_cast<double>(dispatched),
                                                      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  close_all(fds);
  ::close(ep);
}

BENCHMARK(BM_EddyDispatch)->Arg(64)->Arg(512);
BENCHMARK(BM_BaselineDispatch)->Arg(64)->Arg(512);

// --- register + deregister ---------------------------------------------------------------------

void BM_EddyRegisterDeregister(benchmark::State& state) {
  auto driver = std::move(*Driver::create());
  auto h = driver.handle();
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  std::size_t i = 0;
  for (auto _ : state) {
    auto io = h->add_source(fd, Interest::READABLE);
    (void)h->deregister_source(**io, fd);
    // The deferred release is part of the cost; a turn runs it (every 16th deregistration also
    // unparks the driver, which is the real-life trigger for it).
    if (++i % 16 == 0) driver.park_timeout(std::chrono::nanoseconds(0));
  }
  state.counters["ns_per_pair"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  ::close(fd);
}

void BM_BaselineRegisterDeregister(benchmark::State& state) {
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  for (auto _ : state) {
    auto* io = new BaselineIo();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = io;
    if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) std::abort();
    if (::epoll_ctl(ep, EPOLL_CTL_DEL, fd, &ev) != 0) std::abort();
    benchmark::DoNotOptimize(io);
    delete io;
  }
  state.counters["ns_per_pair"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  ::close(fd);
  ::close(ep);
}

BENCHMARK(BM_EddyRegisterDeregister);
BENCHMARK(BM_BaselineRegisterDeregister);

// Keeps each run's per-unit figure (the ns_per_* counter) so main() can print eddy/baseline.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      // With --benchmark_repetitions the median is the figure to compare (the machine is noisy).
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (r.run_type != Run::RT_Iteration && !median) continue;
      for (const char* key : {"ns_per_event", "ns_per_pair"}) {
        auto it = r.counters.find(key);
        if (it == r.counters.end()) continue;
        const std::string name = r.run_name.str();
        if (median || medians_.count(name) == 0) per_unit_ns[name] = it->second.value * 1e9;
        if (median) medians_.insert(name);
      }
    }
  }
  std::map<std::string, double> per_unit_ns;

 private:
  std::set<std::string> medians_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const auto& m = reporter.per_unit_ns;
  auto ratio = [&](const std::string& eddy, const std::string& base, const char* what) {
    auto e = m.find(eddy), b = m.find(base);
    if (e == m.end() || b == m.end()) return;
    std::printf("%-28s eddy %8.1f ns  baseline %8.1f ns  ratio %.2fx\n", what, e->second, b->second,
                e->second / b->second);
  };
  std::printf("\n");
  ratio("BM_EddyDispatch/64", "BM_BaselineDispatch/64", "dispatch, 64 fds (per event)");
  ratio("BM_EddyDispatch/512", "BM_BaselineDispatch/512", "dispatch, 512 fds (per event)");
  ratio("BM_EddyRegisterDeregister", "BM_BaselineRegisterDeregister", "register+deregister (per pair)");
  return 0;
}
