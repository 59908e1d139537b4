#include "eddy/sync/barrier.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "support/rt_helpers.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// Barrier: ports of tokio's sync_barrier.rs behaviours (zero and one does not wait, n waiters
// released together with one leader, reuse across generations) and cancellation of a waiter.

namespace {

using eddy::sync::Barrier;
using eddy_test::TestWaker;

}  // namespace

EDDY_RT_SUITE(SyncBarrierTest);

TEST_P(SyncBarrierTest, ZeroAndOneDoNotWait) {
  TestWaker w;
  Barrier b0(0), b1(1);
  auto a = b0.wait();
  auto r = a.poll(w.waker());
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->is_leader());
  auto c = b1.wait();
  auto r1 = c.poll(w.waker());
  ASSERT_TRUE(r1);
  EXPECT_TRUE(r1->is_leader());
}

TEST_P(SyncBarrierTest, ReleasesAllWithOneLeader) {
  Barrier b(3);
  TestWaker w1, w2, w3;
  auto a = b.wait();
  auto c = b.wait();
  auto d = b.wait();
  EXPECT_FALSE(a.poll(w1.waker()));
  EXPECT_FALSE(c.poll(w2.waker()));
  auto rd = d.poll(w3.waker());
  ASSERT_TRUE(rd);
  EXPECT_TRUE(rd->is_leader());
  EXPECT_EQ(w1.woken(), 1);
  EXPECT_EQ(w2.woken(), 1);
  auto ra = a.poll(w1.waker());
  auto rc = c.poll(w2.waker());
  ASSERT_TRUE(ra && rc);
  EXPECT_FALSE(ra->is_leader());
  EXPECT_FALSE(rc->is_leader());
}

TEST_P(SyncBarrierTest, ReusableAcrossGenerations) {
  auto rt = eddy_test::make_rt(false);
  Barrier b(4);
  std::atomic<int> leaders{0};
  rt.block_on([](Barrier& bb, std::atomic<int>& l) -> eddy::Task<void> {
    std::vector<eddy::JoinHandle<void>> hs;
    for (int i = 0; i < 4; ++i) {
      hs.push_back(eddy::spawn([](Barrier& x, std::atomic<int>& ll) -> eddy::Task<void> {
        for (int round = 0; round < 10; ++round) {
          auto r = co_await x.wait();
          if (r.is_leader()) ll.fetch_add(1);
        }
      }(bb, l)));
    }
    for (auto& h : hs) EXPECT_TRUE(co_await h);
  }(b, leaders));
  EXPECT_EQ(leaders.load(), 10);
}

TEST_P(SyncBarrierTest, CancelledWaiterWithdrawsItsArrival) {
  Barrier b(2);
  TestWaker w;
  {
    auto a = b.wait();
    EXPECT_FALSE(a.poll(w.waker()));
  }  // withdrawn
  auto c = b.wait();
  EXPECT_FALSE(c.poll(w.waker()));  // still needs a second waiter
  auto d = b.wait();
  auto rd = d.poll(w.waker());
  ASSERT_TRUE(rd);
  EXPECT_TRUE(rd->is_leader());
  EXPECT_TRUE(c.poll(w.waker()));
}
