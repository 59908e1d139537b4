#include "eddy/time/interval.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "eddy/runtime.hpp"
#include "eddy/time/clock.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/time/timeout.hpp"
#include "support/rt_kinds.hpp"

using namespace std::chrono_literals;

// ASSERT_* returns, which a coroutine cannot: these record the failure and co_return.
#define CO_ASSERT_TRUE(x)          \
  do {                             \
    if (!(x)) {                    \
      ADD_FAILURE() << "false: " #x; \
      co_return;                   \
    }                              \
  } while (0)
#define CO_ASSERT_FALSE(x)         \
  do {                             \
    if (x) {                       \
      ADD_FAILURE() << "true: " #x;  \
      co_return;                   \
    }                              \
  } while (0)
using eddy::Task;
using eddy::time::Instant;
using eddy::time::MissedTickBehavior;

namespace {

eddy::Runtime paused_runtime() {
  auto rt = eddy_test::rt_builder().enable_all().start_paused(true).build();
  if (!rt) throw std::system_error(rt.error(), "build");
  return std::move(*rt);
}

// Ticks of a 10 ms interval whose task falls 25 ms behind after its second tick (advance of 35 ms
// from t0+10 means the tick due at t0+10 is observed at t0+35... see each test).
struct Observed {
  std::vector<eddy::time::Duration> scheduled;  // tick instants, from start
  std::vector<eddy::time::Duration> at;         // when each tick completed, from start
};

Observed run_with(MissedTickBehavior b) {
  auto rt = paused_runtime();
  Observed o;
  rt.block_on([](MissedTickBehavior beh, Observed& out) -> Task<void> {
    const Instant start = Instant::now();
    auto iv = eddy::time::interval(10ms);
    EXPECT_TRUE(iv);
    iv->set_missed_tick_behavior(beh);
    auto record = [&](Instant t) {
      out.scheduled.push_back(t - start);
      out.at.push_back(Instant::now() - start);
    };
    record(co_await iv->tick());  // t0: immediate
    // The task is busy for 35 ms: the tick due at 10 is observed late, at 35.
    co_await eddy::time::advance(35ms);
    for (int i = 0; i < 4; ++i) record(co_await iv->tick());
  }(b, o));
  return o;
}

using D = std::vector<eddy::time::Duration>;

}  // namespace

EDDY_RT_SUITE(TimeIntervalTest);

TEST_P(TimeIntervalTest, RejectsANonPositivePeriod) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    auto a = eddy::time::interval(0ms);
    CO_ASSERT_FALSE(a);
    EXPECT_EQ(a.error(), std::errc::invalid_argument);
    EXPECT_FALSE(eddy::time::interval(-1ms));
    co_return;
  }());
}

TEST_P(TimeIntervalTest, TicksOnScheduleStartingNow) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    auto iv = eddy::time::interval(7ms);
    for (int i = 0; i < 50; ++i) {
      const Instant t = co_await iv->tick();
      EXPECT_EQ(t, start + i * 7ms);
      EXPECT_EQ(Instant::now(), start + i * 7ms);
    }
  }());
}

TEST_P(TimeIntervalTest, IntervalAtStartsLater) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    auto iv = eddy::time::interval_at(start + 100ms, 1s);
    EXPECT_EQ(co_await iv->tick(), start + 100ms);
    EXPECT_EQ(co_await iv->tick(), start + 1100ms);
    EXPECT_EQ(Instant::now(), start + 1100ms);
  }());
}

TEST_P(TimeIntervalTest, BurstCatchesUpWithoutShiftingTheSchedule) {
  auto o = run_with(MissedTickBehavior::Burst);
  EXPECT_EQ(o.scheduled, (D{0ms, 10ms, 20ms, 30ms, 40ms}));
  EXPECT_EQ(o.at, (D{0ms, 35ms, 35ms, 35ms, 40ms}));
}

TEST_P(TimeIntervalTest, DelayShiftsTheScheduleByTheLateness) {
  auto o = run_with(MissedTickBehavior::Delay);
  EXPECT_EQ(o.scheduled, (D{0ms, 10ms, 45ms, 55ms, 65ms}));
  EXPECT_EQ(o.at, (D{0ms, 35ms, 45ms, 55ms, 65ms}));
}

TEST_P(TimeIntervalTest, SkipDropsMissedTicksAndKeepsTheGrid) {
  auto o = run_with(MissedTickBehavior::Skip);
  EXPECT_EQ(o.scheduled, (D{0ms, 10ms, 40ms, 50ms, 60ms}));
  EXPECT_EQ(o.at, (D{0ms, 35ms, 40ms, 50ms, 60ms}));
}

TEST_P(TimeIntervalTest, CancelledTickConsumesNothing) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    auto iv = eddy::time::interval(10ms);
    (void)co_await iv->tick();
    // A tick abandoned by a timeout: the interval still owes the tick at 10 ms.
    auto r = co_await eddy::time::timeout(3ms, [](eddy::time::Interval& i) -> Task<Instant> {
      co_return co_await i.tick();
    }(*iv));
    EXPECT_FALSE(r);
    EXPECT_EQ(co_await iv->tick(), start + 10ms);
    iv->reset();
    EXPECT_EQ(co_await iv->tick(), start + 20ms);
  }());
}
