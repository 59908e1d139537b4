#include "eddy/sync/select.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>

#include "eddy/join_handle.hpp"
#include "eddy/sync/mpsc.hpp"
#include "eddy/sync/notify.hpp"
#include "eddy/sync/oneshot.hpp"
#include "eddy/sync/semaphore.hpp"
#include "eddy/time.hpp"
#include "eddy/yield_now.hpp"
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

// select: the first ready operand wins in argument order, a later-ready one wakes the task,
// the same type twice is told apart by index, lvalue operands are polled in place, and the
// operands that lose (or a destroyed select) lose no data and keep no permit.

namespace {

using eddy::Task;
using eddy::sync::select;
using namespace std::chrono_literals;
namespace oneshot = eddy::sync::oneshot;
namespace mpsc = eddy::sync::mpsc;

}  // namespace

EDDY_RT_SUITE(SyncSelectTest);

TEST_P(SyncSelectTest, FirstReadyInArgumentOrderWinsAndTheLoserKeepsItsValue) {
  auto rt = eddy_test::make_rt(false);
  auto [tx1, rx1] = oneshot::channel<int>();
  auto [tx2, rx2] = oneshot::channel<std::string>();
  ASSERT_TRUE(tx1.send(1));
  ASSERT_TRUE(tx2.send("two"));
  auto got = rt.block_on([](oneshot::Receiver<int>& a, oneshot::Receiver<std::string>& b) -> Task<int> {
    auto r = co_await select(a, b);
    if (r.index() != 0) co_return -1;
    co_return *std::get<0>(std::move(r));
  }(rx1, rx2));
  EXPECT_EQ(got, 1);
  auto left = rx2.try_recv();
  ASSERT_TRUE(left) << "the loser's value was taken";
  EXPECT_EQ(*left, "two");
}

TEST_P(SyncSelectTest, ALaterReadyOperandWakesTheTaskAndTheSameTypeIsToldApartByIndex) {
  auto rt = eddy_test::make_rt(false);
  auto [tx1, rx1] = mpsc::channel<int>(4);
  auto [tx2, rx2] = mpsc::channel<int>(4);
  auto r = rt.block_on([](mpsc::Receiver<int>& a, mpsc::Receiver<int>& b, mpsc::Sender<int>& s) -> Task<std::pair<std::size_t, int>> {
    auto feeder = eddy::spawn([](mpsc::Sender<int>& out) -> Task<void> {
      for (int i = 0; i < 3; ++i) co_await eddy::yield_now();
      (void)co_await out.send(7);
    }(s));
    auto sel = co_await select(a.recv(), b.recv());
    (void)co_await feeder;
    const std::size_t i = sel.index();
    co_return std::pair<std::size_t, int>(i, i == 1 ? *std::get<1>(sel) : -1);
  }(rx1, rx2, tx2));
  EXPECT_EQ(r.first, 1u);
  EXPECT_EQ(r.second, 7);
  EXPECT_EQ(rx1.try_recv().error(), eddy::sync::SyncError::empty);
}

TEST_P(SyncSelectTest, SleepBranchWinsOverAnEmptyChannelAndTheLaterMessageIsNotLost) {
  auto rt = eddy_test::make_rt(true);
  auto [tx, rx] = mpsc::channel<int>(4);
  auto idx = rt.block_on([](mpsc::Receiver<int>& r) -> Task<std::size_t> {
    auto sel = co_await select(r.recv(), eddy::time::sleep(20ms));
    co_return sel.index();
  }(rx));
  EXPECT_EQ(idx, 1u);
  ASSERT_TRUE(tx.try_send(5));
  auto m = rx.try_recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, 5);
}

TEST_P(SyncSelectTest, AnLvalueAwaiterIsPolledInPlace) {
  auto rt = eddy_test::make_rt(false);
  eddy::sync::Notify n;
  auto [tx, rx] = mpsc::channel<int>(1);
  auto idx = rt.block_on([](eddy::sync::Notify& notify, mpsc::Receiver<int>& r) -> Task<std::size_t> {
    auto notified = notify.notified();
    auto waker = eddy::spawn([](eddy::sync::Notify& to_wake) -> Task<void> {
      co_await eddy::yield_now();
      to_wake.notify_one();
    }(notify));
    auto sel = co_await select(r.recv(), notified);
    (void)co_await waker;
    co_return sel.index();
  }(n, rx));
  EXPECT_EQ(idx, 1u);
}

TEST_P(SyncSelectTest, ALosingSemaphoreAcquireHoldsNoPermit) {
  auto rt = eddy_test::make_rt(false);
  eddy::sync::Semaphore sem(0);
  auto [tx, rx] = oneshot::channel<int>();
  auto idx = rt.block_on([](eddy::sync::Semaphore& semaphore, oneshot::Receiver<int>& r, oneshot::Sender<int>& s) -> Task<std::size_t> {
    auto sender = eddy::spawn([](oneshot::Sender<int>& out) -> Task<void> {
      co_await eddy::yield_now();
      (void)out.send(1);
    }(s));
    auto acquire = semaphore.acquire();  // an Acquire cannot be moved: passed as an lvalue
    auto sel = co_await select(acquire, r);
    (void)co_await sender;
    co_return sel.index();
  }(sem, rx, tx));
  EXPECT_EQ(idx, 1u);
  sem.add_permits(1);
  EXPECT_EQ(sem.available_permits(), 1u) << "the destroyed acquire kept a place or a permit";
}

TEST_P(SyncSelectTest, DestroyingTheSelectingTaskLosesNoMessage) {
  auto rt = eddy_test::make_rt(false);
  auto [tx, rx] = mpsc::channel<int>(4);
  eddy::sync::Notify never;
  auto h = rt.spawn([](mpsc::Receiver<int>& r, eddy::sync::Notify& n) -> Task<int> {
    auto notified = n.notified();
    auto sel = co_await select(r.recv(), notified);
    co_return sel.index() == 0 ? *std::get<0>(sel) : -1;
  }(rx, never));
  eddy_test::pump(rt, 3);
  h.abort();
  eddy_test::pump(rt, 3);
  ASSERT_TRUE(tx.try_send(9));
  auto m = rx.try_recv();
  ASSERT_TRUE(m) << "the aborted select took the message";
  EXPECT_EQ(*m, 9);
}
