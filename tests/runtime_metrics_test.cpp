// RuntimeHandle::metrics() on both kinds: alive tasks, budget-forced yields, polls and busy
// duration per worker, the worker count.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "eddy/coop.hpp"
#include "eddy/join_handle.hpp"
#include "eddy/runtime.hpp"
#include "eddy/sync/oneshot.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/yield_now.hpp"
#include "support/rt_helpers.hpp"

namespace {

using eddy::Task;
using namespace std::chrono_literals;

EDDY_RT_SUITE(RuntimeMetricsTest);

TEST_P(RuntimeMetricsTest, AliveTasksCountsUnfinishedSpawnedTasks) {
  eddy::Runtime rt = eddy_test::make_rt();
  eddy_test::Notify go;
  const auto [while_waiting, after] = rt.block_on([](eddy_test::Notify& g) -> Task<std::pair<std::size_t, std::size_t>> {
    std::vector<eddy::JoinHandle<void>> hs;
    for (int i = 0; i < 5; ++i) {
      hs.push_back(eddy::spawn([](eddy_test::Notify& gg, int k) -> Task<void> {
        if (k == 0) co_await gg.wait();  // the others finish at once
        co_return;
      }(g, i)));
    }
    for (int i = 1; i < 5; ++i) (void)co_await hs[static_cast<std::size_t>(i)];
    const std::size_t waiting = eddy::RuntimeHandle::current().metrics().alive_tasks;  // main + 1
    g.notify();
    (void)co_await hs[0];
    co_return std::pair{waiting, eddy::RuntimeHandle::current().metrics().alive_tasks};  // main
  }(go));
  EXPECT_EQ(while_waiting, 2u);
  EXPECT_EQ(after, 1u);
  EXPECT_EQ(rt.handle().metrics().alive_tasks, 0u);
}

TEST_P(RuntimeMetricsTest, BudgetForcedYieldsAndPolls) {
  eddy::Runtime rt = eddy_test::make_rt();
  rt.block_on([]() -> Task<void> {
    for (int i = 0; i < 1000; ++i) co_await eddy::coop::consume_budget();
  }());
  const eddy::RuntimeMetrics m = rt.handle().metrics();
  // 1000 units of a 128-unit budget: at least 7 polls cut short.
  EXPECT_GE(m.budget_forced_yields, 7u);
  std::uint64_t polls = 0;
  for (const auto& w : m.worker) polls += w.polls;
  EXPECT_GE(polls, 8u);
  EXPECT_EQ(m.worker.size(), m.workers);
  EXPECT_EQ(m.workers, eddy_test::current_runtime_kind() == eddy_test::RuntimeKind::current_thread ? 1u : 2u);
}

// Busy time is counted up to each park: a task that spins 20 ms and then sleeps (so its worker
// parks) shows at least those 20 ms.
TEST_P(RuntimeMetricsTest, BusyDurationCoversARunningTask) {
  eddy::Runtime rt = eddy_test::make_rt();
  rt.block_on([]() -> Task<void> {
    const auto until = std::chrono::steady_clock::now() + 20ms;
    while (std::chrono::steady_clock::now() < until) {
    }
    co_await eddy::time::sleep(5ms);
    co_await eddy::time::sleep(5ms);
  }());
  std::chrono::nanoseconds busy{0};
  for (const auto& w : rt.handle().metrics().worker) busy += w.busy_duration;
  EXPECT_GE(busy, 20ms);
}

// A spawn from a plain thread while every worker sleeps wakes one: counted as an unpark.
TEST_P(RuntimeMetricsTest, ASpawnFromAnotherThreadIntoAnIdleRuntimeCountsAnUnpark) {
  eddy::Runtime rt = eddy_test::make_rt();
  auto [tx, rx] = eddy::sync::oneshot::channel<int>();
  std::thread t([&rt, s = std::move(tx)]() mutable {
    std::this_thread::sleep_for(30ms);  // long enough for the runtime to park
    rt.handle().spawn([](eddy::sync::oneshot::Sender<int> out) -> Task<void> {
      (void)out.send(1);
      co_return;
    }(std::move(s))).detach();
  });
  const int got = rt.block_on([](eddy::sync::oneshot::Receiver<int> r) -> Task<int> {
    auto v = co_await r;
    co_return v ? *v : -1;
  }(std::move(rx)));
  t.join();
  EXPECT_EQ(got, 1);
  std::uint64_t unparks = 0;
  for (const auto& w : rt.handle().metrics().worker) unparks += w.unparks;
  EXPECT_GE(unparks, 1u);
}

}  // namespace
