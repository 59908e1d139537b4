#include "eddy/time/sleep.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/error.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/clock.hpp"
#include "eddy/time/instant.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

using namespace std::chrono_literals;
using eddy::Task;
using eddy::time::Duration;
using eddy::time::Instant;

namespace {

eddy::Runtime paused_runtime() {
  auto rt = eddy_test::rt_builder().enable_all().start_paused(true).build();
  if (!rt) throw std::system_error(rt.error(), "build");
  return std::move(*rt);
}

// The instant a deadline fires at on a paused clock: rounded up to the 1 ms tick of the clock
// (ticks count from the runtime's start, which is the paused clock's initial now()).
Instant rounded(Instant start, Instant deadline) {
  const auto ns = (deadline - start).count();
  const auto ms = (ns + 999'999) / 1'000'000;
  return start + std::chrono::milliseconds(ms);
}

}  // namespace

EDDY_RT_SUITE(TimeSleepTest);

TEST_P(TimeSleepTest, BuilderRejectsStartPausedWithoutTime) {
  auto rt = eddy_test::rt_builder().enable_io().start_paused(true).build();
  ASSERT_FALSE(rt);
  EXPECT_EQ(rt.error(), std::errc::invalid_argument);
}

TEST_P(TimeSleepTest, InstantArithmetic) {
  const Instant a = Instant::now();
  const Instant b = a + 5ms;
  EXPECT_EQ(b - a, Duration(5ms));
  EXPECT_EQ(b.duration_since(a), Duration(5ms));
  EXPECT_EQ(a.duration_since(b), Duration::zero());
  EXPECT_LT(a, b);
  EXPECT_EQ(b - 5ms, a);
  // Saturates instead of overflowing.
  EXPECT_EQ(a + Duration::max(), Instant::far_future());
  EXPECT_GE(Instant::now(), a);
}

TEST_P(TimeSleepTest, PausedSleepEndsExactlyAtTheRoundedDeadline) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    co_await eddy::time::sleep(1500us);
    EXPECT_EQ(Instant::now(), start + 2ms);
    co_await eddy::time::sleep(10ms);
    EXPECT_EQ(Instant::now(), start + 12ms);
    co_await eddy::time::sleep_until(start + 100ms);
    EXPECT_EQ(Instant::now(), start + 100ms);
    EXPECT_TRUE(eddy::time::is_paused());
  }());
}

TEST_P(TimeSleepTest, ZeroAndPastDeadlinesCompleteAtOnce) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    co_await eddy::time::sleep(0ms);
    co_await eddy::time::sleep(-5ms);
    co_await eddy::time::sleep_until(start - 1s);
    EXPECT_EQ(Instant::now(), start);
    EXPECT_EQ(eddy::time::registered_timers(), 0u);
  }());
}

TEST_P(TimeSleepTest, RealClockSleepNeverEndsEarly) {
  auto rt = eddy_test::rt_builder().enable_all().build();
  ASSERT_TRUE(rt);
  rt->block_on([]() -> Task<void> {
    for (int i = 0; i < 5; ++i) {
      const auto before = std::chrono::steady_clock::now();
      const Instant start = Instant::now();
      co_await eddy::time::sleep(3ms);
      EXPECT_GE(Instant::now() - start, Duration(3ms));
      EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::nanoseconds(3ms));
    }
  }());
}

TEST_P(TimeSleepTest, TimeWithoutIoUsesTheThreadParker) {
  auto rt = eddy_test::rt_builder().enable_time().build();
  ASSERT_TRUE(rt);
  rt->block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    co_await eddy::time::sleep(2ms);
    EXPECT_GE(Instant::now() - start, Duration(2ms));
  }());
}

TEST_P(TimeSleepTest, SleepsWakeInDeadlineOrder) {
  EDDY_CURRENT_THREAD_ONLY("asserts the run order of tasks woken by one timer turn; workers run them in parallel");
  auto rt = paused_runtime();
  std::vector<int> order;
  rt.block_on([](std::vector<int>& out) -> Task<void> {
    const int delays[] = {50, 10, 30, 20, 40, 10, 1};
    std::vector<eddy::JoinHandle<void>> hs;
    for (int i = 0; i < 7; ++i) {
      hs.push_back(eddy::spawn([](int id, int ms, std::vector<int>& o) -> Task<void> {
        co_await eddy::time::sleep(std::chrono::milliseconds(ms));
        o.push_back(id);
      }(i, delays[i], out)));
    }
    for (auto& h : hs) (void)co_await h;
  }(order));
  // Equal deadlines keep registration order.
  EXPECT_EQ(order, (std::vector<int>{6, 1, 5, 3, 2, 4, 0}));
}

TEST_P(TimeSleepTest, ThousandsOfTimersFireInDeadlineOrderAtTheirDeadline) {
  auto rt = paused_runtime();
  struct Fired {
    Instant deadline;
    Instant at;
  };
  std::vector<Fired> fired;
  std::mutex fired_mu;
  rt.block_on([](std::vector<Fired>& out, std::mutex& mu) -> Task<void> {
    std::mt19937 rng(7);
    const Instant start = Instant::now();
    std::vector<eddy::JoinHandle<void>> hs;
    for (int i = 0; i < 5000; ++i) {
      // Spread over every level of the wheel: microseconds to days.
      const auto exp = rng() % 6;
      const std::int64_t scale[] = {1'000, 100'000, 10'000'000, 1'000'000'000, 100'000'000'000, 10'000'000'000'000};
      const Instant deadline = start + Duration(static_cast<std::int64_t>(rng() % 1000) * scale[exp] / 1000 + 1);
      hs.push_back(eddy::spawn([](Instant d, std::vector<Fired>& o, std::mutex& m) -> Task<void> {
        co_await eddy::time::sleep_until(d);
        std::lock_guard<std::mutex> lock(m);  // tasks run in parallel on the multi-thread kind
        o.push_back({d, Instant::now()});
      }(deadline, out, mu)));
    }
    for (auto& h : hs) (void)co_await h;
    for (auto& f : out) EXPECT_EQ(f.at, rounded(start, f.deadline));
  }(fired, fired_mu));
  ASSERT_EQ(fired.size(), 5000u);
  for (std::size_t i = 1; i < fired.size(); ++i) {
    ASSERT_LE(fired[i - 1].at, fired[i].at) << i;
  }
}

TEST_P(TimeSleepTest, FarBeyondTheWheelsSpan) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    // The wheel spans 2^36 ms (about 2.2 years); 5 years needs the top level as a ring.
    const auto five_years = std::chrono::hours(24 * 365 * 5);
    co_await eddy::time::sleep(five_years + 1ms);
    EXPECT_EQ(Instant::now(), start + five_years + 1ms);
    // And "forever" does not overflow anything: it is simply never reached in this test.
    auto never = eddy::time::sleep(Duration::max());
    EXPECT_EQ(never.deadline(), Instant::far_future());
  }());
}

// sleep(hours::max()) took nanoseconds, and hours::max() converted to nanoseconds overflows to
// a negative count: the sleep ended at once. Every duration entry point saturates now.
TEST_P(TimeSleepTest, SleepOfHoursMaxIsForeverNotAnOverflowThatEndsAtOnce) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    auto forever = eddy::time::sleep(std::chrono::hours::max());
    EXPECT_EQ(forever.deadline(), Instant::far_future());
    EXPECT_EQ(eddy::time::sleep(std::chrono::duration<double>(1e300)).deadline(), Instant::far_future());
    EXPECT_EQ(start + std::chrono::hours::max(), Instant::far_future());
    EXPECT_EQ(start + std::chrono::years::max(), Instant::far_future());
    // The other end saturates too: minus "forever" is the far past, not a wrap to the future.
    EXPECT_LT(start - std::chrono::hours::max(), start);
    EXPECT_LT(start + std::chrono::hours::min(), start);
    // Polled next to a short sleep, the long one is still pending when the short one ends.
    auto h = eddy::spawn([](eddy::time::Sleep* s) -> Task<void> { co_await *s; }(&forever));
    co_await eddy::time::sleep(std::chrono::hours(1));
    EXPECT_EQ(Instant::now(), start + std::chrono::hours(1));
    EXPECT_FALSE(h.is_finished());
    h.abort();
    (void)co_await h;
    // A zero and a negative duration still mean "now".
    co_await eddy::time::sleep(std::chrono::seconds(-5));
    co_await eddy::time::sleep(std::chrono::hours::min());
    EXPECT_EQ(Instant::now(), start + std::chrono::hours(1));
  }());
}

TEST_P(TimeSleepTest, AbortingASleepingTaskUnlinksItsTimer) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    auto h = eddy::spawn([]() -> Task<void> { co_await eddy::time::sleep(1h); }());
    co_await eddy::yield_now();
    EXPECT_EQ(eddy::time::registered_timers(), 1u);
    h.abort();
    auto r = co_await h;
    EXPECT_EQ(r.error(), eddy::Error::cancelled);
    EXPECT_EQ(eddy::time::registered_timers(), 0u);
    // The only timer left is this one: the paused clock jumps straight to it, not to 1h.
    co_await eddy::time::sleep(5ms);
    EXPECT_EQ(Instant::now(), start + 5ms);
  }());
}

TEST_P(TimeSleepTest, DestroyingAnUnspawnedFrameUnlinksItsTimer) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    {
      auto s = eddy::time::sleep(1h);
      eddy_test::TestWaker w;
      EXPECT_FALSE(s.poll(w.waker()));
      EXPECT_EQ(eddy::time::registered_timers(), 1u);
      EXPECT_EQ(w.outstanding(), 1);
    }
    EXPECT_EQ(eddy::time::registered_timers(), 0u);
    co_return;
  }());
}

TEST_P(TimeSleepTest, MovingARegisteredSleepMovesItsTimer) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    auto a = eddy::time::sleep(7ms);
    eddy_test::TestWaker w;
    EXPECT_FALSE(a.poll(w.waker()));
    eddy::time::Sleep b(std::move(a));
    EXPECT_EQ(eddy::time::registered_timers(), 1u);
    co_await b;
    EXPECT_EQ(Instant::now(), start + 7ms);
    EXPECT_EQ(eddy::time::registered_timers(), 0u);
  }());
}

TEST_P(TimeSleepTest, ResetChangesTheDeadline) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    auto s = eddy::time::sleep(1h);
    eddy_test::TestWaker w;
    EXPECT_FALSE(s.poll(w.waker()));
    s.reset(start + 3ms);
    EXPECT_EQ(eddy::time::registered_timers(), 0u);
    co_await s;
    EXPECT_EQ(Instant::now(), start + 3ms);
    EXPECT_TRUE(s.is_elapsed());
    // A completed sleep can be reset and awaited again.
    s.reset(start + 4ms);
    co_await s;
    EXPECT_EQ(Instant::now(), start + 4ms);
  }());
}

TEST_P(TimeSleepTest, PauseAdvanceResume) {
  EDDY_CURRENT_THREAD_ONLY("asserts a spawned task ran (or not) by the time the spawner's yield returns");
  auto rt = eddy_test::rt_builder().enable_all().build();
  ASSERT_TRUE(rt);
  rt->block_on([]() -> Task<void> {
    EXPECT_FALSE(eddy::time::is_paused());
    eddy::time::pause();
    const Instant t0 = Instant::now();
    EXPECT_EQ(Instant::now(), t0);
    co_await eddy::time::advance(1h);
    EXPECT_EQ(Instant::now(), t0 + 1h);
    // A sleep registered before an advance fires because of it.
    auto h = eddy::spawn([]() -> Task<void> { co_await eddy::time::sleep(10min); }());
    co_await eddy::yield_now();
    EXPECT_FALSE(h.is_finished());
    co_await eddy::time::advance(10min);
    co_await eddy::yield_now();
    EXPECT_TRUE(h.is_finished());
    eddy::time::resume();
    const Instant t1 = Instant::now();
    EXPECT_GE(t1, t0 + 70min);
    co_await eddy::time::sleep(1ms);
    EXPECT_GT(Instant::now(), t1);
  }());
}

TEST_P(TimeSleepTest, HoursOfTimersOnAPausedClock) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    for (int i = 0; i < 24 * 60; ++i) co_await eddy::time::sleep(1min);
    EXPECT_EQ(Instant::now(), start + 24h);
  }());
}

// A timer registered from another thread while the runtime is blocked in the driver with no
// deadline must unpark it (tokio#3190: a new, earlier timer did not interrupt epoll_wait). The
// clock is paused, so once unparked the driver jumps to the timer at once; without the unpark the
// runtime would sleep until the watchdog wakes it and the test fails.
TEST_P(TimeSleepTest, Tokio3190TimerFromAnotherThreadUnparksTheDriver) {
  auto rt = paused_runtime();
  auto handle = rt.handle();

  struct Shared {
    std::mutex m;
    eddy::Waker task;  // the main task's waker
    bool timer_fired = false;
    bool watchdog = false;
  } shared;

  // Waits until the other thread's timer (or the watchdog) fired.
  struct WaitFired : eddy::detail::PollAwaiter<WaitFired, bool> {
    Shared* s;
    explicit WaitFired(Shared* sh) : s(sh) {}
    eddy::Poll<bool> poll(const eddy::Waker& w) {
      std::lock_guard<std::mutex> lock(s->m);
      if (s->timer_fired || s->watchdog) return true;
      s->task = w;
      return eddy::Pending;
    }
  };

  Instant start;
  std::atomic<bool> started{false};
  std::mutex done_m;
  std::condition_variable done_cv;
  bool done = false;
  eddy_test::TestWaker sleep_waker;
  sleep_waker.on_wake([&] {
    eddy::Waker t;
    {
      std::lock_guard<std::mutex> lock(shared.m);
      shared.timer_fired = true;
      t = std::move(shared.task);
    }
    t.wake();
  });

  std::thread timer_thread([&] {
    while (!started.load()) std::this_thread::yield();
    // Not a timing assumption: registering before the runtime blocks is fine too; waiting a
    // little just makes it likely that the runtime is blocked in epoll_wait when we register.
    std::this_thread::sleep_for(20ms);
    eddy::time::Sleep s(handle, start + 1h);
    EXPECT_FALSE(s.poll(sleep_waker.waker()));
    EXPECT_TRUE(sleep_waker.wait_woken_past(0, 30s));
    auto r = s.poll(sleep_waker.waker());
    ASSERT_TRUE(r);
    EXPECT_TRUE(*r);
  });
  // Fails the test (instead of hanging it) if the driver is never unparked.
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(done_m);
    if (done_cv.wait_for(lock, 20s, [&] { return done; })) return;
    eddy::Waker t;
    {
      std::lock_guard<std::mutex> l2(shared.m);
      shared.watchdog = true;
      t = std::move(shared.task);
    }
    t.wake();
  });

  rt.block_on([](Shared& s, Instant& st, std::atomic<bool>& go) -> Task<void> {
    st = Instant::now();
    go.store(true);
    co_await WaitFired(&s);
    // The paused clock jumped exactly to the other thread's timer.
    if (s.timer_fired) {
      EXPECT_EQ(Instant::now(), st + 1h);
    }
  }(shared, start, started));
  {
    std::lock_guard<std::mutex> lock(done_m);
    done = true;
  }
  done_cv.notify_all();
  timer_thread.join();
  watchdog.join();
  EXPECT_TRUE(shared.timer_fired);
  EXPECT_FALSE(shared.watchdog);
}

// Shutdown with a timer registered from outside the runtime's tasks: it fires with the shutdown
// state, so a poller elsewhere never hangs.
TEST_P(TimeSleepTest, ShutdownFiresPendingTimersWithShutdown) {
  EDDY_CURRENT_THREAD_ONLY("asserts the paused clock stands still between block_on calls; idle workers auto-advance it");
  auto rt = paused_runtime();
  eddy_test::TestWaker w;
  std::optional<eddy::time::Sleep> s;
  rt.block_on([](eddy::RuntimeHandle h, std::optional<eddy::time::Sleep>& out) -> Task<void> {
    out.emplace(h, Instant::now() + 1h);
    co_return;
  }(rt.handle(), s));
  EXPECT_FALSE(s->poll(w.waker()));
  // A task sleeping at shutdown is destroyed (its timer unlinked) and reports cancelled.
  auto h = rt.spawn([]() -> Task<void> { co_await eddy::time::sleep(2h); }());
  rt.shutdown();
  EXPECT_EQ(w.woken(), 1);
  auto r = s->poll(w.waker());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error(), eddy::Error::shutdown);
  EXPECT_TRUE(h.is_finished());
  // Registering after shutdown fails at once as well.
  eddy::time::Sleep late(rt.handle(), Instant::now() + 1h);
  auto r2 = late.poll(w.waker());
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->error(), eddy::Error::shutdown);
}

// Timers registered from several threads while the runtime runs its own: all fire, none is lost
// or fired twice (bounded; the clock is real, deadlines are a few ms).
TEST_P(TimeSleepTest, StressCrossThreadRegistrationAndCancel) {
  auto rt = eddy_test::rt_builder().enable_all().build();
  ASSERT_TRUE(rt);
  auto handle = rt->handle();
  std::atomic<bool> stop{false};
  std::atomic<int> fired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < 100; ++i) {
        eddy_test::TestWaker w;
        eddy::time::Sleep s(handle, Instant::now() + std::chrono::microseconds(rng() % 3000));
        if (s.poll(w.waker())) {
          fired.fetch_add(1);
          continue;
        }
        if (rng() % 3 == 0) continue;  // cancel by destruction
        ASSERT_TRUE(w.wait_woken_past(0, 30s));
        auto r = s.poll(w.waker());
        ASSERT_TRUE(r);
        fired.fetch_add(1);
      }
    });
  }
  std::thread stopper([&] {
    for (auto& th : threads) th.join();
    stop.store(true);
    handle.spawn([]() -> Task<void> { co_return; }()).detach();
  });
  rt->block_on([](std::atomic<bool>& st) -> Task<void> {
    int n = 0;
    while (!st.load()) {
      co_await eddy::time::sleep(std::chrono::microseconds(500 + (n++ % 7) * 100));
    }
  }(stop));
  stopper.join();
  EXPECT_GT(fired.load(), 0);
}
