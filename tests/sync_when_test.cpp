#include "eddy/sync/when.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

#include "eddy/sync/mpsc.hpp"
#include "eddy/sync/mutex.hpp"
#include "eddy/sync/notify.hpp"
#include "eddy/time.hpp"
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

// when_all / when_any: values in order, void tasks, the first to finish wins, losers' frames
// destroyed before when_any returns (and what they held released), composing with timeout,
// exceptions.

namespace {

using eddy::Task;
using eddy::sync::Notify;
using eddy::sync::when_all;
using eddy::sync::when_any;

Task<int> after_yields(int v, int yields) {
  for (int i = 0; i < yields; ++i) co_await eddy::yield_now();
  co_return v;
}

Task<int> wait_forever(std::atomic<int>& live, Notify& n) {
  eddy_test::Counted c(live);
  co_await n.notified();
  co_return -1;
}

}  // namespace

EDDY_RT_SUITE(SyncWhenTest);

TEST_P(SyncWhenTest, AllReturnsValuesInArgumentOrder) {
  auto rt = eddy_test::make_rt(false);
  auto t = rt.block_on([]() -> Task<std::tuple<int, std::monostate, std::string>> {
    co_return co_await when_all(after_yields(1, 5), []() -> Task<void> { co_await eddy::yield_now(); }(),
                                []() -> Task<std::string> { co_return "x"; }());
  }());
  EXPECT_EQ(std::get<0>(t), 1);
  EXPECT_EQ(std::get<2>(t), "x");
}

TEST_P(SyncWhenTest, AllOfVector) {
  auto rt = eddy_test::make_rt(false);
  auto v = rt.block_on([]() -> Task<std::vector<int>> {
    std::vector<Task<int>> ts;
    for (int i = 0; i < 5; ++i) ts.push_back(after_yields(i, 5 - i));
    co_return co_await when_all(std::move(ts));
  }());
  EXPECT_EQ(v, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_P(SyncWhenTest, AllRunsChildrenConcurrently) {
  // a waits for b's notification: only works if both run at the same time.
  auto rt = eddy_test::make_rt(false);
  Notify n;
  auto t = rt.block_on([](Notify& nn) -> Task<std::tuple<int, int>> {
    co_return co_await when_all([](Notify& x) -> Task<int> {
      co_await x.notified();
      co_return 1;
    }(nn),
                                [](Notify& x) -> Task<int> {
                                  co_await eddy::yield_now();
                                  x.notify_one();
                                  co_return 2;
                                }(nn));
  }(n));
  EXPECT_EQ(t, std::make_tuple(1, 2));
}

TEST_P(SyncWhenTest, AnyFirstWinsAndLosersAreDestroyedBeforeReturn) {
  auto rt = eddy_test::make_rt(false);
  std::atomic<int> live{0};
  Notify never;
  rt.block_on([](std::atomic<int>& l, Notify& n) -> Task<void> {
    auto r = co_await when_any(wait_forever(l, n), after_yields(7, 2), wait_forever(l, n));
    EXPECT_EQ(r.index, 1u);
    EXPECT_EQ(r.value, 7);
    EXPECT_EQ(l.load(), 0);  // both losers' frames are gone already
  }(live, never));
}

TEST_P(SyncWhenTest, AnyReleasesWhatLosersHeld) {
  auto rt = eddy_test::make_rt(false);
  eddy::sync::Mutex<int> m;
  rt.block_on([](eddy::sync::Mutex<int>& mm) -> Task<void> {
    auto r = co_await when_any(
        [](eddy::sync::Mutex<int>& x) -> Task<int> {
          auto g = co_await x.lock();  // holds the lock...
          for (;;) co_await eddy::yield_now();  // ...forever
          co_return 0;
        }(mm),
        after_yields(3, 3));
    EXPECT_EQ(r.index, 1u);
    EXPECT_TRUE(mm.try_lock());  // the loser's guard was destroyed
  }(m));
}

TEST_P(SyncWhenTest, AnyLoserWaitingOnChannelLosesNoMessage) {
  auto rt = eddy_test::make_rt(false);
  auto [tx, rx] = eddy::sync::mpsc::channel<int>(4);
  rt.block_on([](eddy::sync::mpsc::Sender<int>& t, eddy::sync::mpsc::Receiver<int>& r) -> Task<void> {
    auto res = co_await when_any(
        [](eddy::sync::mpsc::Receiver<int>& x) -> Task<int> {
          auto v = co_await x.recv();
          co_return v ? *v : -1;
        }(r),
        after_yields(-2, 1));
    EXPECT_EQ(res.index, 1u);
    EXPECT_TRUE(t.try_send(9));
    auto v = co_await r.recv();
    EXPECT_TRUE(v);
    if (v) {
      EXPECT_EQ(*v, 9);
    }
  }(tx, rx));
}

TEST_P(SyncWhenTest, AnyComposesWithTimeout) {
  auto rt = eddy_test::rt_builder().enable_all().start_paused(true).build();
  ASSERT_TRUE(rt);
  std::atomic<int> live{0};
  Notify never;
  rt->block_on([](std::atomic<int>& l, Notify& n) -> Task<void> {
    auto r = co_await eddy::time::timeout(std::chrono::milliseconds(10), when_any(wait_forever(l, n), wait_forever(l, n)));
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error(), eddy::Error::timed_out);
    EXPECT_EQ(l.load(), 0);
  }(live, never));
}

TEST_P(SyncWhenTest, AllRethrowsChildException) {
  auto rt = eddy_test::make_rt(false);
  EXPECT_THROW(rt.block_on([]() -> Task<void> {
    (void)co_await when_all(after_yields(1, 1), []() -> Task<int> {
      co_await eddy::yield_now();
      throw std::runtime_error("child");
    }());
  }()),
               std::runtime_error);
}
