#include "eddy/sync/watch.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "support/rt_helpers.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// watch: ports of tokio's sync_watch.rs behaviours (single receiver, multiple receivers, latest
// value only, sender dropped, send with no receivers, borrow_and_update), cancellation and a
// sender on another thread.

namespace {

using eddy::sync::SyncError;
namespace watch = eddy::sync::watch;
using eddy_test::TestWaker;

}  // namespace

EDDY_RT_SUITE(SyncWatchTest);

TEST_P(SyncWatchTest, SingleReceiverSeesChange) {
  auto [tx, rx] = watch::channel<std::string>("one");
  TestWaker w;
  EXPECT_EQ(*rx.borrow(), "one");
  auto c = rx.changed();
  EXPECT_FALSE(c.poll(w.waker()));
  ASSERT_TRUE(tx.send("two"));
  EXPECT_EQ(w.woken(), 1);
  auto r = c.poll(w.waker());
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(*rx.borrow(), "two");
  EXPECT_FALSE(*rx.has_changed());
}

TEST_P(SyncWatchTest, OnlyLatestValueIsSeen) {
  auto [tx, rx] = watch::channel<int>(0);
  ASSERT_TRUE(tx.send(1));
  ASSERT_TRUE(tx.send(2));
  ASSERT_TRUE(tx.send(3));
  TestWaker w;
  auto c = rx.changed();
  auto r = c.poll(w.waker());
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(*rx.borrow(), 3);
  auto c2 = rx.changed();
  EXPECT_FALSE(c2.poll(w.waker()));  // all three were one change
}

TEST_P(SyncWatchTest, MultipleReceiversAllWoken) {
  auto [tx, rx1] = watch::channel<int>(0);
  auto rx2 = tx.subscribe();
  TestWaker w1, w2;
  auto c1 = rx1.changed();
  auto c2 = rx2.changed();
  EXPECT_FALSE(c1.poll(w1.waker()));
  EXPECT_FALSE(c2.poll(w2.waker()));
  tx.send_modify([](int& v) { v = 5; });
  EXPECT_EQ(w1.woken(), 1);
  EXPECT_EQ(w2.woken(), 1);
  EXPECT_TRUE(c1.poll(w1.waker()));
  EXPECT_TRUE(c2.poll(w2.waker()));
  EXPECT_EQ(*rx2.borrow(), 5);
}

TEST_P(SyncWatchTest, BorrowAndUpdateMarksSeen) {
  auto [tx, rx] = watch::channel<int>(0);
  ASSERT_TRUE(tx.send(1));
  EXPECT_TRUE(*rx.has_changed());
  {
    auto r = rx.borrow_and_update();
    EXPECT_TRUE(r.has_changed());
    EXPECT_EQ(*r, 1);
  }
  EXPECT_FALSE(*rx.has_changed());
}

TEST_P(SyncWatchTest, SenderDroppedClosesReceivers) {
  auto [tx, rx] = watch::channel<int>(0);
  TestWaker w;
  auto c = rx.changed();
  EXPECT_FALSE(c.poll(w.waker()));
  { auto gone = std::move(tx); }
  EXPECT_EQ(w.woken(), 1);
  auto r = c.poll(w.waker());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error(), SyncError::closed);
  EXPECT_EQ(rx.has_changed().error(), SyncError::closed);
  EXPECT_EQ(*rx.borrow(), 0);  // the last value stays readable
}

TEST_P(SyncWatchTest, ValueSentThenSenderDroppedIsStillReported) {
  auto [tx, rx] = watch::channel<int>(0);
  ASSERT_TRUE(tx.send(4));
  { auto gone = std::move(tx); }
  TestWaker w;
  auto c = rx.changed();
  auto r = c.poll(w.waker());
  ASSERT_TRUE(r && *r);
  auto c2 = rx.changed();
  auto r2 = c2.poll(w.waker());
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->error(), SyncError::closed);
}

TEST_P(SyncWatchTest, SendWithoutReceiversFailsSendReplaceStores) {
  auto [tx, rx] = watch::channel<int>(1);
  { auto gone = std::move(rx); }
  EXPECT_TRUE(tx.is_closed());
  EXPECT_EQ(tx.send(2).error(), SyncError::closed);
  EXPECT_EQ(*tx.borrow(), 1);
  EXPECT_EQ(tx.send_replace(3), 1);
  EXPECT_EQ(*tx.borrow(), 3);
}

TEST_P(SyncWatchTest, CancelledChangedKeepsChangeForNextCall) {
  auto [tx, rx] = watch::channel<int>(0);
  TestWaker w;
  {
    auto c = rx.changed();
    EXPECT_FALSE(c.poll(w.waker()));
  }
  ASSERT_TRUE(tx.send(1));
  EXPECT_EQ(w.woken(), 0);  // the destroyed wait was unlinked
  auto c = rx.changed();
  EXPECT_TRUE(c.poll(w.waker()));
}

TEST_P(SyncWatchTest, ReceiverTaskFollowsSenderThread) {
  auto rt = eddy_test::make_rt(false);
  auto [tx, rx] = watch::channel<int>(0);
  std::thread t([s = std::move(tx)]() mutable {
    for (int i = 1; i <= 1000; ++i) (void)s.send(i);
  });
  int last = rt.block_on([](watch::Receiver<int>& r) -> eddy::Task<int> {
    int prev = 0;
    while (co_await r.changed()) {
      int v = *r.borrow_and_update();
      EXPECT_GT(v, prev);  // values only move forward
      prev = v;
    }
    co_return *r.borrow();
  }(rx));
  t.join();
  EXPECT_EQ(last, 1000);
}

TEST_P(SyncWatchTest, SenderClosedWhenLastReceiverGoes) {
  auto [tx, rx] = watch::channel<int>(0);
  auto rx2 = rx;
  TestWaker w;
  auto c = tx.closed();
  EXPECT_FALSE(c.poll(w.waker()));
  { auto gone = std::move(rx); }
  EXPECT_EQ(w.woken(), 0);
  EXPECT_FALSE(c.poll(w.waker()));
  { auto gone = std::move(rx2); }
  EXPECT_EQ(w.woken(), 1);
  EXPECT_TRUE(c.poll(w.waker()));
}
