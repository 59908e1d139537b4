#include "eddy/runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "eddy/join_handle.hpp"
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

// Concurrency stress for the scheduler: spawns, wakes and aborts from other threads, and
// shutdown racing with all of them. Every loop is bounded in count (and the waits in time), so
// each test takes well under a couple of seconds even under TSan. A leak (a task or the runtime
// kept alive by a reference cycle) is caught by watching the I/O driver handle expire: the
// runtime's shared state is the last thing that holds it.

namespace {

using eddy::Error;
using eddy::JoinHandle;
using eddy::Result;
using eddy::Task;
using eddy_test::Counted;
using eddy_test::make_rt;
using eddy_test::Notify;

// Waits for `n` notifications, then returns `v`.
Task<int> wait_n(Notify& n, int count, std::atomic<int>& live, int v) {
  Counted c(live);
  for (int i = 0; i < count; ++i) (void)co_await n.wait();
  co_return v;
}

}  // namespace

constexpr int kThreads = 4;
constexpr int kPerThread = 250;

EDDY_RT_SUITE(RuntimeStressTest);

TEST_P(RuntimeStressTest, SpawnFromManyThreads) {
  auto rt = make_rt();
  std::atomic<int> ran{0};
  Notify all_done;
  auto handle = rt.handle();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        handle.spawn([](std::atomic<int>& r, Notify& d) -> Task<void> {
          if (r.fetch_add(1) + 1 == kThreads * kPerThread) d.notify();
          co_return;
        }(ran, all_done))
            .detach();
      }
    });
  }
  rt.block_on([](Notify& d) -> Task<void> { (void)co_await d.wait(); }(all_done));
  for (auto& t : threads) t.join();
  EXPECT_EQ(ran.load(), kThreads * kPerThread);
}

constexpr int kTasks = 8;
constexpr int kRounds = 200;

// Tasks wait on notifications that two other threads deliver; every wake must arrive.
TEST_P(RuntimeStressTest, CrossThreadWakeStorm) {
  auto rt = make_rt();
  std::vector<std::unique_ptr<Notify>> notifies;
  for (int i = 0; i < kTasks; ++i) notifies.push_back(std::make_unique<Notify>());
  std::atomic<int> progress[kTasks] = {};
  std::atomic<bool> stop{false};
  std::vector<std::thread> wakers;
  for (int k = 0; k < 2; ++k) {
    wakers.emplace_back([&, k] {
      while (!stop.load()) {
        for (int i = k; i < kTasks; i += 2) {
          if (progress[i].load() < kRounds) notifies[i]->notify();
        }
        std::this_thread::yield();
      }
    });
  }
  std::atomic<int> live{0};
  const int sum = rt.block_on([](std::vector<std::unique_ptr<Notify>>& ns, std::atomic<int>* prog,
                                 std::atomic<int>& l) -> Task<int> {
    std::vector<JoinHandle<int>> hs;
    for (int i = 0; i < kTasks; ++i) {
      hs.push_back(eddy::spawn([](Notify& n, std::atomic<int>& p, std::atomic<int>& l2) -> Task<int> {
        Counted c(l2);
        for (int r = 0; r < kRounds; ++r) {
          (void)co_await n.wait();
          p.fetch_add(1);
        }
        co_return 1;
      }(*ns[static_cast<std::size_t>(i)], prog[i], l)));
    }
    int s = 0;
    for (auto& h : hs) {
      auto r = co_await h;
      s += r ? *r : 0;
    }
    co_return s;
  }(notifies, progress, live));
  stop = true;
  for (auto& t : wakers) t.join();
  EXPECT_EQ(sum, kTasks);
  EXPECT_EQ(live.load(), 0);
}

// abort() from another thread races with the wake that lets the task finish. Each join sees
// the value or Error::cancelled; a cancelled task's frame is gone by the time the join sees it.
TEST_P(RuntimeStressTest, AbortFromAnotherThreadRacesCompletion) {
  auto rt = make_rt();
  int values = 0, cancels = 0;
  for (int i = 0; i < 200; ++i) {
    std::atomic<int> live{0};
    Notify n;
    auto h = rt.spawn(wait_n(n, 1, live, 5));
    eddy_test::pump(rt);  // it waits now
    std::thread aborter([&h] { h.abort(); });
    std::thread waker([&n] { n.notify(); });
    struct Out {
      Result<int> r = Error::timed_out;
      int live_at_join = -1;
    };
    auto out = rt.block_on([](JoinHandle<int>& jh, std::atomic<int>& l) -> Task<Out> {
      Out o;
      o.r = co_await jh;
      o.live_at_join = l.load();
      co_return o;
    }(h, live));
    aborter.join();
    waker.join();
    if (out.r) {
      EXPECT_EQ(*out.r, 5);
      ++values;
    } else {
      EXPECT_EQ(out.r.error(), Error::cancelled);
      ++cancels;
    }
    EXPECT_EQ(out.live_at_join, 0);
  }
  EXPECT_EQ(values + cancels, 200);
}

// The runtime is dropped while other threads keep waking its tasks.
TEST_P(RuntimeStressTest, RuntimeDroppedWhileOtherThreadsWakeItsTasks) {
  for (int iter = 0; iter < 50; ++iter) {
    std::atomic<int> live{0};
    std::vector<std::unique_ptr<Notify>> ns;
    for (int i = 0; i < 5; ++i) ns.push_back(std::make_unique<Notify>());
    std::weak_ptr<eddy::io::Handle> io;
    std::atomic<bool> stop{false};
    std::thread waker;
    {
      auto rt = make_rt();
      io = rt.handle().io_handle();
      for (auto& n : ns) rt.spawn(wait_n(*n, 1000000, live, 0)).detach();
      eddy_test::pump(rt);
      waker = std::thread([&] {
        while (!stop.load()) {
          for (auto& n : ns) n->notify();
        }
      });
      std::this_thread::yield();
    }  // dropped while the waker runs
    EXPECT_EQ(live.load(), 0);
    stop = true;
    waker.join();
    for (auto& n : ns) n->reset();
    EXPECT_TRUE(io.expired()) << "iteration " << iter << ": the runtime's state leaked";
  }
}

// Spawns from other threads race with shutdown: every JoinHandle ends finished (value or
// cancelled), every frame is destroyed, and nothing keeps the runtime alive afterwards.
TEST_P(RuntimeStressTest, SpawnRacesShutdown) {
  for (int iter = 0; iter < 30; ++iter) {
    std::atomic<int> live{0};
    std::weak_ptr<eddy::io::Handle> io;
    std::vector<JoinHandle<int>> handles[2];
    std::thread spawners[2];
    {
      auto rt = make_rt();
      io = rt.handle().io_handle();
      auto rh = rt.handle();
      std::atomic<int> started{0};
      for (int t = 0; t < 2; ++t) {
        spawners[t] = std::thread([&, t, rh] {
          started.fetch_add(1);
          for (int i = 0; i < 100; ++i) {
            handles[t].push_back(rh.spawn([](Counted c) -> Task<int> {
              (void)c;
              co_await eddy::yield_now();
              co_return 1;
            }(Counted(live))));
          }
        });
      }
      while (started.load() < 2) std::this_thread::yield();
      eddy_test::pump(rt);
    }  // shutdown while the spawners may still be spawning
    for (auto& t : spawners) t.join();
    for (auto& hs : handles) {
      for (auto& h : hs) {
        ASSERT_TRUE(h.is_finished());
        auto r = h.take();
        if (r) EXPECT_EQ(*r, 1);
        else EXPECT_EQ(r.error(), Error::cancelled);
      }
      hs.clear();
    }
    // Parameters live in the frame until it is destroyed: a finished task's frame goes with its
    // last JoinHandle, a cancelled one's at shutdown.
    EXPECT_EQ(live.load(), 0) << "iteration " << iter;
    EXPECT_TRUE(io.expired()) << "iteration " << iter << ": the runtime's state leaked";
  }
}

constexpr int kPingPongRounds = 300;

// Two runtimes on two threads join each other's tasks back and forth.
TEST_P(RuntimeStressTest, CrossRuntimePingPong) {
  auto rt_a = make_rt();
  auto rt_b = make_rt();
  auto ha = rt_a.handle();
  auto hb = rt_b.handle();
  auto player = [](eddy::RuntimeHandle other) -> Task<int> {
    int sum = 0;
    for (int i = 0; i < kPingPongRounds; ++i) {
      auto r = co_await other.spawn([](int x) -> Task<int> { co_return x; }(1));
      sum += r ? *r : 0;
    }
    co_return sum;
  };
  // Each runtime must keep running until the other is done with it.
  Notify a_may_stop, b_may_stop;
  int sum_b = 0;
  std::thread tb([&] {
    sum_b = rt_b.block_on([](Task<int> play, Notify& may_stop, Notify& other_may_stop) -> Task<int> {
      int s = co_await std::move(play);
      other_may_stop.notify();
      (void)co_await may_stop.wait();
      co_return s;
    }(player(ha), b_may_stop, a_may_stop));
  });
  const int sum_a = rt_a.block_on([](Task<int> play, Notify& may_stop, Notify& other_may_stop) -> Task<int> {
    int s = co_await std::move(play);
    other_may_stop.notify();
    (void)co_await may_stop.wait();
    co_return s;
  }(player(hb), a_may_stop, b_may_stop));
  tb.join();
  EXPECT_EQ(sum_a, kPingPongRounds);
  EXPECT_EQ(sum_b, kPingPongRounds);
}
