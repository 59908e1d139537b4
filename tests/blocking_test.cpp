#include "eddy/blocking.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eddy/runtime.hpp"
#include "../src/runtime/blocking_pool.hpp"  // internal: the pool itself (no runtime needed)
#include "support/net_test_util.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

using eddy::Task;
using eddy_test::run;

EDDY_RT_SUITE(BlockingTest);

TEST_P(BlockingTest, ReturnsTheFunctionsResultThroughTheWaker) {
  run([]() -> Task<void> {
    const auto caller = std::this_thread::get_id();
    auto r = co_await eddy::spawn_blocking([caller] {
      EXPECT_NE(std::this_thread::get_id(), caller);
      return std::string("done");
    });
    CO_ASSERT_OK(r);
    EXPECT_EQ(*r, "done");
    auto v = co_await eddy::spawn_blocking([] {});
    EXPECT_TRUE(v);
  }());
}

TEST_P(BlockingTest, DoesNotBlockTheRuntimeThread) {
  run([]() -> Task<void> {
    std::atomic<bool> release{false};
    auto h = eddy::spawn_blocking([&release] {
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return 7;
    });
    // Other tasks keep running while the function blocks.
    auto other = eddy::spawn([](std::atomic<bool>& rel) -> Task<void> {
      co_await eddy::yield_now();
      rel.store(true);
    }(release));
    auto r = co_await h;
    CO_ASSERT_OK(r);
    EXPECT_EQ(*r, 7);
    CO_ASSERT_OK(co_await other);
  }());
}

TEST_P(BlockingTest, ExceptionsAreRethrownFromTheAwait) {
  run([]() -> Task<void> {
    bool caught = false;
    try {
      (void)co_await eddy::spawn_blocking([]() -> int { throw std::runtime_error("boom"); });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "boom";
    }
    EXPECT_TRUE(caught);
  }());
}

TEST_P(BlockingTest, ManyConcurrentCallsAllComplete) {
  run([]() -> Task<void> {
    std::vector<eddy::BlockingHandle<int>> handles;
    for (int i = 0; i < 200; ++i) handles.push_back(eddy::spawn_blocking([i] { return i * 2; }));
    long sum = 0;
    for (auto& h : handles) {
      auto r = co_await h;
      CO_ASSERT_OK(r);
      sum += *r;
    }
    EXPECT_EQ(sum, 2L * (199 * 200 / 2));
  }());
}

TEST_P(BlockingTest, DroppedHandleStillRunsTheFunction) {
  run([]() -> Task<void> {
    std::atomic<bool> ran{false};
    { auto dropped = eddy::spawn_blocking([&ran] { ran.store(true); }); }
    // Wait (bounded) on another pool thread for the dropped job to have run.
    auto seen = co_await eddy::spawn_blocking([&ran] {
      for (int i = 0; i < 5000 && !ran.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return ran.load();
    });
    CO_ASSERT_OK(seen);
    EXPECT_TRUE(*seen);
  }());
}

namespace {
// A job that records how it ended.
class ProbeJob final : public eddy::detail::BlockingJob {
 public:
  explicit ProbeJob(std::atomic<int>& runs, std::atomic<int>& cancels, std::chrono::milliseconds sleep = {})
      : runs_(runs), cancels_(cancels), sleep_(sleep) {}
  void run() noexcept override {
    if (sleep_.count() > 0) std::this_thread::sleep_for(sleep_);
    runs_.fetch_add(1);
  }
  void cancel() noexcept override { cancels_.fetch_add(1); }

 private:
  std::atomic<int>& runs_;
  std::atomic<int>& cancels_;
  std::chrono::milliseconds sleep_;
};
}  // namespace

TEST(BlockingPool, IdleThreadsExitAfterKeepAlive) {
  eddy::detail::BlockingPool pool(4, std::chrono::milliseconds(20));
  std::atomic<int> runs{0}, cancels{0};
  for (int i = 0; i < 4; ++i) pool.spawn(std::make_shared<ProbeJob>(runs, cancels, std::chrono::milliseconds(5)));
  EXPECT_GE(pool.thread_count(), 1u);
  EXPECT_LE(pool.thread_count(), 4u);
  // Bounded wait (the machine is noisy): every thread exits once idle long enough.
  for (int i = 0; i < 500 && pool.thread_count() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(pool.thread_count(), 0u);
  EXPECT_EQ(runs.load(), 4);
  // Threads are started again on demand.
  pool.spawn(std::make_shared<ProbeJob>(runs, cancels));
  pool.shutdown();
  EXPECT_EQ(runs.load() + cancels.load(), 5);
}

TEST(BlockingPool, ShutdownCancelsQueuedJobsAndJoins) {
  std::atomic<int> runs{0}, cancels{0};
  {
    eddy::detail::BlockingPool pool(1, std::chrono::milliseconds(10000));
    for (int i = 0; i < 20; ++i) pool.spawn(std::make_shared<ProbeJob>(runs, cancels, std::chrono::milliseconds(1)));
    pool.shutdown();
    EXPECT_EQ(pool.thread_count(), 0u);
    EXPECT_EQ(runs.load() + cancels.load(), 20);
    // After shutdown a job is cancelled at once.
    pool.spawn(std::make_shared<ProbeJob>(runs, cancels));
    EXPECT_EQ(runs.load() + cancels.load(), 21);
  }
}

TEST(BlockingPool, StressSpawnFromManyThreads) {
  std::atomic<int> runs{0}, cancels{0};
  eddy::detail::BlockingPool pool(8, std::chrono::milliseconds(1));
  std::vector<std::thread> spawners;
  for (int t = 0; t < 4; ++t) {
    spawners.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        pool.spawn(std::make_shared<ProbeJob>(runs, cancels));
        if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let threads idle out
      }
    });
  }
  for (auto& s : spawners) s.join();
  pool.shutdown();
  EXPECT_EQ(runs.load() + cancels.load(), 1000);
}

TEST_P(BlockingTest, RuntimeShutdownGivesShutdownToQueuedWork) {
  // A job queued behind a runtime that is shutting down never runs and reports Error::shutdown
  // to anyone still holding its state.
  std::atomic<int> runs{0}, cancels{0};
  auto rt = eddy_test::rt_builder().enable_all().build();
  ASSERT_TRUE(rt);
  rt->block_on([](std::atomic<int>& r, std::atomic<int>& c) -> Task<void> {
    for (int i = 0; i < 100; ++i) eddy::detail::submit_blocking(std::make_shared<ProbeJob>(r, c));
    co_return;
  }(runs, cancels));
  rt->shutdown();
  EXPECT_EQ(runs.load() + cancels.load(), 100);
}
