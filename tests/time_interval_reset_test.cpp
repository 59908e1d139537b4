// Interval::reset, reset_immediately, reset_after and reset_at, under the paused clock (which
// auto-advances to the next timer, so every instant below is exact).
#include "eddy/time/interval.hpp"

#include <gtest/gtest.h>

#include <utility>

#include "eddy/runtime.hpp"
#include "eddy/time/clock.hpp"
#include "eddy/time/sleep.hpp"
#include "support/rt_kinds.hpp"

using namespace std::chrono_literals;
using eddy::Task;
using eddy::time::Instant;

namespace {

void run_paused(Task<void> t) {
  auto rt = eddy_test::rt_builder().enable_all().start_paused(true).build();
  ASSERT_TRUE(rt);
  rt->block_on(std::move(t));
}

}  // namespace

EDDY_RT_SUITE(TimeIntervalResetTest);

TEST_P(TimeIntervalResetTest, ResetMovesTheNextTickOnePeriodFromNow) {
  run_paused([]() -> Task<void> {
    const Instant start = Instant::now();
    auto iv = eddy::time::interval(10ms);
    EXPECT_EQ(co_await iv->tick(), start);
    co_await eddy::time::sleep(4ms);
    iv->reset();
    EXPECT_EQ(co_await iv->tick(), start + 14ms);
    EXPECT_EQ(co_await iv->tick(), start + 24ms);  // the schedule follows the reset
  }());
}

TEST_P(TimeIntervalResetTest, ResetImmediatelyTicksNowThenFollowsFromThere) {
  run_paused([]() -> Task<void> {
    const Instant start = Instant::now();
    auto iv = eddy::time::interval(10ms);
    (void)co_await iv->tick();
    co_await eddy::time::sleep(3ms);
    iv->reset_immediately();
    EXPECT_EQ(co_await iv->tick(), start + 3ms);
    EXPECT_EQ(Instant::now(), start + 3ms);  // did not wait
    EXPECT_EQ(co_await iv->tick(), start + 13ms);
  }());
}

TEST_P(TimeIntervalResetTest, ResetAfterUsesTheGivenDelayNotThePeriod) {
  run_paused([]() -> Task<void> {
    const Instant start = Instant::now();
    auto iv = eddy::time::interval(10ms);
    (void)co_await iv->tick();
    iv->reset_after(25ms);
    EXPECT_EQ(co_await iv->tick(), start + 25ms);
    EXPECT_EQ(co_await iv->tick(), start + 35ms);
    // Zero and negative delays mean now.
    iv->reset_after(0ms);
    EXPECT_EQ(co_await iv->tick(), start + 35ms);
    iv->reset_after(-5ms);
    EXPECT_EQ(co_await iv->tick(), start + 35ms);
    EXPECT_EQ(Instant::now(), start + 35ms);
  }());
}

TEST_P(TimeIntervalResetTest, ResetAtMovesTheScheduleToAnInstant) {
  run_paused([]() -> Task<void> {
    const Instant start = Instant::now();
    auto iv = eddy::time::interval(10ms);
    (void)co_await iv->tick();
    iv->reset_at(start + 7ms);
    EXPECT_EQ(co_await iv->tick(), start + 7ms);
    EXPECT_EQ(co_await iv->tick(), start + 17ms);
  }());
}

TEST_P(TimeIntervalResetTest, ResetAtAPastInstantTicksAtOnceAsALateTick) {
  run_paused([]() -> Task<void> {
    const Instant start = Instant::now();
    auto iv = eddy::time::interval(10ms);
    iv->set_missed_tick_behavior(eddy::time::MissedTickBehavior::Delay);
    (void)co_await iv->tick();
    co_await eddy::time::sleep(30ms);
    iv->reset_at(start);  // 30 ms in the past
    EXPECT_EQ(co_await iv->tick(), start);
    EXPECT_EQ(Instant::now(), start + 30ms);
    // Delay: one period after the late tick was observed.
    EXPECT_EQ(co_await iv->tick(), start + 40ms);
  }());
}

TEST_P(TimeIntervalResetTest, ResetWhileATickIsPendingMovesThatWait) {
  run_paused([]() -> Task<void> {
    const Instant start = Instant::now();
    auto iv = eddy::time::interval(100ms);
    (void)co_await iv->tick();
    auto& ivr = *iv;
    // Another task resets the interval while this one waits in tick().
    auto h = eddy::spawn([](eddy::time::Interval* i) -> Task<void> {
      co_await eddy::time::sleep(5ms);
      i->reset_after(10ms);
    }(&ivr));
    EXPECT_EQ(co_await ivr.tick(), start + 15ms);
    EXPECT_EQ(Instant::now(), start + 15ms);
    (void)co_await h;
  }());
}

// Durations in hours (or any unit whose maximum overflows nanoseconds) saturate, as sleep's do:
// a period or delay of hours::max() is "never", not a negative count that fires at once.
TEST_P(TimeIntervalResetTest, HoursMaxPeriodAndDelaySaturateInsteadOfFiringAtOnce) {
  run_paused([]() -> Task<void> {
    const Instant start = Instant::now();
    auto iv = eddy::time::interval(std::chrono::hours::max());
    if (!iv) {  // a positive period, not the negative one an overflow made
      ADD_FAILURE() << iv.error().message();
      co_return;
    }
    EXPECT_EQ(iv->period(), eddy::time::Duration::max());
    EXPECT_EQ(co_await iv->tick(), start);  // the first tick is at once
    iv->reset_after(std::chrono::hours::max());
    // The next tick is at the end of time: a 1 h sleep finishes first.
    auto h = eddy::spawn([](eddy::time::Interval* i) -> Task<void> { (void)co_await i->tick(); }(&*iv));
    co_await eddy::time::sleep(1h);
    EXPECT_FALSE(h.is_finished());
    h.abort();
    (void)co_await h;
    EXPECT_EQ(Instant::now(), start + 1h);
  }());
}
