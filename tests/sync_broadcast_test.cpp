#include "eddy/sync/broadcast.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/rt_helpers.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// broadcast: ports of tokio's sync_broadcast.rs behaviours (send to several receivers, subscribe
// sees later messages only, lagging with the missed count then continuing, closed after the
// last sender with buffered messages first, send without receivers), cancellation, and a sender
// thread with a consumer task.

namespace {

using eddy::sync::SyncError;
using eddy::sync::lagged_count;
namespace broadcast = eddy::sync::broadcast;
using eddy_test::TestWaker;

}  // namespace

EDDY_RT_SUITE(SyncBroadcastTest);

TEST_P(SyncBroadcastTest, EveryReceiverGetsEveryMessage) {
  auto [tx, rx1] = broadcast::channel<std::string>(4);
  auto rx2 = tx.subscribe();
  auto n = tx.send("a");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  ASSERT_TRUE(tx.send("b"));
  EXPECT_EQ(*rx1.try_recv(), "a");
  EXPECT_EQ(*rx1.try_recv(), "b");
  EXPECT_EQ(*rx2.try_recv(), "a");
  EXPECT_EQ(*rx2.try_recv(), "b");
  EXPECT_EQ(rx1.try_recv().error(), SyncError::empty);
}

TEST_P(SyncBroadcastTest, SubscribeSeesOnlyLaterMessages) {
  auto [tx, rx] = broadcast::channel<int>(4);
  ASSERT_TRUE(tx.send(1));
  auto rx2 = tx.subscribe();
  ASSERT_TRUE(tx.send(2));
  EXPECT_EQ(*rx2.try_recv(), 2);
  EXPECT_EQ(*rx.try_recv(), 1);
}

TEST_P(SyncBroadcastTest, LaggingReceiverLearnsHowManyItMissedThenContinues) {
  auto [tx, rx] = broadcast::channel<int>(2);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(tx.send(i));
  auto r = rx.try_recv();
  ASSERT_FALSE(r);
  auto missed = lagged_count(r.error());
  ASSERT_TRUE(missed);
  EXPECT_EQ(*missed, 3u);
  EXPECT_EQ(*rx.try_recv(), 3);
  EXPECT_EQ(*rx.try_recv(), 4);
  EXPECT_EQ(rx.try_recv().error(), SyncError::empty);
  EXPECT_FALSE(lagged_count(std::error_code(SyncError::closed)));
}

TEST_P(SyncBroadcastTest, WaitingReceiverWoken) {
  auto [tx, rx] = broadcast::channel<int>(2);
  TestWaker w;
  auto r = rx.recv();
  EXPECT_FALSE(r.poll(w.waker()));
  ASSERT_TRUE(tx.send(9));
  EXPECT_EQ(w.woken(), 1);
  auto v = r.poll(w.waker());
  ASSERT_TRUE(v && *v);
  EXPECT_EQ(**v, 9);
}

TEST_P(SyncBroadcastTest, ClosedAfterLastSenderButBufferedFirst) {
  auto [tx, rx] = broadcast::channel<int>(4);
  auto tx2 = tx;
  ASSERT_TRUE(tx.send(1));
  { auto gone = std::move(tx); }
  EXPECT_EQ(rx.try_recv().value(), 1);
  EXPECT_EQ(rx.try_recv().error(), SyncError::empty);  // tx2 still alive
  TestWaker w;
  auto r = rx.recv();
  EXPECT_FALSE(r.poll(w.waker()));
  ASSERT_TRUE(tx2.send(2));
  { auto gone = std::move(tx2); }
  auto v = r.poll(w.waker());
  ASSERT_TRUE(v && *v);
  EXPECT_EQ(**v, 2);
  EXPECT_EQ(rx.try_recv().error(), SyncError::closed);
}

TEST_P(SyncBroadcastTest, SendWithoutReceiversFails) {
  auto [tx, rx] = broadcast::channel<int>(4);
  { auto gone = std::move(rx); }
  EXPECT_EQ(tx.send(1).error(), SyncError::closed);
  EXPECT_EQ(tx.receiver_count(), 0u);
  auto rx2 = tx.subscribe();
  EXPECT_TRUE(tx.send(2));
  EXPECT_EQ(*rx2.try_recv(), 2);
}

TEST_P(SyncBroadcastTest, CancelledRecvLosesNothing) {
  auto [tx, rx] = broadcast::channel<int>(4);
  TestWaker w;
  {
    auto r = rx.recv();
    EXPECT_FALSE(r.poll(w.waker()));
  }
  ASSERT_TRUE(tx.send(6));
  EXPECT_EQ(w.woken(), 0);
  EXPECT_EQ(*rx.try_recv(), 6);
}

TEST_P(SyncBroadcastTest, ThreadSenderTaskReceivers) {
  auto rt = eddy_test::make_rt(false);
  auto [tx, rx] = broadcast::channel<int>(1024);
  auto rx2 = tx.subscribe();
  constexpr int kN = 3000;
  std::thread t([s = std::move(tx)]() mutable {
    for (int i = 0; i < kN; ++i) ASSERT_TRUE(s.send(i));
  });
  auto consume = [](broadcast::Receiver<int>& r) -> eddy::Task<std::pair<int, std::uint64_t>> {
    int got = 0;
    std::uint64_t lagged = 0;
    int expect = 0;
    for (;;) {
      auto v = co_await r.recv();
      if (!v) {
        if (auto n = lagged_count(v.error())) {
          lagged += *n;
          expect += static_cast<int>(*n);
          continue;
        }
        break;
      }
      EXPECT_EQ(*v, expect);
      ++expect;
      ++got;
    }
    co_return std::pair<int, std::uint64_t>{got, lagged};
  };
  auto [a, b] = rt.block_on([](auto c, broadcast::Receiver<int>& r1, broadcast::Receiver<int>& r2)
                                -> eddy::Task<std::pair<std::pair<int, std::uint64_t>, std::pair<int, std::uint64_t>>> {
    auto h = eddy::spawn(c(r2));
    auto x = co_await c(r1);
    auto y = co_await h;
    co_return std::pair{x, y ? *y : std::pair<int, std::uint64_t>{-1, 0}};
  }(consume, rx, rx2));
  t.join();
  // Every message was either received or reported as missed, exactly once.
  EXPECT_EQ(a.first + static_cast<int>(a.second), kN);
  EXPECT_EQ(b.first + static_cast<int>(b.second), kN);
}

TEST_P(SyncBroadcastTest, SlotEmptiedOnceEveryReceiverHasIt) {
  std::atomic<int> live{0};
  auto [tx, rx1] = broadcast::channel<std::shared_ptr<eddy_test::Counted>>(4);
  auto rx2 = tx.subscribe();
  ASSERT_TRUE(tx.send(std::make_shared<eddy_test::Counted>(live)));
  ASSERT_TRUE(tx.send(std::make_shared<eddy_test::Counted>(live)));
  EXPECT_EQ(live.load(), 2);
  (void)rx1.try_recv();
  EXPECT_EQ(live.load(), 2);  // rx2 has not read the first yet
  (void)rx2.try_recv();
  EXPECT_EQ(live.load(), 1);  // read by both: released
  { auto gone = std::move(rx2); }  // never reads the second
  EXPECT_EQ(live.load(), 1);       // rx1 still has to
  (void)rx1.try_recv();
  EXPECT_EQ(live.load(), 0);
}
