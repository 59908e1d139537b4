// Runtime benchmarks: spawn, yield, ping-pong between tasks, spawn chains, and the cost of
// awaiting tasks and awaitables that are ready at once.
//
// Every benchmark reports "allocs_per_op": calls of the global operator new per iteration,
// counted by the replacement below. Task frames are heap allocations by design (one per
// coroutine call); everything else on these paths should allocate nothing, so the figure to
// watch is allocs_per_op against "expected_per_op": the frames the operation creates by design
// (a spawned task's header lives in its frame's block: one allocation per spawn).
// Baselines measured in the same run: a non-inlined call, and a new/delete pair of a frame-sized
// block.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "eddy/coop.hpp"
#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/join_handle.hpp"
#include "eddy/runtime.hpp"
#include "eddy/task.hpp"

// Allocation counting (g_allocs): the replaced operator new of this program.
#include "alloc_counter.hpp"

namespace {

using eddy::Task;

eddy::Runtime make_rt() { return std::move(*eddy::Builder::new_current_thread().enable_all().build()); }

Task<int> ready_value(int v) { co_return v; }

Task<int> chain(int depth) {
  if (depth == 0) co_return 1;
  co_return co_await chain(depth - 1);
}

// An eddy awaitable whose first poll is ready.
struct ReadyAwaitable : eddy::detail::PollAwaiter<ReadyAwaitable, int> {
  eddy::Poll<int> poll(const eddy::Waker&) noexcept { return 1; }
};

// A single-slot channel between two tasks on one runtime: send stores the value and wakes the
// receiver's stored waker; recv is a poll-style awaiter.
class Slot {
 public:
  void send(int v) {
    value_ = v;
    full_ = true;
    waker_.wake();
  }
  struct Recv : eddy::detail::PollAwaiter<Recv, int> {
    Slot* s;
    explicit Recv(Slot* slot) : s(slot) {}
    eddy::Poll<int> poll(const eddy::Waker& w) {
      if (s->full_) {
        s->full_ = false;
        return s->value_;
      }
      s->waker_.clone_from(w);
      return eddy::Pending;
    }
  };
  Recv recv() { return Recv(this); }

 private:
  int value_ = 0;
  bool full_ = false;
  eddy::Waker waker_;
};

// --- baselines ------------------------------------------------------------------------------------

[[gnu::noinline]] int plain_call(int v) {
  benchmark::DoNotOptimize(v);
  return v;
}

void BM_Baseline_Call(benchmark::State& state) {
  AllocScope a(state, 0);
  int sum = 0;
  for (auto _ : state) sum += plain_call(1);
  benchmark::DoNotOptimize(sum);
}
BENCHMARK(BM_Baseline_Call);

// new/delete of a block the size of a small Task frame: the floor for anything that allocates one.
void BM_Baseline_NewDeleteFrameSized(benchmark::State& state) {
  AllocScope a(state, 0);
  for (auto _ : state) {
    auto* p = new char[96];
    benchmark::DoNotOptimize(p);
    delete[] p;
  }
}
BENCHMARK(BM_Baseline_NewDeleteFrameSized);

// --- awaits ---------------------------------------------------------------------------------------

// co_await of a Task that finishes at once: create the frame, transfer in, transfer back, free.
void BM_AwaitReadyTask(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    AllocScope a(s, 1);
    int sum = 0;
    for (auto _ : s) sum += co_await ready_value(1);
    benchmark::DoNotOptimize(sum);
  }(state));
}
BENCHMARK(BM_AwaitReadyTask);

// co_await of a chain of N nested Tasks, the innermost ready at once (N+1 frames per iteration).
void BM_AwaitReadyChain(benchmark::State& state) {
  auto rt = make_rt();
  const int depth = static_cast<int>(state.range(0));
  rt.block_on([](benchmark::State& s, int d) -> Task<void> {
    AllocScope a(s, d + 1);
    int sum = 0;
    for (auto _ : s) sum += co_await chain(d);
    benchmark::DoNotOptimize(sum);
    s.counters["ns_per_level"] = benchmark::Counter(static_cast<double>(s.iterations()) * (d + 1),
                                                    benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  }(state, depth));
}
BENCHMARK(BM_AwaitReadyChain)->Arg(1)->Arg(10)->Arg(100);

// co_await of an eddy awaitable (PollAwaiter) that is ready on its first poll: no frame, so no
// allocation at all.
void BM_AwaitReadyPollAwaiter(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    AllocScope a(s, 0);
    int sum = 0;
    for (auto _ : s) sum += co_await ReadyAwaitable{};
    benchmark::DoNotOptimize(sum);
  }(state));
}
BENCHMARK(BM_AwaitReadyPollAwaiter);

// co_await consume_budget() with budget left (await_ready only) and, once per 128, a yield.
void BM_ConsumeBudget(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    AllocScope a(s, 0);
    for (auto _ : s) co_await eddy::coop::consume_budget();
  }(state));
}
BENCHMARK(BM_ConsumeBudget);

// --- scheduler --------------------------------------------------------------------------------------

// spawn + run + join of one task, one at a time (1 allocation by design: the frame's block,
// which holds the TaskHeader too).
void BM_SpawnJoin(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    AllocScope a(s, 1);
    int sum = 0;
    for (auto _ : s) {
      auto r = co_await eddy::spawn(ready_value(1));
      sum += *r;
    }
    benchmark::DoNotOptimize(sum);
  }(state));
}
BENCHMARK(BM_SpawnJoin);

// Spawn a batch of 1000 tasks, then join them all: per-task cost when the queue is deep.
void BM_SpawnBatch(benchmark::State& state) {
  auto rt = make_rt();
  constexpr int kBatch = 1000;
  rt.block_on([](benchmark::State& s) -> Task<void> {
    std::vector<eddy::JoinHandle<int>> hs;
    hs.reserve(kBatch);
    {
      AllocScope a(s, kBatch);
      for (auto _ : s) {
        for (int i = 0; i < kBatch; ++i) hs.push_back(eddy::spawn(ready_value(i)));
        int sum = 0;
        for (auto& h : hs) sum += *co_await h;
        benchmark::DoNotOptimize(sum);
        hs.clear();
      }
    }
    s.SetItemsProcessed(s.iterations() * kBatch);
  }(state));
}
BENCHMARK(BM_SpawnBatch)->Unit(benchmark::kMicrosecond);

// A chain of spawns: each task spawns the next and awaits it (101 tasks per iteration).
Task<int> spawn_chain(int depth) {
  if (depth == 0) co_return 0;
  auto r = co_await eddy::spawn(spawn_chain(depth - 1));
  co_return *r + 1;
}
void BM_SpawnChain(benchmark::State& state) {
  auto rt = make_rt();
  constexpr int kDepth = 100;
  rt.block_on([](benchmark::State& s) -> Task<void> {
    {
      AllocScope a(s, kDepth + 1);
      for (auto _ : s) benchmark::DoNotOptimize(co_await eddy::spawn(spawn_chain(kDepth)));
    }
    s.SetItemsProcessed(s.iterations() * kDepth);
  }(state));
}
BENCHMARK(BM_SpawnChain)->Unit(benchmark::kMicrosecond);

// yield_now in a loop: each yield waits for a (non-blocking) driver poll, as tokio's does.
void BM_YieldNow(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    AllocScope a(s, 0);
    for (auto _ : s) co_await eddy::yield_now();
  }(state));
}
BENCHMARK(BM_YieldNow);

// Ten tasks yielding in turn: the driver poll is shared by every task that yielded meanwhile.
void BM_YieldNow10Tasks(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    bool stop = false;
    std::vector<eddy::JoinHandle<void>> hs;
    for (int i = 0; i < 9; ++i) {
      hs.push_back(eddy::spawn([](bool& st) -> Task<void> {
        while (!st) co_await eddy::yield_now();
      }(stop)));
    }
    {
      AllocScope a(s, 0);
      for (auto _ : s) co_await eddy::yield_now();
    }
    stop = true;
    for (auto& h : hs) (void)co_await h;
    // Each iteration is one yield of this task plus (about) one of each other task.
    s.SetItemsProcessed(s.iterations() * 10);
  }(state));
}
BENCHMARK(BM_YieldNow10Tasks);

// Ping-pong between two tasks through two single-slot channels: one round trip is two wakes and
// two task switches through the run queue.
void BM_PingPong(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    Slot ping, pong;
    bool stop = false;
    auto ponger = eddy::spawn([](Slot& in, Slot& out, bool& st) -> Task<void> {
      for (;;) {
        int v = co_await in.recv();
        if (st) co_return;
        out.send(v + 1);
      }
    }(ping, pong, stop));
    {
      AllocScope a(s, 0);
      int v = 0;
      for (auto _ : s) {
        ping.send(v);
        v = co_await pong.recv();
      }
      benchmark::DoNotOptimize(v);
    }
    stop = true;
    ping.send(0);
    (void)co_await ponger;
  }(state));
}
BENCHMARK(BM_PingPong);

}  // namespace

BENCHMARK_MAIN();
