#include "eddy/time/timeout.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

#include "eddy/async_fd.hpp"
#include "eddy/error.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/clock.hpp"
#include "eddy/time/sleep.hpp"
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
using eddy::Result;
using eddy::Task;
using eddy::time::Instant;

namespace {

eddy::Runtime paused_runtime() {
  auto rt = eddy_test::rt_builder().enable_all().start_paused(true).build();
  if (!rt) throw std::system_error(rt.error(), "build");
  return std::move(*rt);
}

// Sets a flag when destroyed: tells whether a cancelled frame really went away.
struct DropFlag {
  bool* flag;
  explicit DropFlag(bool* f) : flag(f) {}
  DropFlag(const DropFlag&) = delete;
  ~DropFlag() { *flag = true; }
};

Task<int> sleepy(eddy::time::Duration d, int v, bool* dropped) {
  DropFlag g(dropped);
  co_await eddy::time::sleep(d);
  co_return v;
}

}  // namespace

EDDY_RT_SUITE(TimeTimeoutTest);

TEST_P(TimeTimeoutTest, FiresAndDestroysTheInnerFrame) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    bool dropped = false;
    Result<int> r = co_await eddy::time::timeout(10ms, sleepy(1h, 7, &dropped));
    CO_ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), eddy::Error::timed_out);
    EXPECT_TRUE(dropped);  // destroyed before the co_await returned
    EXPECT_EQ(Instant::now(), start + 10ms);
    EXPECT_EQ(eddy::time::registered_timers(), 0u);  // the inner sleep left the wheel
  }());
}

TEST_P(TimeTimeoutTest, DoesNotFireWhenTheInnerTaskIsFaster) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    bool dropped = false;
    Result<int> r = co_await eddy::time::timeout(1h, sleepy(5ms, 7, &dropped));
    CO_ASSERT_TRUE(r);
    EXPECT_EQ(*r, 7);
    EXPECT_EQ(Instant::now(), start + 5ms);
    EXPECT_EQ(eddy::time::registered_timers(), 0u);  // the timeout's timer was cancelled
  }());
}

TEST_P(TimeTimeoutTest, ImmediateInnerResultNeedsNoTimer) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    auto r = co_await eddy::time::timeout(0ms, []() -> Task<int> { co_return 3; }());
    // The inner task is polled first, so even a zero timeout lets a ready task win.
    CO_ASSERT_TRUE(r);
    EXPECT_EQ(*r, 3);
    auto v = co_await eddy::time::timeout(1s, []() -> Task<void> { co_return; }());
    EXPECT_TRUE(v);
  }());
}

TEST_P(TimeTimeoutTest, InnerExceptionIsRethrown) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    bool caught = false;
    try {
      (void)co_await eddy::time::timeout(1s, []() -> Task<int> {
        co_await eddy::time::sleep(1ms);
        throw std::runtime_error("boom");
      }());
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "boom";
    }
    EXPECT_TRUE(caught);
  }());
}

TEST_P(TimeTimeoutTest, InnerTaskCanYieldSpawnAndJoin) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    auto r = co_await eddy::time::timeout(1s, []() -> Task<int> {
      co_await eddy::yield_now();
      auto h = eddy::spawn([]() -> Task<int> {
        co_await eddy::time::sleep(3ms);
        co_return 40;
      }());
      co_await eddy::yield_now();
      auto v = co_await h;
      co_return *v + 2;
    }());
    CO_ASSERT_TRUE(r);
    EXPECT_EQ(*r, 42);
  }());
}

TEST_P(TimeTimeoutTest, NestedTimeouts) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    const Instant start = Instant::now();
    bool dropped = false;
    auto outer = co_await eddy::time::timeout(50ms, [](bool* d) -> Task<Result<int>> {
      // The inner timeout is longer than the outer one: the outer fires and destroys both.
      co_return co_await eddy::time::timeout(100ms, sleepy(1h, 1, d));
    }(&dropped));
    CO_ASSERT_FALSE(outer);
    EXPECT_EQ(outer.error(), eddy::Error::timed_out);
    EXPECT_TRUE(dropped);
    EXPECT_EQ(Instant::now(), start + 50ms);
    auto ok = co_await eddy::time::timeout(100ms, []() -> Task<Result<int>> {
      co_return co_await eddy::time::timeout(10ms, []() -> Task<int> {
        co_await eddy::time::sleep(1h);
        co_return 0;
      }());
    }());
    CO_ASSERT_TRUE(ok);
    CO_ASSERT_FALSE(*ok);
    EXPECT_EQ(ok->error(), eddy::Error::timed_out);
    EXPECT_EQ(Instant::now(), start + 60ms);
    EXPECT_EQ(eddy::time::registered_timers(), 0u);
  }());
}

// A timed-out read: the readiness waiter is unlinked with the frame, and data that arrives
// later stays in the pipe for the next reader.
TEST_P(TimeTimeoutTest, CancelsAnIoWaitCleanly) {
  auto rt = paused_runtime();
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  eddy::OwnedFd wr(p[1]);
  rt.block_on([](int rfd, int wfd) -> Task<void> {
    auto fd = eddy::AsyncFd<eddy::OwnedFd>::create(eddy::OwnedFd(rfd), eddy::Interest::READABLE);
    EXPECT_TRUE(fd);
    auto read_one = [](eddy::AsyncFd<eddy::OwnedFd>& f) -> Task<int> {
      auto r = co_await f.async_io(eddy::Interest::READABLE, [&]() -> Result<int> {
        char c;
        const auto n = ::read(f.fd(), &c, 1);
        if (n < 0) return eddy::last_error();
        return static_cast<int>(c);
      });
      co_return r ? *r : -1;
    };
    auto r = co_await eddy::time::timeout(20ms, read_one(*fd));
    EXPECT_EQ(r.error(), eddy::Error::timed_out);
    char c = 'z';
    EXPECT_EQ(::write(wfd, &c, 1), 1);
    auto r2 = co_await eddy::time::timeout(1h, read_one(*fd));
    CO_ASSERT_TRUE(r2);
    EXPECT_EQ(*r2, 'z');
  }(p[0], p[1]));
}

TEST_P(TimeTimeoutTest, AbortingTheAwaitingTaskDestroysTheInnerFrame) {
  auto rt = paused_runtime();
  rt.block_on([]() -> Task<void> {
    bool dropped = false;
    auto h = eddy::spawn([](bool* d) -> Task<void> {
      (void)co_await eddy::time::timeout(1h, sleepy(2h, 0, d));
    }(&dropped));
    co_await eddy::yield_now();
    EXPECT_EQ(eddy::time::registered_timers(), 2u);
    h.abort();
    (void)co_await h;
    EXPECT_TRUE(dropped);
    EXPECT_EQ(eddy::time::registered_timers(), 0u);
  }());
}

namespace {
// An event set from another thread; awaiting it registers the current (child) task's waker.
struct Event {
  std::mutex m;
  bool set = false;
  eddy::Waker waiter;
  void fire() {
    eddy::Waker w;
    {
      std::lock_guard<std::mutex> lock(m);
      set = true;
      w = std::move(waiter);
    }
    w.wake();
  }
  struct Awaiter : eddy::detail::PollAwaiter<Awaiter, bool> {
    Event* e;
    explicit Awaiter(Event* ev) : e(ev) {}
    ~Awaiter() {
      std::lock_guard<std::mutex> lock(e->m);
      e->waiter = eddy::Waker();
    }
    eddy::Poll<bool> poll(const eddy::Waker& w) {
      std::lock_guard<std::mutex> lock(e->m);
      if (e->set) return true;
      e->waiter = w;
      return eddy::Pending;
    }
  };
};
}  // namespace

// The inner task is woken from another thread while its deadline races it: each round ends with
// either the value or timed_out, never a lost wake (the test would hang) or a crash.
TEST_P(TimeTimeoutTest, StressCrossThreadWakeRacesTheDeadline) {
  auto rt = eddy_test::rt_builder().enable_all().build();
  ASSERT_TRUE(rt);
  int values = 0, timeouts = 0;
  for (int round = 0; round < 200; ++round) {
    Event ev;
    std::thread t([&ev, round] {
      std::this_thread::sleep_for(std::chrono::microseconds((round * 37) % 1500));
      ev.fire();
    });
    auto r = rt->block_on([](Event* e, int rnd) -> Task<Result<int>> {
      co_return co_await eddy::time::timeout(std::chrono::microseconds((rnd * 53) % 1500),
                                              [](Event* ev2) -> Task<int> {
                                                co_await Event::Awaiter(ev2);
                                                co_return 1;
                                              }(e));
    }(&ev, round));
    t.join();
    if (r) ++values;
    else if (r.error() == eddy::Error::timed_out) ++timeouts;
    else ADD_FAILURE() << r.error().message();
  }
  EXPECT_EQ(values + timeouts, 200);
}
