#include "eddy/runtime.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "eddy/async_fd.hpp"
#include "eddy/coop.hpp"
#include "eddy/detail/context.hpp"
#include "support/fds.hpp"
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

// The current-thread runtime: block_on, spawn, yield_now, shutdown, fairness between tasks and
// the I/O driver, and the loud failures for misuse (ports of tokio's rt_common.rs and friends).

namespace {

using eddy::Error;
using eddy::Interest;
using eddy::Result;
using eddy::Task;
using eddy_test::Counted;
using eddy_test::make_rt;
using eddy_test::Notify;
using eddy_test::OnDrop;

Task<int> value(int v) { co_return v; }

// Waits on `n` forever (until its frame is destroyed), holding a Counted.
Task<void> wait_forever(std::atomic<int>& live, Notify& n) {
  Counted c(live);
  for (;;) (void)co_await n.wait();
}

}  // namespace

EDDY_RT_SUITE(RuntimeTest);

TEST_P(RuntimeTest, BlockOnValue) {
  auto rt = make_rt();
  EXPECT_EQ(rt.block_on(value(5)), 5);
}

TEST_P(RuntimeTest, BlockOnVoid) {
  auto rt = make_rt();
  int x = 0;
  rt.block_on([](int& v) -> Task<void> {
    v = 1;
    co_await eddy::yield_now();
    v = 2;
  }(x));
  EXPECT_EQ(x, 2);
}

TEST_P(RuntimeTest, BlockOnExceptionThenRuntimeKeepsWorking) {
  auto rt = make_rt();
  EXPECT_THROW(rt.block_on([]() -> Task<int> {
    co_await eddy::yield_now();
    throw std::runtime_error("main failed");
  }()),
               std::runtime_error);
  // The same runtime runs a second block_on, including spawned tasks.
  EXPECT_EQ(rt.block_on([]() -> Task<int> {
    auto h = eddy::spawn(value(9));
    auto r = co_await h;
    co_return r ? *r : -1;
  }()),
            9);
}

TEST_P(RuntimeTest, SpawnAndJoinValue) {
  auto rt = make_rt();
  EXPECT_EQ(rt.block_on([]() -> Task<int> {
    std::vector<eddy::JoinHandle<int>> hs;
    for (int i = 0; i < 10; ++i) hs.push_back(eddy::spawn(value(i)));
    int sum = 0;
    for (auto& h : hs) {
      auto r = co_await h;
      if (!r) co_return -1;
      sum += *r;
    }
    co_return sum;
  }()),
            45);
}

TEST_P(RuntimeTest, RuntimeSpawnRunsDuringBlockOn) {
  auto rt = make_rt();
  auto h = rt.spawn(value(3));
  if (eddy_test::current_runtime_kind() == eddy_test::RuntimeKind::current_thread) {
    // Only here is it certain: a multi-thread worker may run the task before this line.
    EXPECT_FALSE(h.is_finished()) << "spawn only queues";
  }
  auto r = rt.block_on([](eddy::JoinHandle<int>& jh) -> Task<Result<int>> { co_return co_await jh; }(h));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 3);
  EXPECT_TRUE(h.is_finished());
}

TEST_P(RuntimeTest, TasksLeftByOneBlockOnRunInTheNext) {
  EDDY_CURRENT_THREAD_ONLY("asserts tasks run only inside block_on; workers run them at once");
  auto rt = make_rt();
  Notify n;
  std::atomic<int> stage{0};
  rt.block_on([](Notify& nn, std::atomic<int>& st) -> Task<void> {
    eddy::spawn([](Notify& n2, std::atomic<int>& s) -> Task<void> {
      s = 1;
      (void)co_await n2.wait();
      s = 2;
    }(nn, st))
        .detach();
    co_await eddy::yield_now();
  }(n, stage));
  EXPECT_EQ(stage.load(), 1);
  n.notify();  // queued from outside block_on: runs in the next one
  EXPECT_EQ(stage.load(), 1);
  eddy_test::pump(rt);
  EXPECT_EQ(stage.load(), 2);
}

TEST_P(RuntimeTest, SpawnFromAnotherThread) {
  auto rt = make_rt();
  Notify done;
  std::atomic<int> result{0};
  auto handle = rt.handle();
  std::thread t([&] {
    auto jh = handle.spawn([](std::atomic<int>& r, Notify& d) -> Task<int> {
      r = 11;
      d.notify();
      co_return 11;
    }(result, done));
    jh.detach();
  });
  rt.block_on([](Notify& d) -> Task<void> { (void)co_await d.wait(); }(done));
  t.join();
  EXPECT_EQ(result.load(), 11);
}

TEST_P(RuntimeTest, WakeFromAnotherThreadUnparksTheDriver) {
  for (bool io : {true, false}) {
    auto rt = make_rt(io);
    Notify n;
    std::thread t([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // usually after the park
      n.notify();
    });
    rt.block_on([](Notify& nn) -> Task<void> { (void)co_await nn.wait(); }(n));
    t.join();
  }
}

TEST_P(RuntimeTest, YieldNowLetsOtherTasksRun) {
  EDDY_CURRENT_THREAD_ONLY("asserts a strict interleaving of two tasks on one thread");
  auto rt = make_rt();
  auto order = rt.block_on([]() -> Task<std::vector<int>> {
    std::vector<int> v;
    auto h = eddy::spawn([](std::vector<int>& out) -> Task<void> {
      for (int i = 0; i < 3; ++i) {
        out.push_back(1);
        co_await eddy::yield_now();
      }
    }(v));
    for (int i = 0; i < 3; ++i) {
      v.push_back(0);
      co_await eddy::yield_now();
    }
    (void)co_await h;
    co_return v;
  }());
  EXPECT_EQ(order, (std::vector<int>{0, 1, 0, 1, 0, 1}));
}

// tokio rt_common::yield_defers_until_park: a yielded task resumes only after the driver has
// been polled, so I/O that became ready meanwhile is dispatched (and its task run) first.
TEST_P(RuntimeTest, YieldDefersUntilPark) {
  EDDY_CURRENT_THREAD_ONLY("asserts the woken reader ran on the same thread before the yielder resumed");
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  bool ok = rt.block_on([](int rfd, int wfd) -> Task<bool> {
    auto fd = eddy::AsyncFd<int>::create(std::move(rfd), Interest::READABLE);
    if (!fd) co_return false;
    const auto& metrics = *eddy::RuntimeHandle::current().io_metrics();
    bool reader_ran = false;
    auto reader = eddy::spawn([](eddy::AsyncFd<int>& f, bool& ran) -> Task<void> {
      auto g = co_await f.readable();
      ran = g.has_value();
    }(*fd, reader_ran));
    co_await eddy::yield_now();  // the reader runs and waits
    eddy_test::write_byte(wfd);
    const auto before = metrics.ready_count();
    co_await eddy::yield_now();
    // Resumed only after a driver poll: the event was dispatched and the reader, woken by it,
    // ran before this task.
    const bool ok2 = metrics.ready_count() > before && reader_ran;
    (void)co_await reader;
    co_return ok2;
  }(a.get(), b.get()));
  EXPECT_TRUE(ok);
}

// tokio rt_common::coop_yield_defers_until_park: the same when the yield comes from an
// exhausted cooperative budget.
TEST_P(RuntimeTest, CoopYieldDefersUntilPark) {
  EDDY_CURRENT_THREAD_ONLY("asserts the woken reader ran on the same thread before the yielder resumed");
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  bool ok = rt.block_on([](int rfd, int wfd) -> Task<bool> {
    auto fd = eddy::AsyncFd<int>::create(std::move(rfd), Interest::READABLE);
    if (!fd) co_return false;
    bool reader_ran = false;
    auto reader = eddy::spawn([](eddy::AsyncFd<int>& f, bool& ran) -> Task<void> {
      auto g = co_await f.readable();
      ran = g.has_value();
    }(*fd, reader_ran));
    co_await eddy::yield_now();
    eddy_test::write_byte(wfd);
    // Spend the whole budget without suspending, then one more unit forces a yield.
    while (eddy::coop::has_budget_remaining()) co_await eddy::coop::consume_budget();
    const bool before = reader_ran;
    co_await eddy::coop::consume_budget();
    const bool ok2 = !before && reader_ran;
    (void)co_await reader;
    co_return ok2;
  }(a.get(), b.get()));
  EXPECT_TRUE(ok);
}

// tokio rt_common::io_driver_called_when_under_load: 100 tasks that keep waking themselves must
// not starve I/O. The busy tasks stop on their own after a bounded number of polls; the I/O must
// complete long before that.
TEST_P(RuntimeTest, IoDriverCalledWhenUnderLoad) {
  auto rt = make_rt();
  std::atomic<bool> stop{false};
  std::atomic<long> busy_polls{0};
  constexpr long kLimit = 2'000'000;
  for (int i = 0; i < 100; ++i) {
    rt.spawn([](std::atomic<bool>& s, std::atomic<long>& polls) -> Task<void> {
      while (!s.load() && polls.fetch_add(1) < kLimit) co_await eddy_test::WakeSelfOnce{};
    }(stop, busy_polls))
        .detach();
  }
  auto [a, b] = eddy_test::make_socketpair();
  const long polls_at_io = rt.block_on([](int rfd, int wfd, std::atomic<long>& polls) -> Task<long> {
    auto fd = eddy::AsyncFd<int>::create(std::move(rfd), Interest::READABLE);
    if (!fd) co_return -1;
    co_await eddy::yield_now();
    eddy_test::write_byte(wfd);
    auto g = co_await fd->readable();
    if (!g) co_return -1;
    co_return polls.load();
  }(a.get(), b.get(), busy_polls));
  stop = true;
  ASSERT_GE(polls_at_io, 0);
  EXPECT_LT(polls_at_io, kLimit) << "the I/O only completed once the busy tasks gave up";
}

TEST_P(RuntimeTest, ShutdownDestroysEveryPendingTaskFrame) {
  std::atomic<int> live{0};
  Notify never;
  {
    auto rt = make_rt();
    // Some tasks run and wait; some are spawned and never started.
    for (int i = 0; i < 5; ++i) rt.spawn(wait_forever(live, never)).detach();
    eddy_test::pump(rt);
    EXPECT_TRUE(eddy_test::wait_until([&] { return live.load() == 5; }));
    for (int i = 0; i < 5; ++i) {
      rt.spawn([](Counted c) -> Task<void> {
        (void)c;
        co_return;
      }(Counted(live)))
          .detach();
    }
    // Never started on the current-thread runtime; workers may already have run some.
    if (eddy_test::current_runtime_kind() == eddy_test::RuntimeKind::current_thread) {
      EXPECT_EQ(live.load(), 10);
    }
  }
  EXPECT_EQ(live.load(), 0);
}

TEST_P(RuntimeTest, ShutdownCancelsJoinHandlesHeldOutside) {
  std::atomic<int> live{0};
  Notify never;
  std::optional<eddy::JoinHandle<void>> h;
  {
    auto rt = make_rt();
    h.emplace(rt.spawn(wait_forever(live, never)));
    eddy_test::pump(rt);
    EXPECT_FALSE(h->is_finished());
  }
  EXPECT_TRUE(h->is_finished());
  auto r = h->take();
  EXPECT_EQ(r.error(), Error::cancelled);
  EXPECT_EQ(live.load(), 0);
}

// A task of another runtime awaiting a JoinHandle of a runtime that is dropped (on another
// thread) gets Error::cancelled.
TEST_P(RuntimeTest, ShutdownWakesJoinHandleAwaitedFromAnotherRuntime) {
  std::atomic<int> live{0};
  Notify never;
  auto rt1 = make_rt();
  auto h = rt1.spawn(wait_forever(live, never));
  eddy_test::pump(rt1);
  auto rt2 = make_rt();
  std::thread dropper;
  auto r = rt2.block_on([](eddy::JoinHandle<void>& jh, eddy::Runtime& victim,
                           std::thread& th) -> Task<Result<void>> {
    th = std::thread([&victim] {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      victim.shutdown();
    });
    co_return co_await jh;
  }(h, rt1, dropper));
  dropper.join();
  EXPECT_EQ(r.error(), Error::cancelled);
  EXPECT_EQ(live.load(), 0);
}

// tokio rt_common::wake_while_rt_is_dropping: destroying one task's frame wakes others that
// are also being destroyed; nothing runs and nothing breaks.
TEST_P(RuntimeTest, WakeWhileRtIsDropping) {
  std::atomic<int> live{0};
  Notify n1, n2, n3;
  {
    auto rt = make_rt();
    auto waker_task = [](std::atomic<int>& l, Notify& mine, Notify& other) -> Task<void> {
      Counted c(l);
      OnDrop wake_other([&other] { other.notify(); });
      for (;;) (void)co_await mine.wait();
    };
    rt.spawn(waker_task(live, n1, n2)).detach();
    rt.spawn(waker_task(live, n2, n3)).detach();
    rt.spawn(waker_task(live, n3, n1)).detach();
    eddy_test::pump(rt);
    // (On workers the tasks may start after pump's block_on returns.)
    EXPECT_TRUE(eddy_test::wait_until([&] { return live.load() == 3; }));
  }
  EXPECT_EQ(live.load(), 0);
}

TEST_P(RuntimeTest, SpawnAfterShutdownIsCancelledAndFreesTheFrame) {
  std::atomic<int> live{0};
  auto rt = make_rt();
  auto handle = rt.handle();
  rt.shutdown();
  auto h = handle.spawn([](Counted c) -> Task<int> {
    (void)c;
    co_return 1;
  }(Counted(live)));
  EXPECT_EQ(live.load(), 0);
  EXPECT_TRUE(h.is_finished());
  EXPECT_EQ(h.take().error(), Error::cancelled);
}

TEST_P(RuntimeTest, TryCurrentInsideAndOutside) {
  EXPECT_FALSE(eddy::RuntimeHandle::try_current().has_value());
  auto rt = make_rt();
  bool inside = rt.block_on([]() -> Task<bool> {
    auto h = eddy::RuntimeHandle::try_current();
    co_return h.has_value() && h->io_handle() != nullptr;
  }());
  EXPECT_TRUE(inside);
  EXPECT_FALSE(eddy::RuntimeHandle::try_current().has_value());
}

TEST_P(RuntimeTest, WithoutIoRunsTasksAndRefusesAsyncFd) {
  auto rt = make_rt(/*io=*/false);
  EXPECT_EQ(rt.handle().io_handle(), nullptr);
  auto [a, b] = eddy_test::make_socketpair();
  auto r = rt.block_on([](int fd) -> Task<int> {
    auto h = eddy::spawn([]() -> Task<int> {
      co_await eddy::yield_now();
      co_return 2;
    }());
    co_await eddy::yield_now();
    auto v = co_await h;
    auto afd = eddy::AsyncFd<int>::create(std::move(fd));
    if (afd || afd.error() != Error::io_disabled) co_return -1;
    co_return v ? *v : -2;
  }(a.get()));
  EXPECT_EQ(r, 2);
}

TEST_P(RuntimeTest, AsyncFdOutsideARuntimeIsNoRuntime) {
  auto [a, b] = eddy_test::make_socketpair();
  int fd = a.get();
  auto afd = eddy::AsyncFd<int>::create(std::move(fd));
  ASSERT_FALSE(afd);
  EXPECT_EQ(afd.error(), Error::no_runtime);
}

TEST_P(RuntimeTest, MovedRuntimeKeepsRunning) {
  auto rt = make_rt();
  eddy::Runtime moved(std::move(rt));
  EXPECT_EQ(moved.block_on(value(4)), 4);
}

TEST(RuntimeDeathTest, SpawnOutsideRuntimeAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH((void)eddy::spawn(value(1)), "outside of an eddy runtime");
}

TEST(RuntimeDeathTest, CurrentOutsideRuntimeAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH((void)eddy::RuntimeHandle::current(), "outside of an eddy runtime");
}

TEST(RuntimeDeathTest, AwaitingAnEddyAwaitableOutsideATaskAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto run_by_hand = [](Task<void> t) {
    auto h = t.release();
    h.resume();
    h.destroy();
  };
  EXPECT_DEATH(run_by_hand([]() -> Task<void> { co_await eddy::yield_now(); }()), "outside an eddy task");
  Notify n;
  EXPECT_DEATH(run_by_hand([](Notify& nn) -> Task<void> { (void)co_await nn.wait(); }(n)),
               "outside an eddy task");
}

TEST(RuntimeDeathTest, BlockOnInsideARuntimeAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto outer = make_rt();
        auto inner = make_rt();
        outer.block_on([](eddy::Runtime& in) -> Task<void> {
          in.block_on(value(1));
          co_return;
        }(inner));
      },
      "block_on called from inside a runtime");
}

namespace {
// What a waker saw of the calling thread's context when the driver woke it.
struct SeenContext {
  std::atomic<int> wakes{0};
  eddy::detail::TaskHeader* task = nullptr;
  std::uint32_t budget = 0;
};
void seen_record(void* data) noexcept {
  auto* s = static_cast<SeenContext*>(data);
  s->task = eddy::detail::context().task;
  s->budget = eddy::detail::context().budget;
  s->wakes.fetch_add(1);
}
void* seen_clone(void* data) noexcept { return data; }
void seen_drop(void*) noexcept {}
constexpr eddy::WakerVTable kSeenVTable{&seen_clone, &seen_record, &seen_record, &seen_drop};
}  // namespace

// The scheduler sets the current task and its budget before each poll and resets them only
// before it parks (not after every task): wakers and timers run by the driver must see no task
// and an unconstrained budget, and so must the caller once block_on returns.
TEST_P(RuntimeTest, DriverWakersAndTheCallerSeeNoTaskAndNoBudget) {
  EDDY_CURRENT_THREAD_ONLY("asserts the driver woke the waker before the yielding task resumed; another worker may hold the driver");
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  SeenContext seen;
  seen.task = reinterpret_cast<eddy::detail::TaskHeader*>(&seen);  // anything but null
  bool in_task = rt.block_on([](int rfd, int wfd, SeenContext& s) -> Task<bool> {
    auto fd = eddy::AsyncFd<int>::create(std::move(rfd), Interest::READABLE);
    if (!fd) co_return false;
    const bool had_task = eddy::detail::context().task != nullptr;
    const eddy::Waker w = eddy::Waker::from_raw(&s, &kSeenVTable);
    if (fd->poll_read_ready(w).is_ready()) co_return false;  // nothing written yet: pending
    eddy_test::write_byte(wfd);
    co_await eddy::yield_now();  // resumed after a driver poll, which wakes `w`
    co_return had_task && s.wakes.load() == 1;
  }(a.get(), b.get(), seen));
  EXPECT_TRUE(in_task);
  EXPECT_EQ(seen.task, nullptr);
  EXPECT_EQ(seen.budget, eddy::detail::kUnconstrained);
  EXPECT_EQ(eddy::detail::context().task, nullptr);
  EXPECT_EQ(eddy::detail::context().budget, eddy::detail::kUnconstrained);
}
