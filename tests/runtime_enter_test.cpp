// Runtime::enter() / RuntimeHandle::enter(): a runtime current on a thread without block_on.
#include "eddy/runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "eddy/time/sleep.hpp"
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

namespace {

using eddy::Task;
using eddy_test::make_rt;

}  // namespace

EDDY_RT_SUITE(RuntimeEnterTest);

TEST_P(RuntimeEnterTest, MakesTheRuntimeCurrentUntilTheGuardGoes) {
  auto rt = make_rt();
  EXPECT_FALSE(eddy::RuntimeHandle::try_current().has_value());
  {
    auto guard = rt.enter();
    auto h = eddy::RuntimeHandle::try_current();
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->io_handle(), rt.handle().io_handle()) << "the entered runtime, not another";
  }
  EXPECT_FALSE(eddy::RuntimeHandle::try_current().has_value());
}

TEST_P(RuntimeEnterTest, SpawnFromAnotherThreadRunsOnTheRuntime) {
  EDDY_CURRENT_THREAD_ONLY("asserts the task has not run before block_on; workers run it at once");
  auto rt = make_rt();
  std::atomic<int> ran{0};
  std::optional<eddy::JoinHandle<int>> handle;
  std::thread t([&] {
    auto guard = rt.handle().enter();
    handle.emplace(eddy::spawn([](std::atomic<int>& r) -> Task<int> {
      r.fetch_add(1);
      co_return 7;
    }(ran)));
  });
  t.join();
  EXPECT_EQ(ran.load(), 0) << "spawned, not run: the runtime's thread runs it";
  auto r = rt.block_on([](eddy::JoinHandle<int>& h) -> Task<eddy::Result<int>> { co_return co_await h; }(*handle));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(ran.load(), 1);
}

TEST_P(RuntimeEnterTest, GuardsNestAndRestoreThePreviousRuntime) {
  auto a = make_rt();
  auto b = make_rt();
  auto ga = a.enter();
  {
    auto gb = b.enter();
    EXPECT_EQ(eddy::RuntimeHandle::current().io_handle(), b.handle().io_handle());
  }
  EXPECT_EQ(eddy::RuntimeHandle::current().io_handle(), a.handle().io_handle());
}

TEST_P(RuntimeEnterTest, BlockOnInsideAnEnteredThreadRestoresTheGuardsRuntime) {
  auto a = make_rt();
  auto b = make_rt();
  auto ga = a.enter();
  const bool inner = b.block_on([](const eddy::RuntimeHandle& bh) -> Task<bool> {
    co_return eddy::RuntimeHandle::current().io_handle() == bh.io_handle();
  }(b.handle()));
  EXPECT_TRUE(inner) << "inside block_on the running runtime is current";
  EXPECT_EQ(eddy::RuntimeHandle::current().io_handle(), a.handle().io_handle()) << "and the guard's afterwards";
}

TEST_P(RuntimeEnterTest, TimersCreatedUnderTheGuardUseItsDriver) {
  auto rt = make_rt();
  std::optional<eddy::time::Sleep> s;
  {
    auto guard = rt.enter();
    s.emplace(eddy::time::Instant::now() + std::chrono::milliseconds(1));
  }
  auto done = rt.block_on([](eddy::time::Sleep& sl) -> Task<bool> {
    co_await sl;
    co_return sl.is_elapsed();
  }(*s));
  EXPECT_TRUE(done);
}
