// Timer queue benchmark: eddy's hierarchical timing wheel against binary-heap timer queues, in
// the same program, on the same deadlines.
//
//   insert+cancel: N timers inserted, then every one cancelled (the common fate of timeouts).
//   fire:          N timers inserted, then time advanced in 1 ms steps until all have fired.
//
// Baselines (both fair, both common in real event loops):
//   heap_lazy:    std::priority_queue; cancel marks the entry dead; dead entries are discarded
//                 when they reach the top (the purge is counted: without it the queue only grows).
//   heap_indexed: hand-written binary heap whose entries record their index, so cancel removes
//                 the entry in O(log n) (libuv/libevent style).
// The wheel runs through detail::TimerWheel directly (no lock, no waker), like the heaps.
// `sleep_path` measures eddy's whole public path for reference: Sleep construction, poll
// (TimeHandle lock + wheel insert + waker clone) and destruction (lock + unlink).
//
// At the end, the ratios heap / wheel of CPU time are printed (higher means the wheel is
// cheaper); CPU time rather than wall time because the benchmark machine is shared.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "eddy/time/detail/timer_wheel.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/sleep.hpp"

namespace {

using eddy::detail::TimerEntry;
using eddy::detail::TimerWheel;

// Deadlines in ms ticks, spread over 10 s (levels 0-2 of the wheel, as typical timeouts are).
std::vector<std::uint64_t> deadlines(std::size_t n) {
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> d(n);
  for (auto& x : d) x = 1 + rng() % 10'000;
  return d;
}

// --- baselines ---

struct LazyHeap {
  struct Item {
    std::uint64_t when;
    std::uint32_t id;
    bool operator>(const Item& o) const { return when > o.when; }
  };
  std::priority_queue<Item, std::vector<Item>, std::greater<>> q;
  std::vector<std::uint8_t> dead;
  void insert(std::uint32_t id, std::uint64_t when) {
    q.push({when, id});
  }
  void cancel(std::uint32_t id) { dead[id] = 1; }
  // Pops every entry due at `now`; returns the live ones fired.
  std::size_t fire(std::uint64_t now) {
    std::size_t n = 0;
    while (!q.empty() && q.top().when <= now) {
      if (!dead[q.top().id]) ++n;
      q.pop();
    }
    return n;
  }
  void purge() {
    while (!q.empty()) {
      benchmark::DoNotOptimize(dead[q.top().id]);
      q.pop();
    }
  }
};

struct IndexedHeap {
  struct Item {
    std::uint64_t when;
    std::uint32_t id;
  };
  std::vector<Item> h;
  std::vector<std::uint32_t> pos;  // id -> index in h
  void set(std::size_t i, Item it) {
    h[i] = it;
    pos[it.id] = static_cast<std::uint32_t>(i);
  }
  void up(std::size_t i) {
    Item it = h[i];
    while (i > 0) {
      std::size_t p = (i - 1) / 2;
      if (h[p].when <= it.when) break;
      set(i, h[p]);
      i = p;
    }
    set(i, it);
  }
  void down(std::size_t i) {
    Item it = h[i];
    const std::size_t n = h.size();
    for (;;) {
      std::size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1].when < h[c].when) ++c;
      if (it.when <= h[c].when) break;
      set(i, h[c]);
      i = c;
    }
    set(i, it);
  }
  void insert(std::uint32_t id, std::uint64_t when) {
    h.push_back({when, id});
    up(h.size() - 1);
  }
  void cancel(std::uint32_t id) {
    const std::size_t i = pos[id];
    const Item last = h.back();
    h.pop_back();
    if (i == h.size()) return;
    set(i, last);
    up(i);
    down(pos[last.id]);
  }
  std::size_t fire(std::uint64_t now) {
    std::size_t n = 0;
    while (!h.empty() && h[0].when <= now) {
      cancel(h[0].id);
      ++n;
    }
    return n;
  }
};

// --- insert + cancel ---

void BM_InsertCancel_Wheel(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = deadlines(n);
  auto entries = std::make_unique<TimerEntry[]>(n);
  for (auto _ : state) {
    TimerWheel w;
    for (std::size_t i = 0; i < n; ++i) {
      entries[i].when = d[i];
      w.insert(entries[i]);
    }
    for (std::size_t i = 0; i < n; ++i) w.remove(entries[i]);
    benchmark::DoNotOptimize(w.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_InsertCancel_HeapLazy(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = deadlines(n);
  for (auto _ : state) {
    LazyHeap q;
    q.dead.assign(n, 0);
    std::vector<LazyHeap::Item> storage;
    storage.reserve(n);
    q.q = decltype(q.q)(std::greater<>(), std::move(storage));
    for (std::size_t i = 0; i < n; ++i) q.insert(static_cast<std::uint32_t>(i), d[i]);
    for (std::size_t i = 0; i < n; ++i) q.cancel(static_cast<std::uint32_t>(i));
    q.purge();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_InsertCancel_HeapIndexed(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = deadlines(n);
  for (auto _ : state) {
    IndexedHeap q;
    q.h.reserve(n);
    q.pos.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) q.insert(static_cast<std::uint32_t>(i), d[i]);
    for (std::size_t i = 0; i < n; ++i) q.cancel(static_cast<std::uint32_t>(i));
    benchmark::DoNotOptimize(q.h.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// --- fire ---

void BM_Fire_Wheel(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = deadlines(n);
  auto entries = std::make_unique<TimerEntry[]>(n);
  for (auto _ : state) {
    TimerWheel w;
    for (std::size_t i = 0; i < n; ++i) {
      entries[i].when = d[i];
      w.insert(entries[i]);
    }
    std::size_t fired = 0;
    for (std::uint64_t now = 1; fired < n; ++now) {
      while (w.poll(now) != nullptr) ++fired;
    }
    benchmark::DoNotOptimize(fired);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_Fire_HeapLazy(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = deadlines(n);
  for (auto _ : state) {
    LazyHeap q;
    q.dead.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) q.insert(static_cast<std::uint32_t>(i), d[i]);
    std::size_t fired = 0;
    for (std::uint64_t now = 1; fired < n; ++now) fired += q.fire(now);
    benchmark::DoNotOptimize(fired);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_Fire_HeapIndexed(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = deadlines(n);
  for (auto _ : state) {
    IndexedHeap q;
    q.h.reserve(n);
    q.pos.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i) q.insert(static_cast<std::uint32_t>(i), d[i]);
    std::size_t fired = 0;
    for (std::uint64_t now = 1; fired < n; ++now) fired += q.fire(now);
    benchmark::DoNotOptimize(fired);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// --- the whole public path ---

void* noop_clone(void* p) noexcept { return p; }
void noop(void*) noexcept {}
const eddy::WakerVTable kNoopVTable{&noop_clone, &noop, &noop, &noop};

void BM_SleepPath_InsertCancel(benchmark::State& state) {
  auto rt = eddy::Builder::new_current_thread().enable_time().build();
  if (!rt) {
    state.SkipWithError("runtime");
    return;
  }
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto d = deadlines(n);
  const auto waker = eddy::Waker::from_raw(nullptr, &kNoopVTable);
  const auto base = eddy::time::Instant::now() + std::chrono::seconds(1);
  std::vector<std::optional<eddy::time::Sleep>> sleeps(n);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      sleeps[i].emplace(rt->handle(), base + std::chrono::milliseconds(d[i]));
      benchmark::DoNotOptimize(sleeps[i]->poll(waker));
    }
    for (auto& s : sleeps) s.reset();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

constexpr std::int64_t kInsertN = 1'000'000;
constexpr std::int64_t kFireN = 100'000;

BENCHMARK(BM_InsertCancel_Wheel)->Arg(kInsertN)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InsertCancel_HeapLazy)->Arg(kInsertN)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InsertCancel_HeapIndexed)->Arg(kInsertN)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Fire_Wheel)->Arg(kFireN)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Fire_HeapLazy)->Arg(kFireN)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Fire_HeapIndexed)->Arg(kFireN)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SleepPath_InsertCancel)->Arg(kInsertN)->Unit(benchmark::kMillisecond);

// Remembers each benchmark's time per iteration so that main can print the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.run_type == Run::RT_Iteration && r.iterations > 0) {
        times[r.run_name.function_name] = r.cpu_accumulated_time / static_cast<double>(r.iterations);
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> times;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  auto& t = reporter.times;
  auto ratio = [&](const char* heap, const char* wheel) {
    if (t.count(heap) == 0 || t.count(wheel) == 0) return;
    std::printf("  %-28s / %-22s = %5.2fx  (%.1f ms vs %.1f ms)\n", heap, wheel, t[heap] / t[wheel], t[heap] * 1e3,
                t[wheel] * 1e3);
  };
  std::printf("\nheap / wheel (higher = wheel cheaper):\n");
  ratio("BM_InsertCancel_HeapLazy", "BM_InsertCancel_Wheel");
  ratio("BM_InsertCancel_HeapIndexed", "BM_InsertCancel_Wheel");
  ratio("BM_Fire_HeapLazy", "BM_Fire_Wheel");
  ratio("BM_Fire_HeapIndexed", "BM_Fire_Wheel");
  if (t.count("BM_SleepPath_InsertCancel")) {
    std::printf("  full Sleep path (lock + wheel + waker), insert+cancel: %.1f ns per timer\n",
                t["BM_SleepPath_InsertCancel"] * 1e9 / static_cast<double>(kInsertN));
  }
  benchmark::Shutdown();
  return 0;
}
