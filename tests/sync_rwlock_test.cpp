#include "eddy/sync/rwlock.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "support/rt_helpers.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// RwLock: ports of tokio's sync_rwlock.rs behaviours (shared reads, exclusive writes, pending
// writer holds back later readers, max readers, try_read/try_write, downgrade) and cancellation.

namespace {

using eddy::sync::RwLock;
using eddy::sync::SyncError;
using eddy_test::TestWaker;

}  // namespace

EDDY_RT_SUITE(SyncRwLockTest);

TEST_P(SyncRwLockTest, ReadsAreShared) {
  RwLock<int> l(1);
  TestWaker w;
  auto a = l.read();
  auto b = l.read();
  auto ga = a.poll(w.waker());
  auto gb = b.poll(w.waker());
  ASSERT_TRUE(ga && gb);
  EXPECT_EQ(**ga, 1);
  EXPECT_EQ(**gb, 1);
}

TEST_P(SyncRwLockTest, WriteIsExclusive) {
  RwLock<int> l;
  TestWaker w;
  auto wr = l.write();
  auto gw = wr.poll(w.waker());
  ASSERT_TRUE(gw);
  EXPECT_EQ(l.try_read().error(), SyncError::would_block);
  EXPECT_EQ(l.try_write().error(), SyncError::would_block);
  auto rd = l.read();
  EXPECT_FALSE(rd.poll(w.waker()));
  **gw = 7;
  gw->unlock();
  EXPECT_EQ(w.woken(), 1);
  auto gr = rd.poll(w.waker());
  ASSERT_TRUE(gr);
  EXPECT_EQ(**gr, 7);
}

TEST_P(SyncRwLockTest, PendingWriterHoldsBackLaterReaders) {
  RwLock<int> l;
  TestWaker ww, wr;
  auto r1 = l.try_read();
  ASSERT_TRUE(r1);
  auto wri = l.write();
  EXPECT_FALSE(wri.poll(ww.waker()));
  auto r2 = l.read();
  EXPECT_FALSE(r2.poll(wr.waker()));  // a reader holds the lock, but a writer is queued first
  EXPECT_EQ(l.try_read().error(), SyncError::would_block);
  r1->unlock();
  EXPECT_EQ(ww.woken(), 1);
  EXPECT_EQ(wr.woken(), 0);
  auto gw = wri.poll(ww.waker());
  ASSERT_TRUE(gw);
  gw->unlock();
  EXPECT_EQ(wr.woken(), 1);
  EXPECT_TRUE(r2.poll(wr.waker()));
}

TEST_P(SyncRwLockTest, CancelledWriterLetsQueuedReadersIn) {
  RwLock<int> l;
  TestWaker ww, wr;
  auto r1 = l.try_read();
  ASSERT_TRUE(r1);
  auto r2 = l.read();
  {
    auto wri = l.write();
    EXPECT_FALSE(wri.poll(ww.waker()));
    EXPECT_FALSE(r2.poll(wr.waker()));
  }  // the writer gives up (returning the permits it had collected)
  EXPECT_EQ(wr.woken(), 1);
  EXPECT_TRUE(r2.poll(wr.waker()));
}

TEST_P(SyncRwLockTest, MaxReaders) {
  RwLock<int> l(0, 2);
  auto a = l.try_read();
  auto b = l.try_read();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(l.try_read().error(), SyncError::would_block);
  a->unlock();
  EXPECT_TRUE(l.try_read());
}

TEST_P(SyncRwLockTest, DowngradeKeepsWritersOut) {
  RwLock<int> l;
  TestWaker w;
  auto gw = l.try_write();
  ASSERT_TRUE(gw);
  **gw = 3;
  auto gr = std::move(*gw).downgrade();
  EXPECT_EQ(*gr, 3);
  EXPECT_EQ(l.try_write().error(), SyncError::would_block);
  EXPECT_TRUE(l.try_read());
  gr.unlock();
  EXPECT_TRUE(l.try_write());
}

TEST_P(SyncRwLockTest, TasksAndThreads) {
  auto rt = eddy_test::make_rt(false);
  RwLock<long> l(0);
  std::thread t([&] {
    for (int i = 0; i < 1000; ++i) {
      for (;;) {
        auto g = l.try_write();
        if (g) {
          ++**g;
          break;
        }
        std::this_thread::yield();
      }
    }
  });
  rt.block_on([](RwLock<long>& ll) -> eddy::Task<void> {
    for (int i = 0; i < 1000; ++i) {
      {
        auto g = co_await ll.write();
        ++*g;
      }
      auto r = co_await ll.read();
      EXPECT_GE(*r, 1);
    }
  }(l));
  t.join();
  EXPECT_EQ(l.get_mut(), 2000);
}

TEST_P(SyncRwLockTest, OwnedGuardsKeepLockAliveAndExclude) {
  auto l = std::make_shared<RwLock<int>>(1);
  std::weak_ptr<RwLock<int>> weak = l;
  TestWaker w;
  auto rd = RwLock<int>::read_owned(l);
  auto gr = rd.poll(w.waker());
  ASSERT_TRUE(gr);
  EXPECT_EQ(**gr, 1);
  auto wr = RwLock<int>::write_owned(l);
  EXPECT_FALSE(wr.poll(w.waker()));
  gr->unlock();
  EXPECT_EQ(w.woken(), 1);
  auto gw = wr.poll(w.waker());
  ASSERT_TRUE(gw);
  **gw = 2;
  EXPECT_EQ(l->try_read().error(), SyncError::would_block);
  l.reset();
  EXPECT_FALSE(weak.expired());  // the guard (and the pending awaiter) keep it
  auto keep = gw->lock();
  gw->unlock();
  EXPECT_EQ(*keep->try_read().value(), 2);
}
