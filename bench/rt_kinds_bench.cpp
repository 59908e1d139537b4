// tokio's rt_multi_threaded benchmarks ported to eddy, run on both runtime kinds side by side:
// current_thread (arg 0) and multi_thread with 2 workers (arg 1). Each reports "ns_per_op":
// wall time per spawned-and-finished task, per yield, per ping-pong round trip, per chained
// spawn. Counts match tokio's benches (10,000 spawns; 200 tasks x 1,000 yields; 1,000
// ping-pong pairs x 1 round; a 1,000-deep spawn chain). Wall-clock figures: noisy on a shared
// VM, compare the two kinds within one run.
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "eddy/join_handle.hpp"
#include "eddy/runtime.hpp"
#include "eddy/sync/oneshot.hpp"
#include "eddy/task.hpp"
#include "eddy/yield_now.hpp"

namespace {

using eddy::Task;

eddy::Runtime make_rt(std::int64_t kind) {
  auto b = kind == 0 ? eddy::Builder::new_current_thread() : eddy::Builder::new_multi_thread().worker_threads(2);
  return std::move(*b.enable_all().build());
}

// Wall time (UseRealTime: the work runs on other threads) per operation, in nanoseconds.
void report(benchmark::State& state, double ops_per_iteration) {
  state.counters["ns_per_op"] = benchmark::Counter(ops_per_iteration * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  // (Printed with an "s" suffix by the library: the figure is nanoseconds.)
  state.SetLabel(state.range(0) == 0 ? "current_thread" : "multi_thread(2)");
}

constexpr int kSpawns = 10'000;

Task<void> count_down(std::atomic<int>& left, std::shared_ptr<eddy::sync::oneshot::Sender<int>>* done) {
  if (left.fetch_sub(1) == 1) (void)(*done)->send(0);
  co_return;
}

// spawn_many_local: one task spawns 10,000 tasks and waits for the last to finish.
void BM_SpawnManyLocal(benchmark::State& state) {
  auto rt = make_rt(state.range(0));
  for (auto _ : state) {
    rt.block_on([]() -> Task<void> {
      std::atomic<int> left{kSpawns};
      auto [tx, rx] = eddy::sync::oneshot::channel<int>();
      auto sender = std::make_shared<eddy::sync::oneshot::Sender<int>>(std::move(tx));
      for (int i = 0; i < kSpawns; ++i) eddy::spawn(count_down(left, &sender)).detach();
      (void)co_await rx;
    }());
  }
  report(state, kSpawns);
}

// spawn_many_remote_idle: a plain thread spawns 10,000 tasks onto an idle runtime.
void BM_SpawnManyRemoteIdle(benchmark::State& state) {
  auto rt = make_rt(state.range(0));
  for (auto _ : state) {
    std::atomic<int> left{kSpawns};
    auto [tx, rx] = eddy::sync::oneshot::channel<int>();
    auto sender = std::make_shared<eddy::sync::oneshot::Sender<int>>(std::move(tx));
    std::thread t([&] {
      for (int i = 0; i < kSpawns; ++i) rt.handle().spawn(count_down(left, &sender)).detach();
    });
    rt.block_on([](eddy::sync::oneshot::Receiver<int> r) -> Task<void> { (void)co_await r; }(std::move(rx)));
    t.join();
  }
  report(state, kSpawns);
}

// spawn_many_remote_busy: the same while the runtime is busy: one task per worker (one on the
// current-thread kind, two on the multi-thread one) yields in a loop for the whole benchmark,
// so the spawned tasks compete with it and every spawn finds a worker awake.
void BM_SpawnManyRemoteBusy(benchmark::State& state) {
  auto rt = make_rt(state.range(0));
  std::atomic<bool> stop{false};
  std::vector<eddy::JoinHandle<void>> spinners;
  const int n_spinners = state.range(0) == 0 ? 1 : 2;
  for (int i = 0; i < n_spinners; ++i) {
    spinners.push_back(rt.spawn([](std::atomic<bool>& s) -> Task<void> {
      while (!s.load(std::memory_order_relaxed)) co_await eddy::yield_now();
    }(stop)));
  }
  for (auto _ : state) {
    std::atomic<int> left{kSpawns};
    auto [tx, rx] = eddy::sync::oneshot::channel<int>();
    auto sender = std::make_shared<eddy::sync::oneshot::Sender<int>>(std::move(tx));
    std::thread t([&] {
      for (int i = 0; i < kSpawns; ++i) rt.handle().spawn(count_down(left, &sender)).detach();
    });
    rt.block_on([](eddy::sync::oneshot::Receiver<int> r) -> Task<void> { (void)co_await r; }(std::move(rx)));
    t.join();
  }
  stop.store(true);
  rt.block_on([](std::vector<eddy::JoinHandle<void>>& hs) -> Task<void> {
    for (auto& h : hs) (void)co_await h;
  }(spinners));
  report(state, kSpawns);
}

// yield_many: 200 tasks each yield 1,000 times.
void BM_YieldMany(benchmark::State& state) {
  constexpr int kTasks = 200;
  constexpr int kYields = 1'000;
  auto rt = make_rt(state.range(0));
  for (auto _ : state) {
    rt.block_on([]() -> Task<void> {
      std::vector<eddy::JoinHandle<void>> hs;
      hs.reserve(kTasks);
      for (int i = 0; i < kTasks; ++i) {
        hs.push_back(eddy::spawn([]() -> Task<void> {
          for (int k = 0; k < kYields; ++k) co_await eddy::yield_now();
        }()));
      }
      for (auto& h : hs) (void)co_await h;
    }());
  }
  report(state, double{kTasks} * kYields);
}

// ping_pong: 1,000 pairs of tasks exchange one message each way over oneshot channels.
void BM_PingPong(benchmark::State& state) {
  constexpr int kPairs = 1'000;
  auto rt = make_rt(state.range(0));
  for (auto _ : state) {
    rt.block_on([]() -> Task<void> {
      std::vector<eddy::JoinHandle<void>> hs;
      hs.reserve(kPairs);
      for (int i = 0; i < kPairs; ++i) {
        hs.push_back(eddy::spawn([]() -> Task<void> {
          auto [tx1, rx1] = eddy::sync::oneshot::channel<int>();
          auto [tx2, rx2] = eddy::sync::oneshot::channel<int>();
          auto pong = eddy::spawn([](eddy::sync::oneshot::Receiver<int> r, eddy::sync::oneshot::Sender<int> s) -> Task<void> {
            auto v = co_await r;
            (void)s.send(v ? *v : 0);
          }(std::move(rx1), std::move(tx2)));
          (void)tx1.send(1);
          (void)co_await rx2;
          (void)co_await pong;
        }()));
      }
      for (auto& h : hs) (void)co_await h;
    }());
  }
  report(state, kPairs);
}

// chained_spawn: each task spawns the next, 1,000 deep; the last one signals.
Task<void> chain_step(int left, std::shared_ptr<eddy::sync::oneshot::Sender<int>> done) {
  if (left == 0) {
    (void)done->send(0);
    co_return;
  }
  eddy::spawn(chain_step(left - 1, std::move(done))).detach();
}

void BM_ChainedSpawn(benchmark::State& state) {
  constexpr int kDepth = 1'000;
  auto rt = make_rt(state.range(0));
  for (auto _ : state) {
    rt.block_on([]() -> Task<void> {
      auto [tx, rx] = eddy::sync::oneshot::channel<int>();
      eddy::spawn(chain_step(kDepth, std::make_shared<eddy::sync::oneshot::Sender<int>>(std::move(tx)))).detach();
      (void)co_await rx;
    }());
  }
  report(state, kDepth);
}

}  // namespace

BENCHMARK(BM_SpawnManyLocal)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SpawnManyRemoteIdle)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SpawnManyRemoteBusy)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_YieldMany)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PingPong)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ChainedSpawn)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
