#include "eddy/sync/join_set.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>

#include "eddy/sync/notify.hpp"
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

// JoinSet: ports of tokio's task_join_set.rs behaviours (join in completion order, empty set,
// abort_all, dropping the set aborts its tasks, exceptions surface on join) and a cancelled
// join_next losing nothing.

namespace {

using eddy::Task;
using eddy::sync::JoinSet;
using eddy::sync::Notify;

Task<int> after_yields(int v, int yields) {
  for (int i = 0; i < yields; ++i) co_await eddy::yield_now();
  co_return v;
}

// Yields until `done()`, for at most 5 s. On the multi-thread kind the tasks this one spawned or
// aborted may run on the other worker, so one yield does not mean they have run (or been
// destroyed) yet: a single yield there failed now and then under ASan.
template <class F>
Task<bool> yield_until(F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    co_await eddy::yield_now();
  }
  co_return true;
}

}  // namespace

EDDY_RT_SUITE(SyncJoinSetTest);

TEST_P(SyncJoinSetTest, JoinsInCompletionOrder) {
  EDDY_CURRENT_THREAD_ONLY("asserts a completion order that only one thread makes deterministic");
  auto rt = eddy_test::make_rt(false);
  auto order = rt.block_on([]() -> Task<std::vector<int>> {
    JoinSet<int> set;
    set.spawn(after_yields(3, 6));
    set.spawn(after_yields(1, 0));
    set.spawn(after_yields(2, 3));
    EXPECT_EQ(set.size(), 3u);
    std::vector<int> out;
    while (auto r = co_await set.join_next()) {
      EXPECT_TRUE(*r);
      out.push_back(**r);
    }
    EXPECT_TRUE(set.empty());
    co_return out;
  }());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST_P(SyncJoinSetTest, EmptySetJoinsNothing) {
  auto rt = eddy_test::make_rt(false);
  bool none = rt.block_on([]() -> Task<bool> {
    JoinSet<void> set;
    auto r = co_await set.join_next();
    co_return !r.has_value();
  }());
  EXPECT_TRUE(none);
}

TEST_P(SyncJoinSetTest, AbortAllGivesCancelled) {
  auto rt = eddy_test::make_rt(false);
  std::atomic<int> live{0};
  Notify never;
  int cancelled = rt.block_on([](std::atomic<int>& l, Notify& n) -> Task<int> {
    JoinSet<void> set;
    for (int i = 0; i < 4; ++i)
      set.spawn([](std::atomic<int>& ll, Notify& nn) -> Task<void> {
        eddy_test::Counted c(ll);
        co_await nn.notified();
      }(l, n));
    EXPECT_TRUE(co_await yield_until([&l] { return l.load() == 4; }));
    set.abort_all();
    int k = 0;
    while (auto r = co_await set.join_next()) {
      EXPECT_EQ(r->error(), eddy::Error::cancelled);
      ++k;
    }
    EXPECT_EQ(l.load(), 0);  // every frame destroyed
    co_return k;
  }(live, never));
  EXPECT_EQ(cancelled, 4);
}

TEST_P(SyncJoinSetTest, DestroyingSetAbortsTasks) {
  auto rt = eddy_test::make_rt(false);
  std::atomic<int> live{0};
  Notify never;
  rt.block_on([](std::atomic<int>& l, Notify& n) -> Task<void> {
    {
      JoinSet<void> set;
      for (int i = 0; i < 3; ++i)
        set.spawn([](std::atomic<int>& ll, Notify& nn) -> Task<void> {
          eddy_test::Counted c(ll);
          co_await nn.notified();
        }(l, n));
      EXPECT_TRUE(co_await yield_until([&l] { return l.load() == 3; }));
    }
    EXPECT_TRUE(co_await yield_until([&l] { return l.load() == 0; }));
  }(live, never));
}

TEST_P(SyncJoinSetTest, ExceptionSurfacesOnJoin) {
  auto rt = eddy_test::make_rt(false);
  bool threw = rt.block_on([]() -> Task<bool> {
    JoinSet<int> set;
    set.spawn([]() -> Task<int> {
      co_await eddy::yield_now();
      throw std::runtime_error("boom");
    }());
    try {
      (void)co_await set.join_next();
    } catch (const std::runtime_error&) {
      co_return true;
    }
    co_return false;
  }());
  EXPECT_TRUE(threw);
}

TEST_P(SyncJoinSetTest, ShutdownWaitsForAll) {
  auto rt = eddy_test::make_rt(false);
  std::atomic<int> live{0};
  Notify never;
  rt.block_on([](std::atomic<int>& l, Notify& n) -> Task<void> {
    JoinSet<void> set;
    for (int i = 0; i < 3; ++i)
      set.spawn([](std::atomic<int>& ll, Notify& nn) -> Task<void> {
        eddy_test::Counted c(ll);
        co_await nn.notified();
      }(l, n));
    co_await eddy::yield_now();
    co_await set.shutdown();
    EXPECT_TRUE(set.empty());
    EXPECT_EQ(l.load(), 0);
  }(live, never));
}

TEST_P(SyncJoinSetTest, TryJoinNext) {
  auto rt = eddy_test::make_rt(false);
  rt.block_on([]() -> Task<void> {
    JoinSet<int> set;
    EXPECT_FALSE(set.try_join_next());
    set.spawn(after_yields(5, 0));
    co_await eddy::yield_now();
    co_await eddy::yield_now();
    auto r = set.try_join_next();
    // (Two yields are enough on one thread; on workers the task may still be running.)
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!r && std::chrono::steady_clock::now() < deadline) {
      co_await eddy::yield_now();
      r = set.try_join_next();
    }
    EXPECT_TRUE(r && *r);
    if (r && *r) {
      EXPECT_EQ(**r, 5);
    }
  }());
}
