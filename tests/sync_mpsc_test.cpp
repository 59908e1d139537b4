#include "eddy/sync/mpsc.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "support/rt_helpers.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// mpsc: ports of tokio's sync_mpsc.rs behaviours (buffered send/recv, reserve and permits,
// try_send full/closed, back-pressure, close, dropped senders), cancellation of waiting senders
// and receivers, and a cross-thread stress test (threads produce, one task consumes; every
// message counted exactly once, in order per producer).

namespace {

using eddy::sync::SyncError;
namespace mpsc = eddy::sync::mpsc;
using eddy_test::TestWaker;

}  // namespace

EDDY_RT_SUITE(SyncMpscTest);

TEST_P(SyncMpscTest, SendRecvWithBuffer) {
  auto rt = eddy_test::make_rt(false);
  auto [tx, rx] = mpsc::channel<int>(16);
  int sum = rt.block_on([](mpsc::Sender<int> t, mpsc::Receiver<int>& r) -> eddy::Task<int> {
    EXPECT_TRUE(co_await t.send(1));
    EXPECT_TRUE(co_await t.send(2));
    { auto gone = std::move(t); }
    int s = 0;
    std::vector<int> got;
    for (;;) {
      auto v = co_await r.recv();
      if (!v) {
        EXPECT_EQ(v.error(), SyncError::closed);
        break;
      }
      got.push_back(*v);
      s += *v;
    }
    EXPECT_EQ(got, (std::vector<int>{1, 2}));
    co_return s;
  }(std::move(tx), rx));
  EXPECT_EQ(sum, 3);
}

TEST_P(SyncMpscTest, TrySendFullAndClosedLeaveValue) {
  auto [tx, rx] = mpsc::channel<std::unique_ptr<int>>(1);
  ASSERT_TRUE(tx.try_send(std::make_unique<int>(1)));
  auto v = std::make_unique<int>(2);
  EXPECT_EQ(tx.try_send(std::move(v)).error(), SyncError::full);
  ASSERT_TRUE(v);
  auto got = rx.try_recv();
  ASSERT_TRUE(got);
  EXPECT_EQ(**got, 1);
  EXPECT_EQ(rx.try_recv().error(), SyncError::empty);
  rx.close();
  EXPECT_EQ(tx.try_send(std::move(v)).error(), SyncError::closed);
  ASSERT_TRUE(v);
  EXPECT_TRUE(tx.is_closed());
}

TEST_P(SyncMpscTest, SendWaitsForCapacity) {
  auto [tx, rx] = mpsc::channel<int>(1);
  TestWaker w;
  ASSERT_TRUE(tx.try_send(1));
  auto s = tx.send(2);
  EXPECT_FALSE(s.poll(w.waker()));
  EXPECT_EQ(w.woken(), 0);
  auto a = rx.try_recv();
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, 1);
  EXPECT_EQ(w.woken(), 1);
  auto r = s.poll(w.waker());
  ASSERT_TRUE(r && *r);
  auto b = rx.try_recv();
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, 2);
}

TEST_P(SyncMpscTest, WaitingSendersServedInOrder) {
  auto [tx, rx] = mpsc::channel<int>(1);
  TestWaker w1, w2;
  ASSERT_TRUE(tx.try_send(0));
  auto s1 = tx.send(1);
  auto s2 = tx.send(2);
  EXPECT_FALSE(s1.poll(w1.waker()));
  EXPECT_FALSE(s2.poll(w2.waker()));
  EXPECT_EQ(*rx.try_recv(), 0);
  EXPECT_EQ(w1.woken(), 1);
  EXPECT_EQ(w2.woken(), 0);
  EXPECT_FALSE(s2.poll(w2.waker()));
  ASSERT_TRUE(s1.poll(w1.waker()));
  EXPECT_EQ(*rx.try_recv(), 1);
  ASSERT_TRUE(s2.poll(w2.waker()));
  EXPECT_EQ(*rx.try_recv(), 2);
}

TEST_P(SyncMpscTest, ReserveThenSendAndUnusedPermitReturnsSlot) {
  auto [tx, rx] = mpsc::channel<int>(2);
  TestWaker w;
  EXPECT_EQ(tx.capacity(), 2u);
  {
    auto res = tx.reserve();
    auto p = res.poll(w.waker());
    ASSERT_TRUE(p && *p);
    EXPECT_EQ(tx.capacity(), 1u);
  }  // permit dropped unused
  EXPECT_EQ(tx.capacity(), 2u);
  auto res = tx.reserve();
  auto p = res.poll(w.waker());
  ASSERT_TRUE(p && *p);
  (*p)->send(5);
  EXPECT_EQ(*rx.try_recv(), 5);
  EXPECT_EQ(tx.capacity(), 2u);
  EXPECT_EQ(tx.max_capacity(), 2u);
}

TEST_P(SyncMpscTest, ReceiverCloseFailsWaitingSendKeepsQueued) {
  auto [tx, rx] = mpsc::channel<int>(1);
  TestWaker w;
  ASSERT_TRUE(tx.try_send(1));
  auto s = tx.send(2);
  EXPECT_FALSE(s.poll(w.waker()));
  rx.close();
  EXPECT_EQ(w.woken(), 1);
  auto r = s.poll(w.waker());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error(), SyncError::closed);
  EXPECT_EQ(*rx.try_recv(), 1);  // queued before close: still delivered
  EXPECT_EQ(rx.try_recv().error(), SyncError::closed);
}

TEST_P(SyncMpscTest, LastSenderDropWakesReceiver) {
  auto [tx, rx] = mpsc::channel<int>(4);
  TestWaker w;
  auto tx2 = tx;
  auto r = rx.recv();
  EXPECT_FALSE(r.poll(w.waker()));
  { auto gone = std::move(tx); }
  EXPECT_EQ(w.woken(), 0);  // tx2 still alive
  { auto gone = std::move(tx2); }
  EXPECT_EQ(w.woken(), 1);
  auto p = r.poll(w.waker());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->error(), SyncError::closed);
}

TEST_P(SyncMpscTest, CancelledWaitingSendPassesGrantedSlotOn) {
  auto [tx, rx] = mpsc::channel<int>(1);
  TestWaker w1, w2;
  ASSERT_TRUE(tx.try_send(0));
  auto s2 = tx.send(2);
  {
    auto s1 = tx.send(1);
    EXPECT_FALSE(s1.poll(w1.waker()));
    EXPECT_FALSE(s2.poll(w2.waker()));
    EXPECT_EQ(*rx.try_recv(), 0);  // the slot is granted to s1...
    EXPECT_EQ(w1.woken(), 1);
  }  // ...which is destroyed before it ran: its value is dropped, the slot passes on
  EXPECT_EQ(w2.woken(), 1);
  ASSERT_TRUE(s2.poll(w2.waker()));
  EXPECT_EQ(*rx.try_recv(), 2);
  EXPECT_EQ(rx.try_recv().error(), SyncError::empty);
}

TEST_P(SyncMpscTest, CancelledRecvLosesNothing) {
  auto [tx, rx] = mpsc::channel<int>(4);
  TestWaker w;
  {
    auto r = rx.recv();
    EXPECT_FALSE(r.poll(w.waker()));
  }
  ASSERT_TRUE(tx.try_send(8));
  EXPECT_EQ(*rx.try_recv(), 8);
}

TEST_P(SyncMpscTest, DroppingReceiverDestroysQueuedMessages) {
  std::atomic<int> live{0};
  auto [tx, rx] = mpsc::unbounded_channel<eddy_test::Counted>();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(tx.send(eddy_test::Counted(live)));
  EXPECT_EQ(live.load(), 5);
  { auto gone = std::move(rx); }
  EXPECT_EQ(live.load(), 0);
  EXPECT_EQ(tx.send(eddy_test::Counted(live)).error(), SyncError::closed);
}

TEST_P(SyncMpscTest, UnboundedKeepsOrderAcrossGrowth) {
  auto [tx, rx] = mpsc::unbounded_channel<int>();
  // Interleave pushes and pops so the ring wraps and grows while wrapped.
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 7 + round; ++i) ASSERT_TRUE(tx.send(next_in++));
    for (int i = 0; i < 5 + round / 2; ++i) {
      auto v = rx.try_recv();
      ASSERT_TRUE(v);
      EXPECT_EQ(*v, next_out++);
    }
  }
  while (auto v = rx.try_recv()) EXPECT_EQ(*v, next_out++);
  EXPECT_EQ(next_out, next_in);
}

TEST_P(SyncMpscTest, AbortedSenderTaskLosesNoQueuedMessage) {
  auto rt = eddy_test::make_rt(false);
  auto [tx, rx] = mpsc::channel<int>(1);
  std::vector<int> got = rt.block_on([](mpsc::Sender<int>& t, mpsc::Receiver<int>& r) -> eddy::Task<std::vector<int>> {
    EXPECT_TRUE(co_await t.send(1));
    auto h = eddy::spawn([](mpsc::Sender<int> s) -> eddy::Task<void> {
      (void)co_await s.send(2);  // waits: full
      ADD_FAILURE() << "aborted sender ran on";
    }(t));
    co_await eddy::yield_now();
    h.abort();
    EXPECT_FALSE(co_await h);
    std::vector<int> out;
    out.push_back(*co_await r.recv());
    EXPECT_TRUE(co_await t.send(3));  // the slot is free again
    out.push_back(*co_await r.recv());
    co_return out;
  }(tx, rx));
  EXPECT_EQ(got, (std::vector<int>{1, 3}));
}

namespace {

// kProducers threads each send kPer messages (producer id, sequence); one task receives them.
constexpr int kProducers = 4;
constexpr int kPer = 5000;

struct Msg {
  int producer;
  int seq;
};

eddy::Task<int> consume(mpsc::Receiver<Msg>& rx) {
  std::vector<int> next(kProducers, 0);
  int total = 0;
  for (;;) {
    auto m = co_await rx.recv();
    if (!m) break;
    EXPECT_EQ(m->seq, next[m->producer]) << "producer " << m->producer;
    next[m->producer] = m->seq + 1;
    ++total;
  }
  for (int p = 0; p < kProducers; ++p) EXPECT_EQ(next[p], kPer);
  co_return total;
}

}  // namespace

TEST_P(SyncMpscTest, StressThreadsIntoBoundedChannel) {
  auto rt = eddy_test::make_rt(false);
  auto [tx, rx] = mpsc::channel<Msg>(16);
  std::vector<std::thread> ts;
  for (int p = 0; p < kProducers; ++p) {
    ts.emplace_back([p, t = tx]() mutable {
      for (int i = 0; i < kPer; ++i) {
        if (i % 3 == 0) {
          // mix in try_send with a fall-back
          Msg m{p, i};
          if (t.try_send(m)) continue;
        }
        ASSERT_TRUE(t.blocking_send(Msg{p, i}));
      }
    });
  }
  { auto gone = std::move(tx); }
  int total = rt.block_on(consume(rx));
  for (auto& t : ts) t.join();
  EXPECT_EQ(total, kProducers * kPer);
}

TEST_P(SyncMpscTest, StressThreadsIntoUnboundedChannel) {
  auto rt = eddy_test::make_rt(false);
  auto [tx, rx] = mpsc::unbounded_channel<Msg>();
  std::vector<std::thread> ts;
  for (int p = 0; p < kProducers; ++p) {
    ts.emplace_back([p, t = tx]() mutable {
      for (int i = 0; i < kPer; ++i) ASSERT_TRUE(t.send(Msg{p, i}));
    });
  }
  { auto gone = std::move(tx); }
  int total = rt.block_on(consume(rx));
  for (auto& t : ts) t.join();
  EXPECT_EQ(total, kProducers * kPer);
}

TEST_P(SyncMpscTest, BlockingRecvOnThreadFromTask) {
  auto rt = eddy_test::make_rt(false);
  auto [tx, rx] = mpsc::channel<int>(2);
  std::thread t([r = std::move(rx)]() mutable {
    int sum = 0;
    while (auto v = r.blocking_recv()) sum += *v;
    EXPECT_EQ(sum, 5050);
  });
  rt.block_on([](mpsc::Sender<int> s) -> eddy::Task<void> {
    for (int i = 1; i <= 100; ++i) EXPECT_TRUE(co_await s.send(i));
  }(std::move(tx)));
  t.join();
}

TEST_P(SyncMpscTest, SendTimeoutGivesUpAndReturnsTheSlot) {
  auto rt = eddy_test::rt_builder().enable_all().start_paused(true).build();
  ASSERT_TRUE(rt);
  auto [tx, rx] = mpsc::channel<int>(1);
  rt->block_on([](mpsc::Sender<int>& t, mpsc::Receiver<int>& r) -> eddy::Task<void> {
    EXPECT_TRUE(t.try_send(1));
    auto res = co_await t.send_timeout(2, std::chrono::milliseconds(10));
    EXPECT_EQ(res.error(), eddy::Error::timed_out);
    EXPECT_EQ(t.capacity(), 0u);  // the queued 1 still holds the one slot; nothing leaked
    EXPECT_EQ(*r.try_recv(), 1);
    EXPECT_EQ(t.capacity(), 1u);
    EXPECT_TRUE(co_await t.send_timeout(3, std::chrono::milliseconds(10)));
    EXPECT_EQ(*r.try_recv(), 3);
    EXPECT_EQ(r.try_recv().error(), SyncError::empty);
  }(tx, rx));
}

TEST_P(SyncMpscTest, AbortedSendersNothingLostNothingDuplicated) {
  // Sender tasks count each send that reported success; some are aborted at arbitrary points
  // (waiting for capacity, or granted a slot but not yet run). The receiver must get exactly the
  // messages reported as sent, each once.
  auto rt = eddy_test::make_rt(false);
  auto [tx, rx] = mpsc::channel<int>(2);
  constexpr int kTasks = 6;
  std::vector<int> sent(kTasks, 0);
  std::vector<int> received(kTasks, 0);
  rt.block_on([](mpsc::Sender<int> t, mpsc::Receiver<int>& r, std::vector<int>& snt, std::vector<int>& rcv) -> eddy::Task<void> {
    std::vector<eddy::JoinHandle<void>> hs;
    for (int k = 0; k < kTasks; ++k)
      hs.push_back(eddy::spawn([](mpsc::Sender<int> s, int id, int& count) -> eddy::Task<void> {
        for (;;) {
          if (!co_await s.send(id)) co_return;
          ++count;
        }
      }(t, k, snt[k])));
    { auto gone = std::move(t); }
    for (int round = 0; round < 400; ++round) {
      auto v = co_await r.recv();
      if (!v) break;
      ++rcv[*v];
      if (round % 50 == 49) hs[static_cast<std::size_t>(round / 50) % kTasks].abort();
    }
    for (auto& h : hs) h.abort();
    for (auto& h : hs) (void)co_await h;
    // Every sender is gone: drain what was queued.
    for (;;) {
      auto v = co_await r.recv();
      if (!v) {
        EXPECT_EQ(v.error(), SyncError::closed);
        break;
      }
      ++rcv[*v];
    }
  }(std::move(tx), rx, sent, received));
  for (int k = 0; k < kTasks; ++k) EXPECT_EQ(received[k], sent[k]) << "task " << k;
}

TEST_P(SyncMpscTest, SenderClosedCompletesWhenReceiverGoes) {
  auto [tx, rx] = mpsc::channel<int>(1);
  auto utx_rx = mpsc::unbounded_channel<int>();
  TestWaker w;
  auto c = tx.closed();
  EXPECT_FALSE(c.poll(w.waker()));
  {
    auto c2 = tx.closed();
    EXPECT_FALSE(c2.poll(w.waker()));
  }  // a destroyed wait is unlinked
  { auto gone = std::move(rx); }
  EXPECT_EQ(w.woken(), 1);
  EXPECT_TRUE(c.poll(w.waker()));
  auto uc = utx_rx.first.closed();
  EXPECT_FALSE(uc.poll(w.waker()));
  utx_rx.second.close();
  EXPECT_TRUE(uc.poll(w.waker()));
}

TEST_P(SyncMpscTest, RecvManyTakesUpToLimitAndFreesSlots) {
  auto [tx, rx] = mpsc::channel<int>(4);
  TestWaker w;
  std::vector<int> out;
  {
    auto r = rx.recv_many(out, 3);
    EXPECT_FALSE(r.poll(w.waker()));
  }
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(tx.try_send(i));
  auto r = rx.recv_many(out, 3);
  auto n = r.poll(w.waker());
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(out, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(tx.capacity(), 3u);
  { auto gone = std::move(tx); }
  auto r2 = rx.recv_many(out, 8);
  EXPECT_EQ(*r2.poll(w.waker()), 1u);
  auto r3 = rx.recv_many(out, 8);
  EXPECT_EQ(*r3.poll(w.waker()), 0u);  // closed and empty
  EXPECT_EQ(out, (std::vector<int>{0, 1, 2, 3}));
}

TEST_P(SyncMpscTest, OwnedPermitOutlivesItsPlaceAndGivesSenderBack) {
  auto [tx, rx] = mpsc::channel<int>(1);
  TestWaker w;
  std::optional<mpsc::OwnedPermit<int>> permit;
  {
    auto res = mpsc::reserve_owned(tx);  // a copy of tx goes into the permit
    auto p = res.poll(w.waker());
    ASSERT_TRUE(p && *p);
    permit.emplace(std::move(**p));
  }
  EXPECT_EQ(tx.capacity(), 0u);
  { auto gone = std::move(tx); }  // the permit's own Sender keeps the channel open
  EXPECT_FALSE(rx.is_closed());
  auto back = std::move(*permit).send(4);
  permit.reset();
  EXPECT_EQ(*rx.try_recv(), 4);
  EXPECT_EQ(back.capacity(), 1u);
  {
    auto res = mpsc::reserve_owned(back);
    auto p = res.poll(w.waker());
    ASSERT_TRUE(p && *p);
    EXPECT_EQ(back.capacity(), 0u);
  }  // dropped unused: the slot comes back
  EXPECT_EQ(back.capacity(), 1u);
}
