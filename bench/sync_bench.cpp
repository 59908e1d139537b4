// eddy::sync benchmarks, ns per operation on a current-thread runtime, with allocations per
// operation ("allocs_per_op", counted by a replacement operator new; "expected_per_op" is what
// the operation allocates by design). The figures to compare with tokio's are the uncontended
// costs: mpsc send+recv, oneshot create+send+recv, Mutex lock+unlock, Semaphore acquire+release,
// Notify notify+wake, when_any of two ready tasks.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

#include "eddy/runtime.hpp"
#include "eddy/sync.hpp"
#include "eddy/task.hpp"

// Allocation counting (g_allocs): the replaced operator new of this program.
#include "alloc_counter.hpp"

namespace {

using eddy::Task;
namespace sync = eddy::sync;

eddy::Runtime make_rt() { return std::move(*eddy::Builder::new_current_thread().build()); }

Task<int> ready_value(int v) { co_return v; }

// send then recv in one task on a bounded channel (the uncontended path, no wake-up).
void BM_Mpsc_SendRecv(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    auto [tx, rx] = sync::mpsc::channel<int>(128);
    (void)co_await tx.send(0);  // warm-up: the ring reaches its working size
    (void)co_await rx.recv();
    AllocScope a(s, 0);
    int sum = 0;
    for (auto _ : s) {
      (void)co_await tx.send(1);
      sum += *co_await rx.recv();
    }
    benchmark::DoNotOptimize(sum);
  }(state));
}
BENCHMARK(BM_Mpsc_SendRecv);

// try_send + try_recv (no awaiting at all).
void BM_Mpsc_TrySendTryRecv(benchmark::State& state) {
  auto [tx, rx] = sync::mpsc::channel<int>(128);
  (void)tx.try_send(0);
  (void)rx.try_recv();
  AllocScope a(state, 0);
  int sum = 0;
  for (auto _ : state) {
    (void)tx.try_send(1);
    sum += *rx.try_recv();
  }
  benchmark::DoNotOptimize(sum);
}
BENCHMARK(BM_Mpsc_TrySendTryRecv);

// A producer task and a consumer task, 1 message per op (wake-ups and back-pressure included).
void BM_Mpsc_TaskToTask(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    auto [tx, rx] = sync::mpsc::channel<int>(64);
    auto n = static_cast<int>(s.max_iterations);
    auto h = eddy::spawn([](sync::mpsc::Sender<int> t, int count) -> Task<void> {
      for (int i = 0; i < count; ++i) (void)co_await t.send(i);
    }(std::move(tx), n));
    std::int64_t sum = 0;
    for (auto _ : s) sum += *co_await rx.recv();
    benchmark::DoNotOptimize(sum);
    (void)co_await h;
  }(state));
}
BENCHMARK(BM_Mpsc_TaskToTask);

// P threads blocking_send into one channel drained by a task: ns per message received.
void BM_Mpsc_ThreadsToTask(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s, int p) -> Task<void> {
    auto [tx, rx] = sync::mpsc::channel<int>(256);
    const auto total = static_cast<std::int64_t>(s.max_iterations);
    std::vector<std::thread> ts;
    for (int k = 0; k < p; ++k) {
      const std::int64_t mine = total / p + (k < total % p ? 1 : 0);
      ts.emplace_back([t = tx, mine]() mutable {
        for (std::int64_t i = 0; i < mine; ++i) (void)t.blocking_send(1);
      });
    }
    { auto gone = std::move(tx); }
    std::int64_t sum = 0;
    for (auto _ : s) sum += *co_await rx.recv();
    benchmark::DoNotOptimize(sum);
    for (auto& t : ts) t.join();
  }(state, producers));
}
BENCHMARK(BM_Mpsc_ThreadsToTask)->Arg(1)->Arg(8)->UseRealTime();

void BM_Oneshot_CreateSendRecv(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    AllocScope a(s, 1);  // the shared state
    int sum = 0;
    for (auto _ : s) {
      auto [tx, rx] = sync::oneshot::channel<int>();
      (void)tx.send(1);
      sum += *co_await rx;
    }
    benchmark::DoNotOptimize(sum);
  }(state));
}
BENCHMARK(BM_Oneshot_CreateSendRecv);

void BM_Mutex_LockUnlock(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    sync::Mutex<int> m(0);
    AllocScope a(s, 0);
    for (auto _ : s) {
      auto g = co_await m.lock();
      ++*g;
    }
    benchmark::DoNotOptimize(m.get_mut());
  }(state));
}
BENCHMARK(BM_Mutex_LockUnlock);

// 8 tasks take turns on one Mutex, each holding it across a yield: ns per lock+unlock.
void BM_Mutex_Contended8Tasks(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    sync::Mutex<std::int64_t> m(0);
    const auto total = static_cast<std::int64_t>(s.max_iterations);
    std::vector<eddy::JoinHandle<void>> hs;
    sync::Semaphore ticks(0);
    for (int k = 0; k < 8; ++k)
      hs.push_back(eddy::spawn([](sync::Mutex<std::int64_t>& mm, sync::Semaphore& t, std::int64_t n) -> Task<void> {
        for (std::int64_t i = 0; i < n; ++i) {
          auto g = co_await mm.lock();
          ++*g;
          t.add_permits(1);
          co_await eddy::yield_now();
        }
      }(m, ticks, total / 8 + 1)));
    for (auto _ : s) (co_await ticks.acquire())->forget();
    for (auto& h : hs) h.abort();
    for (auto& h : hs) (void)co_await h;
  }(state));
}
BENCHMARK(BM_Mutex_Contended8Tasks);

void BM_Semaphore_AcquireRelease(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    sync::Semaphore sem(4);
    AllocScope a(s, 0);
    for (auto _ : s) {
      auto p = co_await sem.acquire();
      benchmark::DoNotOptimize(p);
    }
  }(state));
}
BENCHMARK(BM_Semaphore_AcquireRelease);

void BM_Semaphore_TryAcquireRelease(benchmark::State& state) {
  sync::Semaphore sem(4);
  AllocScope a(state, 0);
  for (auto _ : state) {
    auto p = sem.try_acquire();
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_Semaphore_TryAcquireRelease);

// notify_one then a notified() that consumes the stored permit (no suspension).
void BM_Notify_NotifyThenNotified(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    sync::Notify n;
    AllocScope a(s, 0);
    for (auto _ : s) {
      n.notify_one();
      co_await n.notified();
    }
  }(state));
}
BENCHMARK(BM_Notify_NotifyThenNotified);

// Two tasks ping-pong through two Notify: one op = one notify + one wake of a suspended task.
void BM_Notify_NotifyWakeTaskToTask(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    sync::Notify ping, pong;
    auto h = eddy::spawn([](sync::Notify& a, sync::Notify& b) -> Task<void> {
      for (;;) {
        co_await a.notified();
        b.notify_one();
      }
    }(ping, pong));
    AllocScope a(s, 0);
    for (auto _ : s) {
      ping.notify_one();
      co_await pong.notified();
    }
    s.counters["ns_per_wake"] = benchmark::Counter(static_cast<double>(s.iterations()) * 2,
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    h.abort();
    (void)co_await h;
  }(state));
}
BENCHMARK(BM_Notify_NotifyWakeTaskToTask);

void BM_WhenAny_TwoReady(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    AllocScope a(s, 8);  // when_any frame, vector, per child: frame, header, scheduler
    std::size_t sum = 0;
    for (auto _ : s) sum += (co_await sync::when_any(ready_value(1), ready_value(2))).index;
    benchmark::DoNotOptimize(sum);
  }(state));
}
BENCHMARK(BM_WhenAny_TwoReady);

// select over two Notify waits that both hold a permit: in place, no task, no allocation.
void BM_Select_TwoReadyNotified(benchmark::State& state) {
  auto rt = make_rt();
  rt.block_on([](benchmark::State& s) -> Task<void> {
    sync::Notify a, b;
    AllocScope alloc(s, 0);
    std::size_t sum = 0;
    for (auto _ : s) {
      a.notify_one();
      b.notify_one();
      auto na = a.notified();
      auto nb = b.notified();
      sum += (co_await sync::select(na, nb)).index();
    }
    benchmark::DoNotOptimize(sum);
  }(state));
}
BENCHMARK(BM_Select_TwoReadyNotified);

}  // namespace

BENCHMARK_MAIN();
