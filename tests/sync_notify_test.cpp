#include "eddy/sync/notify.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "support/rt_helpers.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// Notify: ports of tokio's sync_notify.rs behaviours, polled by hand with test wakers, plus
// cancellation (a chosen waiter destroyed before it ran passes its notification on) and a
// runtime test woken from another thread.

namespace {

using eddy::sync::Notify;
using eddy_test::TestWaker;

bool ready(Notify::Notified& n, const TestWaker& w) { return n.poll(w.waker()).is_ready(); }

}  // namespace

EDDY_RT_SUITE(SyncNotifyTest);

TEST_P(SyncNotifyTest, NotifyOneBeforeNotifiedStoresPermit) {
  Notify n;
  TestWaker w;
  n.notify_one();
  auto a = n.notified();
  EXPECT_TRUE(ready(a, w));
  auto b = n.notified();
  EXPECT_FALSE(ready(b, w));  // the permit was consumed
}

TEST_P(SyncNotifyTest, PermitsDoNotAccumulate) {
  Notify n;
  TestWaker w;
  n.notify_one();
  n.notify_one();
  auto a = n.notified();
  auto b = n.notified();
  EXPECT_TRUE(ready(a, w));
  EXPECT_FALSE(ready(b, w));
}

TEST_P(SyncNotifyTest, NotifiedThenNotifyWakes) {
  Notify n;
  TestWaker w;
  auto a = n.notified();
  EXPECT_FALSE(ready(a, w));
  EXPECT_EQ(w.woken(), 0);
  n.notify_one();
  EXPECT_EQ(w.woken(), 1);
  EXPECT_TRUE(ready(a, w));
}

TEST_P(SyncNotifyTest, NotifyOneIsFifo) {
  Notify n;
  TestWaker w1, w2;
  auto a = n.notified();
  auto b = n.notified();
  EXPECT_FALSE(ready(a, w1));
  EXPECT_FALSE(ready(b, w2));
  n.notify_one();
  EXPECT_EQ(w1.woken(), 1);
  EXPECT_EQ(w2.woken(), 0);
  EXPECT_TRUE(ready(a, w1));
  EXPECT_FALSE(ready(b, w2));
  n.notify_one();
  EXPECT_EQ(w2.woken(), 1);
  EXPECT_TRUE(ready(b, w2));
}

TEST_P(SyncNotifyTest, NotifyWaitersWakesAllAndStoresNoPermit) {
  Notify n;
  TestWaker w1, w2;
  auto a = n.notified();
  auto b = n.notified();
  EXPECT_FALSE(ready(a, w1));
  EXPECT_FALSE(ready(b, w2));
  n.notify_waiters();
  EXPECT_EQ(w1.woken(), 1);
  EXPECT_EQ(w2.woken(), 1);
  EXPECT_TRUE(ready(a, w1));
  EXPECT_TRUE(ready(b, w2));
  auto c = n.notified();
  EXPECT_FALSE(ready(c, w1));
}

TEST_P(SyncNotifyTest, NotifiedCreatedBeforeNotifyWaitersCompletes) {
  Notify n;
  TestWaker w;
  auto a = n.notified();  // created, not yet polled
  n.notify_waiters();
  EXPECT_TRUE(ready(a, w));
  auto b = n.notified();  // created after: waits
  EXPECT_FALSE(ready(b, w));
}

TEST_P(SyncNotifyTest, ManyWaitersMoreThanOneWakeBatch) {
  Notify n;
  TestWaker w;
  constexpr int kN = 100;
  struct Holder {
    explicit Holder(Notify& nn) : n(nn.notified()) {}
    Notify::Notified n;
  };
  std::vector<std::unique_ptr<Holder>> hs;
  for (int i = 0; i < kN; ++i) {
    hs.push_back(std::make_unique<Holder>(n));
    EXPECT_FALSE(ready(hs.back()->n, w));
  }
  n.notify_waiters();
  EXPECT_EQ(w.woken(), kN);
  for (auto& h : hs) EXPECT_TRUE(ready(h->n, w));
}

TEST_P(SyncNotifyTest, DestroyedWaiterIsUnlinked) {
  Notify n;
  TestWaker w1, w2;
  {
    auto a = n.notified();
    EXPECT_FALSE(ready(a, w1));
  }
  EXPECT_EQ(w1.outstanding(), 0);  // its waker was dropped with it
  n.notify_one();                  // nobody waits: stored as the permit
  EXPECT_EQ(w1.woken(), 0);
  auto b = n.notified();
  EXPECT_TRUE(ready(b, w2));
}

TEST_P(SyncNotifyTest, ChosenWaiterDestroyedBeforeRunningPassesItOn) {
  Notify n;
  TestWaker w1, w2;
  auto b = n.notified();
  {
    auto a = n.notified();
    EXPECT_FALSE(ready(a, w1));
    EXPECT_FALSE(ready(b, w2));  // b queued behind a
    n.notify_one();              // chooses a
    EXPECT_EQ(w1.woken(), 1);
    EXPECT_EQ(w2.woken(), 0);
  }  // a destroyed without observing it
  EXPECT_EQ(w2.woken(), 1);
  EXPECT_TRUE(ready(b, w2));
}

TEST_P(SyncNotifyTest, ChosenWaiterDestroyedWithNobodyElseStoresPermit) {
  Notify n;
  TestWaker w;
  {
    auto a = n.notified();
    EXPECT_FALSE(ready(a, w));
    n.notify_one();
  }
  auto b = n.notified();
  EXPECT_TRUE(ready(b, w));
}

TEST_P(SyncNotifyTest, NotifyWaitersWaiterDestroyedDoesNotForward) {
  Notify n;
  TestWaker w;
  {
    auto a = n.notified();
    EXPECT_FALSE(ready(a, w));
    n.notify_waiters();
  }
  auto b = n.notified();
  EXPECT_FALSE(ready(b, w));
}

TEST_P(SyncNotifyTest, TaskWokenFromAnotherThread) {
  auto rt = eddy_test::make_rt(false);
  Notify n;
  std::atomic<bool> waiting{false};
  std::thread t([&] {
    ASSERT_TRUE(eddy_test::wait_until([&] { return waiting.load(); }));
    n.notify_one();
  });
  rt.block_on([](Notify& nn, std::atomic<bool>& w) -> eddy::Task<void> {
    auto wait = nn.notified();
    w.store(true);
    co_await wait;
  }(n, waiting));
  t.join();
}

TEST_P(SyncNotifyTest, AbortedWaitingTaskIsUnlinked) {
  auto rt = eddy_test::make_rt(false);
  Notify n;
  int got = rt.block_on([](Notify& nn) -> eddy::Task<int> {
    auto h1 = eddy::spawn([](Notify& x) -> eddy::Task<int> {
      co_await x.notified();
      co_return 1;
    }(nn));
    auto h2 = eddy::spawn([](Notify& x) -> eddy::Task<int> {
      co_await x.notified();
      co_return 2;
    }(nn));
    co_await eddy::yield_now();  // both wait, h1 first
    h1.abort();
    co_await eddy::yield_now();
    nn.notify_one();  // must reach h2
    auto r = co_await h2;
    auto r1 = co_await h1;
    EXPECT_FALSE(r1);
    co_return r ? *r : -1;
  }(n));
  EXPECT_EQ(got, 2);
}

TEST_P(SyncNotifyTest, CrossThreadPingPongLosesNothing) {
  // Two threads hand a token back and forth 2000 times with notify_one: a lost notification
  // would hang (bounded by block_on_poll never returning, so the test times out).
  Notify a, b;
  constexpr int kRounds = 2000;
  std::thread t([&] {
    for (int i = 0; i < kRounds; ++i) {
      auto wait = a.notified();
      eddy::sync::detail::block_on_poll([&](const eddy::Waker& w) { return wait.poll(w); });
      b.notify_one();
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    a.notify_one();
    auto wait = b.notified();
    eddy::sync::detail::block_on_poll([&](const eddy::Waker& w) { return wait.poll(w); });
  }
  t.join();
}
