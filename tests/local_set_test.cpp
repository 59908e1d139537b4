// LocalSet and spawn_local on both runtime kinds: local tasks only ever run on the thread that
// drives the set, even when woken from other threads (a plain thread, the multi-thread
// runtime's workers, the timer and I/O drivers); JoinHandle and abort as for spawn; destroying
// the set (or the runtime and then the set) with tasks in flight destroys each frame once;
// spawn_local on the current-thread runtime; misuse aborts with a message.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "eddy/join_handle.hpp"
#include "eddy/local_set.hpp"
#include "eddy/net/unix_stream.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/yield_now.hpp"
#include "support/rt_helpers.hpp"

namespace {

using eddy::JoinHandle;
using eddy::LocalSet;
using eddy::Runtime;
using eddy::Task;
using eddy_test::Counted;
using eddy_test::Notify;
using eddy_test::wait_until;
using namespace std::chrono_literals;

EDDY_RT_SUITE(LocalSetTest);

// A local task that checks its thread after every kind of wake: a Notify fired from a plain
// thread, one fired from a task of the runtime (a worker on the multi-thread kind), a timer,
// socket I/O and a yield. Returns how many checks saw another thread than `home`.
Task<int> pinned(std::thread::id home, Notify& from_thread, Notify& from_task) {
  int moved = 0;
  auto check = [&] { moved += std::this_thread::get_id() != home ? 1 : 0; };
  check();
  for (int i = 0; i < 20; ++i) {
    co_await from_thread.wait();
    check();
    co_await from_task.wait();
    check();
    co_await eddy::time::sleep(200us);
    check();
    co_await eddy::yield_now();
    check();
  }
  auto pair = eddy::net::UnixStream::pair();
  if (!pair) co_return 1000;
  auto& [a, b] = *pair;
  char buf[4];
  for (int i = 0; i < 10; ++i) {
    if (!(co_await a.write_all(eddy::net::ConstBuffer("ping", 4)))) co_return 1000;
    if (!(co_await b.read_exact(eddy::net::MutableBuffer(buf, 4)))) co_return 1000;
    check();
  }
  co_return moved;
}

TEST_P(LocalSetTest, TasksStayOnTheDrivingThreadWhenWokenFromElsewhere) {
  Runtime rt = eddy_test::make_rt();
  LocalSet local;
  const std::thread::id home = std::this_thread::get_id();
  constexpr int kTasks = 4;
  std::vector<std::unique_ptr<Notify>> from_thread;
  std::vector<std::unique_ptr<Notify>> from_task;
  for (int i = 0; i < kTasks; ++i) {
    from_thread.push_back(std::make_unique<Notify>());
    from_task.push_back(std::make_unique<Notify>());
  }
  std::atomic<bool> stop{false};
  // Fires every notification now and then until the test is done (bounded by `stop`).
  std::thread waker([&] {
    while (!stop.load()) {
      for (auto& n : from_thread) n->notify();
      std::this_thread::sleep_for(100us);
    }
  });
  // A runtime task (on a worker, on the multi-thread kind) that wakes the local tasks too.
  JoinHandle<void> ticker = rt.spawn([](std::vector<std::unique_ptr<Notify>>& ns, std::atomic<bool>& s) -> Task<void> {
    while (!s.load()) {
      for (auto& n : ns) n->notify();
      co_await eddy::time::sleep(100us);
    }
  }(from_task, stop));
  const int moved = local.block_on(rt, [](std::thread::id h, std::vector<std::unique_ptr<Notify>>& ft,
                                          std::vector<std::unique_ptr<Notify>>& fk) -> Task<int> {
    std::vector<JoinHandle<int>> hs;
    for (std::size_t i = 0; i < ft.size(); ++i) hs.push_back(eddy::spawn_local(pinned(h, *ft[i], *fk[i])));
    int m = std::this_thread::get_id() != h ? 1 : 0;
    for (auto& x : hs) {
      auto r = co_await x;
      m += r ? *r : 1000;
    }
    co_return m;
  }(home, from_thread, from_task));
  stop.store(true);
  waker.join();
  rt.block_on([](JoinHandle<void>& t) -> Task<void> { (void)co_await t; }(ticker));
  EXPECT_EQ(moved, 0) << "a local task ran on another thread than the one driving the set";
}

// JoinHandle and abort, as for spawn: the aborted task's frame is destroyed and its handle
// reports cancelled; the others' values come back.
TEST_P(LocalSetTest, JoinHandleAndAbort) {
  Runtime rt = eddy_test::make_rt();
  LocalSet local;
  std::atomic<int> live{0};
  const int r = local.block_on(rt, [](std::atomic<int>& l) -> Task<int> {
    auto forever = eddy::spawn_local([](Counted c) -> Task<int> {
      co_await eddy::time::sleep(std::chrono::hours(1));
      (void)c;
      co_return 1;
    }(Counted(l)));
    auto quick = eddy::spawn_local([]() -> Task<int> { co_return 41; }());
    co_await eddy::yield_now();
    forever.abort();
    auto a = co_await forever;
    auto b = co_await quick;
    const bool cancelled = !a && a.error() == eddy::Error::cancelled;
    co_return (cancelled ? 1 : 0) + (b ? *b : 0);
  }(live));
  EXPECT_EQ(r, 42);
  EXPECT_EQ(live.load(), 0);
}

// Destroying the set with tasks in flight (waiting on a timer, on a notification, queued)
// destroys each frame exactly once and their handles report cancelled; then the runtime.
TEST_P(LocalSetTest, DestroyingTheSetWithTasksInFlightDestroysEachFrameOnce) {
  std::atomic<int> live{0};
  std::atomic<int> destroyed{0};
  Notify never;
  std::vector<JoinHandle<void>> handles;
  {
    Runtime rt = eddy_test::make_rt();
    {
      LocalSet local;
      local.block_on(rt, [](std::atomic<int>& l, std::atomic<int>& d, Notify& n,
                            std::vector<JoinHandle<void>>& hs) -> Task<void> {
        for (int i = 0; i < 5; ++i) {
          hs.push_back(eddy::spawn_local([](Counted c, std::atomic<int>& dd) -> Task<void> {
            eddy_test::OnDrop drop([&] { dd.fetch_add(1); });
            co_await eddy::time::sleep(std::chrono::hours(1));
            (void)c;
          }(Counted(l), d)));
          hs.push_back(eddy::spawn_local([](Counted c, std::atomic<int>& dd, Notify& nn) -> Task<void> {
            eddy_test::OnDrop drop([&] { dd.fetch_add(1); });
            co_await nn.wait();
            (void)c;
          }(Counted(l), d, n)));
        }
        co_await eddy::yield_now();  // they have all started and wait now
        // Queued, never polled: its frame goes too.
        hs.push_back(eddy::spawn_local([](Counted c) -> Task<void> {
          (void)c;
          co_return;
        }(Counted(l))));
      }(live, destroyed, never, handles));
      EXPECT_EQ(live.load(), 11);
    }
    EXPECT_EQ(live.load(), 0);
    EXPECT_EQ(destroyed.load(), 10);
    for (auto& h : handles) {
      ASSERT_TRUE(h.is_finished());
      auto r = h.take();
      EXPECT_FALSE(r);
    }
    never.notify();  // a late wake of a destroyed task: dropped
  }
  EXPECT_EQ(live.load(), 0);
}

// The runtime goes first (its drivers wake the set's waiting I/O and timers with shutdown),
// then the set: still every frame once.
TEST_P(LocalSetTest, RuntimeDroppedBeforeTheSet) {
  std::atomic<int> live{0};
  std::optional<LocalSet> local;
  local.emplace();
  {
    Runtime rt = eddy_test::make_rt();
    local->block_on(rt, [](std::atomic<int>& l) -> Task<void> {
      for (int i = 0; i < 4; ++i) {
        eddy::spawn_local([](Counted c) -> Task<void> {
          co_await eddy::time::sleep(std::chrono::hours(1));
          (void)c;
        }(Counted(l))).detach();
      }
      co_await eddy::yield_now();
    }(live));
    EXPECT_EQ(live.load(), 4);
  }
  // The set still holds its tasks; nothing drives it any more.
  EXPECT_EQ(live.load(), 4);
  local.reset();
  EXPECT_EQ(live.load(), 0);
}

// Spawning into the set from outside (before it is driven): the tasks run when it is.
TEST_P(LocalSetTest, SpawnBeforeDrivingAndRunAll) {
  Runtime rt = eddy_test::make_rt();
  LocalSet local;
  std::atomic<int> ran{0};
  for (int i = 0; i < 10; ++i) {
    local.spawn_local([](std::atomic<int>& r) -> Task<void> {
      co_await eddy::yield_now();
      r.fetch_add(1);
    }(ran)).detach();
  }
  EXPECT_EQ(ran.load(), 0);
  local.block_on(rt, []() -> Task<void> { co_return; }());
  // block_on returns when its task is done; the rest run on the next drive.
  local.block_on(rt, [](std::atomic<int>& r) -> Task<void> {
    while (r.load() < 10) co_await eddy::yield_now();
  }(ran));
  EXPECT_EQ(ran.load(), 10);
}

// co_await local.run_until(task) and local.run_all() from a task of the current-thread runtime.
TEST(LocalSetCurrentThread, RunUntilAndRunAllInsideATask) {
  auto built = eddy::Builder::new_current_thread().enable_all().build();
  ASSERT_TRUE(built);
  Runtime rt = std::move(*built);
  const int r = rt.block_on([]() -> Task<int> {
    LocalSet local;
    std::atomic<int> n{0};
    for (int i = 0; i < 5; ++i) {
      local.spawn_local([](std::atomic<int>& c) -> Task<void> {
        co_await eddy::time::sleep(1ms);
        c.fetch_add(1);
      }(n)).detach();
    }
    const int v = co_await local.run_until([]() -> Task<int> {
      auto h = eddy::spawn_local([]() -> Task<int> { co_return 20; }());
      auto x = co_await h;
      co_return x ? *x + 1 : -1;
    }());
    co_await local.run_all();
    co_return v + n.load();
  }());
  EXPECT_EQ(r, 26);
}

// spawn_local without a set on the current-thread runtime: the task runs on the runtime's
// thread, with the usual JoinHandle.
TEST(LocalSetCurrentThread, SpawnLocalOnTheCurrentThreadRuntime) {
  auto built = eddy::Builder::new_current_thread().enable_all().build();
  ASSERT_TRUE(built);
  Runtime rt = std::move(*built);
  const std::thread::id home = std::this_thread::get_id();
  const bool same = rt.block_on([](std::thread::id h) -> Task<bool> {
    auto j = eddy::spawn_local([](std::thread::id hh) -> Task<bool> {
      co_await eddy::time::sleep(1ms);
      co_return std::this_thread::get_id() == hh;
    }(h));
    auto r = co_await j;
    co_return r && *r;
  }(home));
  EXPECT_TRUE(same);
}

TEST(LocalSetDeathTest, MisuseOnTheMultiThreadRuntimeFailsClearly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto rt = eddy::Builder::new_multi_thread().worker_threads(2).build();
        rt->block_on([]() -> Task<void> {
          auto h = eddy::spawn_local([]() -> Task<void> { co_return; }());
          (void)co_await h;
        }());
      },
      "spawn_local called outside a LocalSet");
  EXPECT_DEATH(
      {
        auto rt = eddy::Builder::new_multi_thread().worker_threads(2).build();
        rt->block_on([]() -> Task<void> {
          LocalSet local;
          co_await local.run_until([]() -> Task<void> { co_return; }());
        }());
      },
      "LocalSet driven from a task of the multi-thread runtime");
}

}  // namespace
