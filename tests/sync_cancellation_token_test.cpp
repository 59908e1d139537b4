#include "eddy/sync/cancellation_token.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "support/rt_helpers.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// CancellationToken: ports of tokio-util's sync/tests behaviours (cancel wakes waiters, child
// tokens follow parents but not vice versa, born-cancelled children, drop guards), cancellation
// of a waiter and a cancel from another thread.

namespace {

using eddy::sync::CancellationToken;
using eddy_test::TestWaker;

}  // namespace

EDDY_RT_SUITE(SyncCancellationTokenTest);

TEST_P(SyncCancellationTokenTest, CancelWakesWaiter) {
  CancellationToken t;
  TestWaker w;
  auto c = t.cancelled();
  EXPECT_FALSE(c.poll(w.waker()));
  EXPECT_FALSE(t.is_cancelled());
  t.cancel();
  EXPECT_TRUE(t.is_cancelled());
  EXPECT_EQ(w.woken(), 1);
  EXPECT_TRUE(c.poll(w.waker()));
  t.cancel();  // idempotent
  EXPECT_EQ(w.woken(), 1);
  auto c2 = t.cancelled();
  EXPECT_TRUE(c2.poll(w.waker()));
}

TEST_P(SyncCancellationTokenTest, ChildFollowsParentNotViceVersa) {
  CancellationToken parent;
  auto child = parent.child_token();
  auto grandchild = child.child_token();
  auto sibling = parent.child_token();
  TestWaker w;
  auto c = grandchild.cancelled();
  EXPECT_FALSE(c.poll(w.waker()));
  sibling.cancel();
  EXPECT_FALSE(parent.is_cancelled());
  EXPECT_FALSE(child.is_cancelled());
  parent.cancel();
  EXPECT_TRUE(child.is_cancelled());
  EXPECT_TRUE(grandchild.is_cancelled());
  EXPECT_EQ(w.woken(), 1);
  EXPECT_TRUE(parent.child_token().is_cancelled());  // born cancelled
}

TEST_P(SyncCancellationTokenTest, ManyShortLivedChildrenArePruned) {
  CancellationToken parent;
  for (int i = 0; i < 10000; ++i) {
    auto c = parent.child_token();
    EXPECT_FALSE(c.is_cancelled());
  }
  auto kept = parent.child_token();
  parent.cancel();
  EXPECT_TRUE(kept.is_cancelled());
}

TEST_P(SyncCancellationTokenTest, DropGuardCancels) {
  CancellationToken t;
  { auto g = t.drop_guard(); }
  EXPECT_TRUE(t.is_cancelled());
  CancellationToken u;
  {
    auto g = u.drop_guard();
    (void)g.disarm();
  }
  EXPECT_FALSE(u.is_cancelled());
}

TEST_P(SyncCancellationTokenTest, DestroyedWaiterIsUnlinked) {
  CancellationToken t;
  TestWaker w;
  {
    auto c = t.cancelled();
    EXPECT_FALSE(c.poll(w.waker()));
  }
  EXPECT_EQ(w.outstanding(), 0);
  t.cancel();
  EXPECT_EQ(w.woken(), 0);
}

TEST_P(SyncCancellationTokenTest, TasksStopWhenCancelledFromThread) {
  auto rt = eddy_test::make_rt(false);
  CancellationToken t;
  std::thread th([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    t.cancel();
  });
  int stopped = rt.block_on([](CancellationToken tok) -> eddy::Task<int> {
    std::vector<eddy::JoinHandle<int>> hs;
    for (int i = 0; i < 5; ++i)
      hs.push_back(eddy::spawn([](CancellationToken c) -> eddy::Task<int> {
        co_await c.cancelled();
        co_return 1;
      }(tok.child_token())));
    int n = 0;
    for (auto& h : hs) {
      auto r = co_await h;
      n += r ? *r : 0;
    }
    co_return n;
  }(t));
  th.join();
  EXPECT_EQ(stopped, 5);
}
