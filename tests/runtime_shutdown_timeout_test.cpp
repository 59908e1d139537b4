// Runtime::shutdown_timeout(d) and shutdown_background() (issue 10): shutdown waits at most `d`
// for blocking functions still running, and those that outlive it run on, on threads left
// behind, without touching anything the runtime freed. Plain shutdown() still waits for them.
#include "eddy/runtime.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>

#include "eddy/blocking.hpp"
#include "../src/runtime/blocking_pool.hpp"  // internal: the pool itself (no runtime needed)
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

using eddy::Task;
using namespace std::chrono_literals;

namespace {

// A blocking function's progress, shared with it (it may outlive the test's runtime). Every
// wait is bounded so that a bug fails the test instead of hanging it.
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool started = false;
  bool released = false;
  bool finished = false;
  bool closure_gone = false;

  void set(bool Gate::*flag) {
    std::lock_guard<std::mutex> lock(m);
    this->*flag = true;
    cv.notify_all();
  }
  bool get(bool Gate::*flag) {
    std::lock_guard<std::mutex> lock(m);
    return this->*flag;
  }
  bool wait(bool Gate::*flag, std::chrono::milliseconds limit = 10s) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, limit, [&] { return this->*flag; });
  }
};

// The blocking function: started, waits until released (bounded), finished.
auto blocking_fn(std::shared_ptr<Gate> g) {
  return [g] {
    g->set(&Gate::started);
    g->wait(&Gate::released);
    g->set(&Gate::finished);
  };
}

eddy::Runtime build_rt() {
  auto rt = eddy_test::rt_builder().enable_all().build();
  if (!rt) throw std::system_error(rt.error(), "build");
  return std::move(*rt);
}

// Starts blocking_fn(g) on rt's pool, dropping its handle, and waits until it runs.
void start_blocking(eddy::Runtime& rt, const std::shared_ptr<Gate>& g) {
  rt.block_on([](std::shared_ptr<Gate> gate) -> Task<void> {
    (void)eddy::spawn_blocking(blocking_fn(std::move(gate)));
    co_return;
  }(g));
  ASSERT_TRUE(g->wait(&Gate::started));
}

}  // namespace

EDDY_RT_SUITE(RuntimeShutdownTimeoutTest);

TEST_P(RuntimeShutdownTimeoutTest, ReturnsWhileABlockingFunctionStillRunsAndLetsItFinish) {
  auto g = std::make_shared<Gate>();
  auto rt = build_rt();
  start_blocking(rt, g);
  rt.shutdown_timeout(20ms);
  EXPECT_FALSE(g->get(&Gate::finished));  // shutdown returned without it
  g->set(&Gate::released);
  EXPECT_TRUE(g->wait(&Gate::finished));  // and it ran on, on the thread left behind
}

TEST_P(RuntimeShutdownTimeoutTest, ShutdownBackgroundDoesNotWaitAtAll) {
  auto g = std::make_shared<Gate>();
  {
    auto rt = build_rt();
    start_blocking(rt, g);
    rt.shutdown_background();
    EXPECT_FALSE(g->get(&Gate::finished));
  }  // and the destructor that follows does not wait either
  EXPECT_FALSE(g->get(&Gate::finished));
  g->set(&Gate::released);
  EXPECT_TRUE(g->wait(&Gate::finished));
}

TEST_P(RuntimeShutdownTimeoutTest, WaitsForAFunctionThatFinishesWithinTheTimeout) {
  for (auto wait : {std::chrono::nanoseconds(std::chrono::hours(1)), std::chrono::nanoseconds::max()}) {
    auto g = std::make_shared<Gate>();
    auto rt = build_rt();
    start_blocking(rt, g);
    g->set(&Gate::released);
    rt.shutdown_timeout(wait);
    EXPECT_TRUE(g->get(&Gate::finished));  // shutdown waited for it
  }
  // hours::max() saturates to "for ever" instead of overflowing to a negative wait.
  auto g = std::make_shared<Gate>();
  auto rt = build_rt();
  start_blocking(rt, g);
  g->set(&Gate::released);
  rt.shutdown_timeout(std::chrono::hours::max());
  EXPECT_TRUE(g->get(&Gate::finished));
}

TEST_P(RuntimeShutdownTimeoutTest, PlainShutdownStillWaitsForRunningFunctions) {
  auto g = std::make_shared<Gate>();
  auto rt = build_rt();
  start_blocking(rt, g);
  std::thread releaser([g] {
    std::this_thread::sleep_for(20ms);
    g->set(&Gate::released);
  });
  rt.shutdown();
  EXPECT_TRUE(g->get(&Gate::finished));
  releaser.join();
}

// The left-behind function holds the last reference to its runtime: dropping it destroys the
// runtime's shared state, blocking pool included, on that very pool thread. It must neither
// wait for itself nor touch the pool's freed memory (ASan checks the latter).
TEST_P(RuntimeShutdownTimeoutTest, LastRuntimeReferenceDroppedByALeftBehindFunction) {
  auto g = std::make_shared<Gate>();
  {
    auto rt = build_rt();
    rt.block_on([](std::shared_ptr<Gate> gate) -> Task<void> {
      struct OnDrop {
        std::shared_ptr<Gate> g;
        ~OnDrop() { g->set(&Gate::closure_gone); }
      };
      auto keep = std::make_shared<OnDrop>(OnDrop{gate});
      (void)eddy::spawn_blocking([gate, keep, handle = eddy::RuntimeHandle::current()] { blocking_fn(gate)(); });
      co_return;
    }(g));
    ASSERT_TRUE(g->wait(&Gate::started));
    rt.shutdown_timeout(0ms);
  }
  g->set(&Gate::released);
  EXPECT_TRUE(g->wait(&Gate::finished));
  EXPECT_TRUE(g->wait(&Gate::closure_gone));
}

TEST(RuntimeShutdownTimeoutDeathTest, FromInsideOneOfItsOwnTasksAbortsWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto rt = build_rt();
        rt.block_on([](eddy::Runtime& self) -> Task<void> {
          self.shutdown_timeout(1s);
          co_return;
        }(rt));
      },
      "from inside one of its own tasks");
}

// The pool on its own: a busy thread is left behind, the queue is cancelled, and the pool
// object may be destroyed before the thread finishes.
TEST(BlockingPoolShutdownTimeout, LeavesABusyThreadBehindCancelsTheQueueAndOutlivesThePool) {
  struct Job final : eddy::detail::BlockingJob {
    Job(std::shared_ptr<Gate> g, std::atomic<int>& runs, std::atomic<int>& cancels)
        : g_(std::move(g)), runs_(runs), cancels_(cancels) {}
    void run() noexcept override {
      ++runs_;
      blocking_fn(g_)();
    }
    void cancel() noexcept override { ++cancels_; }
    std::shared_ptr<Gate> g_;
    std::atomic<int>& runs_;
    std::atomic<int>& cancels_;
  };
  static std::atomic<int> runs{0}, cancels{0};  // static: the left-behind job may outlive this frame
  runs = 0;  // (and so they would carry over from an earlier run under --gtest_repeat)
  cancels = 0;
  auto g = std::make_shared<Gate>();
  auto pool = std::make_unique<eddy::detail::BlockingPool>(1, std::chrono::milliseconds(10000));
  pool->spawn(std::make_shared<Job>(g, runs, cancels));
  ASSERT_TRUE(g->wait(&Gate::started));
  pool->spawn(std::make_shared<Job>(g, runs, cancels));  // queued behind the busy thread
  pool->shutdown(10ms);
  EXPECT_EQ(cancels.load(), 1);  // the queued one never runs
  EXPECT_FALSE(g->get(&Gate::finished));
  pool.reset();  // the left-behind thread still uses the pool's state
  g->set(&Gate::released);
  EXPECT_TRUE(g->wait(&Gate::finished));
  EXPECT_EQ(runs.load(), 1);
}
