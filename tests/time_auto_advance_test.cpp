// The paused clock's auto-advance under a scheduler's idle check (the multi-thread kind installs
// one: the clock may jump to the next timer only when every worker is idle), driven directly on
// a TimeHandle so that the interleaving that broke it is forced, not waited for.
#include "time/time_handle.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>

#include "support/test_waker.hpp"
#include "util/park_thread.hpp"

namespace {

using eddy::detail::ParkThread;
using eddy::detail::TimeHandle;
using eddy::detail::TimerEntry;
using namespace std::chrono_literals;

struct OtherWorker {
  TimeHandle* handle;
  TimerEntry* entry;
  eddy::Waker waker;
  int checks = 0;
};

// Bug: after its turn, the thread holding the driver read "did anything wake me" before asking
// the scheduler whether every worker was idle. A task on another worker could register a timer
// earlier than the one the turn planned to jump to (setting the wake flag) and then park in
// between those two reads: the flag read said no, the idle check said yes, and the clock jumped
// an hour past the new 10 ms timer (seen as TimeTimeoutTest.FiresAndDestroysTheInnerFrame/
// multi_thread failing under scripts/faults). The idle check here plays that other worker: it
// registers the earlier timer, then reports everyone idle.
TEST(TimeAutoAdvance, ATimerRegisteredByAWorkerThatThenParksStopsTheJump) {
  TimeHandle h(eddy::detail::signal::IoUnpark(std::make_shared<ParkThread>()), /*start_paused=*/true);
  eddy_test::TestWaker far_waker, near_waker;
  TimerEntry far, near;
  const auto start = h.now();
  ASSERT_EQ(h.register_timer(far, h.deadline_to_tick(start + 1h), far_waker.waker()), TimerEntry::kRegistered);

  OtherWorker other{&h, &near, near_waker.waker()};
  h.set_auto_advance_check(
      [](void* p) noexcept {
        auto* w = static_cast<OtherWorker*>(p);
        if (w->checks++ == 0) {
          w->handle->register_timer(*w->entry, w->handle->deadline_to_tick(w->handle->now() + 10ms), w->waker);
        }
        return true;  // the other worker has parked
      },
      &other);

  // The turn planned for the hour-long timer; the 10 ms one came after the plan.
  TimeHandle::ParkPlan plan = h.before_park(std::nullopt);
  EXPECT_GT(plan.advance, 10ms);
  h.after_park(plan, /*below_active=*/false);
  EXPECT_EQ(h.now(), start) << "the clock jumped past a timer registered before the idle check";
  EXPECT_EQ(near.state.load(), TimerEntry::kRegistered);
  EXPECT_EQ(far.state.load(), TimerEntry::kRegistered);

  // The next turn plans with the new timer and moves exactly to it.
  plan = h.before_park(std::nullopt);
  h.after_park(plan, false);
  EXPECT_EQ(h.now(), start + 10ms);
  EXPECT_EQ(near.state.load(), TimerEntry::kFired);
  EXPECT_EQ(near_waker.woken(), 1);
  EXPECT_EQ(far.state.load(), TimerEntry::kRegistered);
  EXPECT_EQ(far_waker.woken(), 0);

  h.set_auto_advance_check(nullptr, nullptr);
  h.cancel(far);
}

// The check is what stops a jump while some worker is busy: no advance, the timer stays.
TEST(TimeAutoAdvance, NoJumpWhileTheIdleCheckSaysBusy) {
  TimeHandle h(eddy::detail::signal::IoUnpark(std::make_shared<ParkThread>()), /*start_paused=*/true);
  eddy_test::TestWaker waker;
  TimerEntry e;
  const auto start = h.now();
  ASSERT_EQ(h.register_timer(e, h.deadline_to_tick(start + 5ms), waker.waker()), TimerEntry::kRegistered);
  h.set_auto_advance_check([](void*) noexcept { return false; }, nullptr);
  const TimeHandle::ParkPlan plan = h.before_park(std::nullopt);
  h.after_park(plan, false);
  EXPECT_EQ(h.now(), start);
  EXPECT_EQ(e.state.load(), TimerEntry::kRegistered);
  h.set_auto_advance_check(nullptr, nullptr);
  const TimeHandle::ParkPlan next = h.before_park(std::nullopt);
  h.after_park(next, false);
  EXPECT_EQ(h.now(), start + 5ms);
  EXPECT_EQ(e.state.load(), TimerEntry::kFired);
}

}  // namespace
