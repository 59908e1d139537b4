#include "eddy/sync/mutex.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "support/rt_helpers.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// Mutex: ports of tokio's sync_mutex.rs behaviours (straight execution, readiness, try_lock,
// owned guards, aborted waiters) plus FIFO order and a cross-thread counter.

namespace {

using eddy::sync::Mutex;
using eddy::sync::SyncError;
using eddy_test::TestWaker;

}  // namespace

EDDY_RT_SUITE(SyncMutexTest);

TEST_P(SyncMutexTest, StraightExecution) {
  auto rt = eddy_test::make_rt(false);
  Mutex<int> m(100);
  rt.block_on([](Mutex<int>& mm) -> eddy::Task<void> {
    {
      auto g = co_await mm.lock();
      EXPECT_EQ(*g, 100);
      *g = 99;
    }
    {
      auto g = co_await mm.lock();
      EXPECT_EQ(*g, 99);
      *g = 98;
    }
    auto g = co_await mm.lock();
    EXPECT_EQ(*g, 98);
  }(m));
}

TEST_P(SyncMutexTest, SecondLockWaitsForGuard) {
  Mutex<int> m;
  TestWaker w;
  auto a = m.lock();
  auto ga = a.poll(w.waker());
  ASSERT_TRUE(ga);
  auto b = m.lock();
  EXPECT_FALSE(b.poll(w.waker()));
  EXPECT_EQ(m.try_lock().error(), SyncError::would_block);
  ga->unlock();
  EXPECT_EQ(w.woken(), 1);
  auto gb = b.poll(w.waker());
  ASSERT_TRUE(gb);
  EXPECT_TRUE(gb->owns_lock());
}

TEST_P(SyncMutexTest, WaitersAreServedInOrder) {
  auto rt = eddy_test::make_rt(false);
  Mutex<std::vector<int>> m;
  rt.block_on([](Mutex<std::vector<int>>& mm) -> eddy::Task<void> {
    auto g = co_await mm.lock();
    std::vector<eddy::JoinHandle<void>> hs;
    for (int i = 0; i < 5; ++i) {
      hs.push_back(eddy::spawn([](Mutex<std::vector<int>>& x, int id) -> eddy::Task<void> {
        auto gg = co_await x.lock();
        gg->push_back(id);
      }(mm, i)));
      co_await eddy::yield_now();  // each queues before the next is spawned
    }
    g.unlock();
    for (auto& h : hs) EXPECT_TRUE(co_await h);
    auto g2 = co_await mm.lock();
    EXPECT_EQ(*g2, (std::vector<int>{0, 1, 2, 3, 4}));
  }(m));
}

TEST_P(SyncMutexTest, LockHandedToDestroyedWaiterPassesOn) {
  Mutex<int> m;
  TestWaker w1, w2;
  auto g = m.try_lock();
  ASSERT_TRUE(g);
  auto second = m.lock();
  {
    auto first = m.lock();
    EXPECT_FALSE(first.poll(w1.waker()));
    EXPECT_FALSE(second.poll(w2.waker()));
    g->unlock();  // handed to first...
    EXPECT_EQ(w1.woken(), 1);
  }  // ...which is destroyed before it ran
  EXPECT_EQ(w2.woken(), 1);
  EXPECT_TRUE(second.poll(w2.waker()));
}

TEST_P(SyncMutexTest, AbortedWaiterDoesNotKeepLock) {
  auto rt = eddy_test::make_rt(false);
  Mutex<int> m;
  rt.block_on([](Mutex<int>& mm) -> eddy::Task<void> {
    auto g = co_await mm.lock();
    auto h = eddy::spawn([](Mutex<int>& x) -> eddy::Task<void> {
      auto gg = co_await x.lock();
      *gg = 1;
    }(mm));
    co_await eddy::yield_now();
    g.unlock();  // granted to h...
    h.abort();   // ...which never runs
    EXPECT_FALSE(co_await h);
    auto again = mm.try_lock();
    EXPECT_TRUE(again);
    EXPECT_EQ(**again, 0);
  }(m));
}

TEST_P(SyncMutexTest, OwnedGuardKeepsMutexAlive) {
  auto rt = eddy_test::make_rt(false);
  auto m = std::make_shared<Mutex<int>>(5);
  std::weak_ptr<Mutex<int>> weak = m;
  auto g = rt.block_on([](std::shared_ptr<Mutex<int>> mm) -> eddy::Task<eddy::sync::OwnedMutexGuard<int>> {
    co_return co_await Mutex<int>::lock_owned(std::move(mm));
  }(m));
  m.reset();
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(*g, 5);
  g.unlock();
  EXPECT_TRUE(weak.expired());
}

TEST_P(SyncMutexTest, CrossThreadCounter) {
  auto rt = eddy_test::make_rt(false);
  Mutex<long> m(0);
  constexpr int kThreads = 3, kPer = 2000;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < kPer; ++i) ++*m.blocking_lock();
    });
  rt.block_on([](Mutex<long>& mm) -> eddy::Task<void> {
    for (int i = 0; i < kPer; ++i) {
      auto g = co_await mm.lock();
      ++*g;
      if (i % 64 == 0) co_await eddy::yield_now();  // hold it across a suspension now and then
    }
  }(m));
  for (auto& t : ts) t.join();
  EXPECT_EQ(m.get_mut(), static_cast<long>(kThreads + 1) * kPer);
}

TEST_P(SyncMutexTest, TryLockOwned) {
  auto m = std::make_shared<Mutex<int>>(3);
  auto g = Mutex<int>::try_lock_owned(m);
  ASSERT_TRUE(g);
  EXPECT_EQ(**g, 3);
  EXPECT_EQ(Mutex<int>::try_lock_owned(m).error(), SyncError::would_block);
  g->unlock();
  EXPECT_TRUE(Mutex<int>::try_lock_owned(m));
}
