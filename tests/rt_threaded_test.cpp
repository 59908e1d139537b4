// The multi-thread runtime's own behaviours (ports of tokio's rt_threaded.rs), its Builder
// options, and a bounded spawn/wake/steal/shutdown stress test meant for TSan. The shared
// suites (EDDY_RT_SUITE) run on this kind too; these are what only a multi-thread runtime has.
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "eddy/blocking.hpp"
#include "eddy/join_handle.hpp"
#include "eddy/net/unix_stream.hpp"
#include "eddy/runtime.hpp"
#include "eddy/sync/oneshot.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/time/timeout.hpp"
#include "eddy/yield_now.hpp"
#include "support/rt_helpers.hpp"

namespace {

using eddy::Builder;
using eddy::JoinHandle;
using eddy::Runtime;
using eddy::Task;
using eddy_test::Counted;
using eddy_test::Notify;
using eddy_test::wait_until;

Runtime mt(std::size_t workers = 2) {
  auto rt = Builder::new_multi_thread().worker_threads(workers).enable_all().build();
  EXPECT_TRUE(rt) << rt.error().message();
  return std::move(*rt);
}

Task<int> add_one(std::atomic<int>& n) {
  n.fetch_add(1);
  co_return 1;
}

// tokio rt_threaded.rs many_oneshot_futures / spawn from many threads: every task spawned from
// several outside threads at once runs exactly once, and every JoinHandle sees its result.
TEST(RtThreaded, ManyTasksSpawnedFromManyThreadsAllComplete) {
  Runtime rt = mt(2);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;
  std::atomic<int> ran{0};
  std::vector<std::thread> threads;
  std::vector<std::vector<JoinHandle<int>>> handles(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < kPerThread; ++k) handles[i].push_back(rt.handle().spawn(add_one(ran)));
    });
  }
  for (auto& t : threads) t.join();
  const int sum = rt.block_on([](std::vector<std::vector<JoinHandle<int>>>& hs) -> Task<int> {
    int s = 0;
    for (auto& v : hs)
      for (auto& h : v) {
        auto r = co_await h;
        if (r) s += *r;
      }
    co_return s;
  }(handles));
  EXPECT_EQ(sum, kThreads * kPerThread);
  EXPECT_EQ(ran.load(), kThreads * kPerThread);
}

// Tasks spawned from inside a task (one parent spawning many) reach the other worker: it steals
// them or takes them from the injection queue, while the first worker is blocked.
TEST(RtThreaded, SpawnManyFromOneTaskUsesEveryWorker) {
  Runtime rt = mt(2);
  std::mutex m;
  std::set<std::thread::id> seen;
  const int n = rt.block_on([](std::mutex& mu, std::set<std::thread::id>& ids) -> Task<int> {
    std::vector<JoinHandle<int>> hs;
    for (int i = 0; i < 2000; ++i) {
      hs.push_back(eddy::spawn([](std::mutex& mu2, std::set<std::thread::id>& ids2) -> Task<int> {
        {
          std::lock_guard<std::mutex> lock(mu2);
          ids2.insert(std::this_thread::get_id());
        }
        // Block this worker (bounded) until a task has run on another one: the spawner's queue
        // can only drain through the idle worker stealing or taking from the injection queue.
        const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        for (;;) {
          {
            std::lock_guard<std::mutex> lock(mu2);
            if (ids2.size() >= 2) break;
          }
          if (std::chrono::steady_clock::now() > limit) break;
          std::this_thread::yield();
        }
        co_return 1;
      }(mu, ids)));
    }
    int s = 0;
    for (auto& h : hs) {
      auto r = co_await h;
      if (r) s += *r;
    }
    co_return s;
  }(m, seen));
  EXPECT_EQ(n, 2000);
  EXPECT_EQ(seen.size(), 2u) << "both workers ran tasks";
  const eddy::RuntimeMetrics metrics = rt.handle().metrics();
  ASSERT_EQ(metrics.workers, 2u);
  ASSERT_EQ(metrics.worker.size(), 2u);
  EXPECT_GE(metrics.worker[0].polls + metrics.worker[1].polls, 2001u);
  EXPECT_GT(metrics.worker[0].polls, 0u);
  EXPECT_GT(metrics.worker[1].polls, 0u);
}

// tokio rt_threaded.rs wake from another thread: a task waiting on a oneshot is woken by a
// send from a plain thread.
TEST(RtThreaded, WakeFromAnotherThread) {
  Runtime rt = mt(2);
  for (int round = 0; round < 50; ++round) {
    auto [tx, rx] = eddy::sync::oneshot::channel<int>();
    std::thread sender([tx = std::move(tx), round]() mutable { (void)tx.send(round); });
    const int got = rt.block_on([](eddy::sync::oneshot::Receiver<int> r) -> Task<int> {
      auto v = co_await r;
      co_return v ? *v : -1;
    }(std::move(rx)));
    sender.join();
    EXPECT_EQ(got, round);
  }
}

// tokio rt_threaded.rs shutdown_wakeup_time / drop with tasks in flight: dropping the runtime
// while tasks wait, yield in a loop or are queued destroys every frame exactly once, and every
// JoinHandle reports cancelled.
TEST(RtThreaded, ShutdownWithTasksInFlight) {
  std::atomic<int> live{0};
  std::atomic<int> yields{0};
  std::vector<JoinHandle<void>> handles;
  Notify never;
  {
    Runtime rt = mt(2);
    for (int i = 0; i < 100; ++i) {
      handles.push_back(rt.spawn([](std::atomic<int>& l, Notify& n) -> Task<void> {
        Counted c(l);
        (void)co_await n.wait();
      }(live, never)));
      handles.push_back(rt.spawn([](std::atomic<int>& l, std::atomic<int>& y) -> Task<void> {
        Counted c(l);
        for (;;) {
          y.fetch_add(1);
          co_await eddy::yield_now();
        }
      }(live, yields)));
      handles.push_back(rt.spawn([](std::atomic<int>& l) -> Task<void> {
        Counted c(l);
        co_await eddy::time::sleep(std::chrono::seconds(60));
      }(live)));
    }
    ASSERT_TRUE(wait_until([&] { return yields.load() > 1000; }));
  }
  EXPECT_EQ(live.load(), 0) << "every frame destroyed";
  never.reset();
  for (auto& h : handles) {
    ASSERT_TRUE(h.is_finished());
    auto r = h.take();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), eddy::Error::cancelled);
  }
}

// tokio rt_threaded.rs coop / "a task that never yields does not stall the others": with one
// worker busy in a task that never suspends, another task's I/O still completes (the other
// worker holds the driver).
TEST(RtThreaded, TaskThatNeverYieldsDoesNotStallIo) {
  Runtime rt = mt(2);
  std::atomic<bool> io_done{false};
  std::atomic<bool> spinner_started{false};
  // Spawned from outside (the injection queue), so neither task sits in the other's LIFO slot
  // or deferred list, which a worker stuck in a task cannot hand over (as in tokio).
  auto spinner = rt.spawn([](std::atomic<bool>& d, std::atomic<bool>& s) -> Task<bool> {
    s.store(true);
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!d.load() && std::chrono::steady_clock::now() < limit) {
    }
    co_return d.load();
  }(io_done, spinner_started));
  const bool io_ok = rt.block_on([](std::atomic<bool>& done, std::atomic<bool>& started) -> Task<bool> {
    // Timers fire on the worker holding the driver: not the spinner's.
    while (!started.load()) co_await eddy::time::sleep(std::chrono::milliseconds(1));
    auto pair = eddy::net::UnixStream::pair();
    if (!pair) co_return false;
    auto& [a, b] = *pair;
    char buf[8];
    for (int i = 0; i < 100; ++i) {
      if (!(co_await a.write_all(eddy::net::ConstBuffer("ping", 4)))) co_return false;
      if (!(co_await b.read_exact(eddy::net::MutableBuffer(buf, 4)))) co_return false;
    }
    done.store(true);
    co_return true;
  }(io_done, spinner_started));
  EXPECT_TRUE(io_ok);
  auto r = rt.block_on([](JoinHandle<bool>& h) -> Task<bool> {
    auto v = co_await h;
    co_return v && *v;
  }(spinner));
  EXPECT_TRUE(r) << "the I/O finished while the spinner still ran";
}

// Builder options: the worker count, their names, the start/stop hooks, the stack size.
TEST(RtThreaded, BuilderOptions) {
  std::atomic<int> started{0};
  std::atomic<int> stopped{0};
  {
    auto rt = Builder::new_multi_thread()
                  .worker_threads(3)
                  .thread_name("eddy-test-worker-long-name")
                  .thread_stack_size(512 * 1024)
                  .on_thread_start([&] { started.fetch_add(1); })
                  .on_thread_stop([&] { stopped.fetch_add(1); })
                  .build();
    ASSERT_TRUE(rt) << rt.error().message();
    const std::string name = rt->block_on([]() -> Task<std::string> {
      char buf[32] = {};
      pthread_getname_np(pthread_self(), buf, sizeof buf);
      co_return std::string(buf);
    }());
    EXPECT_EQ(name, "eddy-test-worke");  // the kernel keeps 15 characters
    EXPECT_TRUE(wait_until([&] { return started.load() == 3; }));
    EXPECT_EQ(stopped.load(), 0);
  }
  EXPECT_EQ(started.load(), 3);
  EXPECT_EQ(stopped.load(), 3) << "every worker thread stopped (and was joined)";
}

// A paused clock on two workers: sleeps complete at exactly their virtual deadlines, while the
// other worker keeps running tasks (auto-advance waits until every worker is idle).
TEST(RtThreaded, PausedClockAdvancesOnlyWhenEveryWorkerIsIdle) {
  auto rt = Builder::new_multi_thread().worker_threads(2).enable_time().start_paused(true).build();
  ASSERT_TRUE(rt) << rt.error().message();
  const auto [slept, busy_saw] = rt->block_on([]() -> Task<std::pair<eddy::time::Duration, eddy::time::Duration>> {
    // A task that stays runnable for a while: as long as it is, the clock must not jump to
    // the sleep's deadline.
    auto busy = eddy::spawn([]() -> Task<eddy::time::Duration> {
      const auto t0 = eddy::time::Instant::now();
      for (int i = 0; i < 2000; ++i) co_await eddy::yield_now();
      co_return eddy::time::Instant::now().duration_since(t0);
    }());
    const auto start = eddy::time::Instant::now();
    co_await eddy::time::sleep(std::chrono::milliseconds(10));
    const auto s = eddy::time::Instant::now().duration_since(start);
    auto b = co_await busy;
    co_return std::pair{s, b ? *b : eddy::time::Duration(-1)};
  }());
  EXPECT_EQ(slept, std::chrono::milliseconds(10));
  EXPECT_EQ(busy_saw, eddy::time::Duration(0)) << "the clock advanced while a task was runnable";
}

TEST(RtThreaded, DefaultWorkerCountIsTheAffinityMask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  const int cpus = CPU_COUNT(&set);
  std::atomic<int> started{0};
  {
    auto rt = Builder::new_multi_thread().on_thread_start([&] { started.fetch_add(1); }).build();
    ASSERT_TRUE(rt);
    EXPECT_TRUE(wait_until([&] { return started.load() == cpus; }));
  }
  EXPECT_EQ(started.load(), cpus);
}

// spawn_blocking on the multi-thread runtime: the shared pool, awaited from a worker.
TEST(RtThreaded, SpawnBlocking) {
  Runtime rt = mt(2);
  const int v = rt.block_on([]() -> Task<int> {
    auto r = co_await eddy::spawn_blocking([] { return 42; });
    co_return r ? *r : -1;
  }());
  EXPECT_EQ(v, 42);
}

using RtThreadedDeathTest = ::testing::Test;

TEST(RtThreadedDeathTest, DroppingTheRuntimeFromItsOwnTaskFailsClearly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto rt = std::make_unique<Runtime>(mt(2));
        Runtime* raw = rt.get();
        raw->block_on([](std::unique_ptr<Runtime>& owned) -> Task<void> {
          owned.reset();
          co_return;
        }(rt));
      },
      "from inside one of its own tasks");
}

// Stress, bounded in count and time: outside threads spawn tasks that spawn children, wake
// each other through Notify from other threads, yield (so workers steal) and are aborted;
// then the runtime is dropped with all of that in flight. Every frame must be destroyed once.
TEST(RtThreaded, StressSpawnWakeStealShutdown) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  for (int iter = 0; iter < 30 && std::chrono::steady_clock::now() < deadline; ++iter) {
    std::atomic<int> live{0};
    std::atomic<int> finished{0};
    auto notifies = std::make_unique<Notify[]>(64);
    std::vector<JoinHandle<void>> handles;
    std::mutex hm;
    {
      Runtime rt = mt(iter % 2 == 0 ? 2 : 3);
      auto worker = [](std::atomic<int>& l, std::atomic<int>& f, Notify& n, int kind) -> Task<void> {
        Counted c(l);
        if (kind == 0) {
          (void)co_await n.wait();
        } else if (kind == 1) {
          for (int i = 0; i < 20; ++i) co_await eddy::yield_now();
        } else {
          std::vector<JoinHandle<int>> kids;
          for (int i = 0; i < 8; ++i) kids.push_back(eddy::spawn([](std::atomic<int>& l2) -> Task<int> {
            Counted c2(l2);
            co_await eddy::yield_now();
            co_return 1;
          }(l)));
          for (auto& k : kids) (void)co_await k;
        }
        f.fetch_add(1);
      };
      std::vector<std::thread> spawners;
      for (int t = 0; t < 2; ++t) {
        spawners.emplace_back([&, t] {
          for (int i = 0; i < 64; ++i) {
            auto h = rt.handle().spawn(worker(live, finished, notifies[(i + t * 32) % 64], i % 3));
            std::lock_guard<std::mutex> lock(hm);
            if (i % 7 == 0) h.abort();
            handles.push_back(std::move(h));
          }
        });
      }
      std::thread waker([&] {
        for (int i = 0; i < 64; ++i) notifies[i].notify();
      });
      for (auto& s : spawners) s.join();
      waker.join();
      if (iter % 3 == 0) {
        // Sometimes let most of it finish first, sometimes drop right away.
        wait_until([&] { return finished.load() > 60; }, std::chrono::seconds(2));
      }
    }
    EXPECT_EQ(live.load(), 0) << "iteration " << iter;
    for (int i = 0; i < 64; ++i) notifies[i].reset();
    for (auto& h : handles) EXPECT_TRUE(h.is_finished());
  }
}

// Spawns from this (plain) thread, each the moment the previous task ran, for `seconds`. Returns
// 0, or the round that found its predecessor never ran.
int remote_spawn_race(std::size_t workers, std::chrono::seconds seconds) {
  Runtime rt = mt(workers);
  std::atomic<int> ran{0};
  auto task = [](std::atomic<int>& r) -> Task<void> {
    r.fetch_add(1, std::memory_order_release);
    co_return;
  };
  const auto deadline = std::chrono::steady_clock::now() + seconds;
  std::uint64_t rng = 0x9e3779b97f4a7c15ull;
  for (int round = 0; round < 1000000 && std::chrono::steady_clock::now() < deadline; ++round) {
    Task<void> next = task(ran);  // made before the wait: the spawn itself is then short
    // Spin until the previous task ran (sleeping would miss the window, nanoseconds wide), then
    // a little longer, by a varying amount, so that the spawn sweeps the workers' way to sleep.
    // A lost wake leaves the task queued and the workers asleep for good: give up after 2 s.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (ran.load(std::memory_order_acquire) < round && std::chrono::steady_clock::now() < give_up) {
    }
    if (ran.load(std::memory_order_acquire) < round) return round;
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    for (std::uint64_t i = rng % 256; i > 0; --i) ran.load(std::memory_order_relaxed);
    rt.handle().spawn(std::move(next)).detach();
  }
  return 0;
}

// Regression: a wake from outside the workers was lost now and then, and the runtime hung with
// the task in the injection queue and its only worker asleep in epoll_wait (seen as
// BlockInPlace.ExceptionPropagatesAndRuntimeKeepsWorking hanging about once in 150,000 runs;
// a spare thread finishing a task's poll without a core wakes it from outside). The notifier
// queued the task with a release store and then *loaded* the idle state; the worker, parking as
// the last searcher, decremented the idle state and then read the queue length. A load may be
// ordered before an earlier store to another location (x86's store buffer does exactly that),
// so each side could miss the other's write: the notifier saw the worker still awake, the
// worker saw an empty queue. Idle::worker_to_notify now reads the state with a
// read-modify-write, as tokio does. Here a plain thread spawns a task the moment the previous
// one ran, which is when a worker goes to park: many rounds, each bounded.
// One worker: it is always the last searcher when it parks. Two: one may park without
// searching (the other searches), and the notifier may skip because of that searcher.
TEST(RtThreaded, RemoteSpawnRacingTheWorkerParkingIsNeverLost) {
  EXPECT_EQ(remote_spawn_race(1, std::chrono::seconds(3)), 0) << "a spawn from another thread was never run";
  EXPECT_EQ(remote_spawn_race(2, std::chrono::seconds(2)), 0) << "a spawn from another thread was never run";
}

}  // namespace

// Bug: on two workers, a paused clock sometimes jumped an hour, to the far timer, instead of to
// the 10 ms one (TimeTimeoutTest.FiresAndDestroysTheInnerFrame/multi_thread under
// scripts/faults). Two windows, both closed: the driver's holder read its wake flag before the
// idle check, so a worker could register the near timer and park in between (forced
// deterministically in TimeAutoAdvance.ATimerRegisteredByAWorkerThatThenParksStopsTheJump);
// and a task woken by one worker's driver turn sat in that worker's LIFO slot, where the idle
// check did not look, until the worker unlisted itself from the parked set. This is the
// end-to-end check, many rounds with a second worker kept waking up and parking; it hits the
// windows mainly under scripts/faults, whose interposed syscalls change the timing.
TEST(RtThreaded, PausedClockLandsOnTheNearTimerEveryRound) {
  auto rt = Builder::new_multi_thread().worker_threads(2).enable_time().start_paused(true).build();
  ASSERT_TRUE(rt) << rt.error().message();
  // Tasks spawned from outside keep the second worker waking up and parking again, so that it
  // often reaches for the driver right after the first one's turn.
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    for (int i = 0; i < 200'000 && !stop.load(); ++i) {
      (void)rt->spawn([]() -> Task<void> { co_return; }());
      std::this_thread::sleep_for(std::chrono::microseconds(2));
    }
  });
  const int skipped = rt->block_on([]() -> Task<int> {
    int bad = 0;
    for (int i = 0; i < 3000; ++i) {
      const auto start = eddy::time::Instant::now();
      // The inner (far) timer stays registered until this task runs again after the near one
      // fires and drops it.
      auto r = co_await eddy::time::timeout(std::chrono::milliseconds(10), eddy::time::sleep(std::chrono::hours(1)));
      if (r || r.error() != eddy::Error::timed_out) ++bad;
      if (eddy::time::Instant::now().duration_since(start) != std::chrono::milliseconds(10)) ++bad;
    }
    co_return bad;
  }());
  stop = true;
  churn.join();
  EXPECT_EQ(skipped, 0) << "rounds in which the clock went past the near timer before its task ran";
}
