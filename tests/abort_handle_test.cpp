#include "eddy/abort_handle.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "eddy/join_handle.hpp"
#include "eddy/runtime.hpp"
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

// AbortHandle: abort from anywhere without the JoinHandle; is_finished; empty handles.

namespace {

using eddy::AbortHandle;
using eddy::Error;
using eddy::Result;
using eddy::Task;
using eddy_test::Counted;
using eddy_test::make_rt;
using eddy_test::Notify;

Task<int> wait_forever(Notify& n, std::atomic<int>& live) {
  Counted c(live);
  (void)co_await n.wait();
  co_return 1;
}

}  // namespace

EDDY_RT_SUITE(AbortHandleTest);

TEST_P(AbortHandleTest, AbortsFromAnotherThreadWithoutTheJoinHandle) {
  auto rt = make_rt();
  std::atomic<int> live{0};
  Notify never;
  auto r = rt.block_on([](Notify& n, std::atomic<int>& l) -> Task<Result<int>> {
    auto h = eddy::spawn(wait_forever(n, l));
    AbortHandle ah = h.abort_handle();
    while (l.load() == 0) co_await eddy::yield_now();  // it runs and waits
    std::thread t([ah] { ah.abort(); });               // a copy, on another thread
    t.join();
    co_return co_await h;
  }(never, live));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Error::cancelled);
  EXPECT_EQ(live.load(), 0) << "the aborted task's frame is gone";
  never.reset();
}

TEST_P(AbortHandleTest, IsFinishedAndAbortAfterCompletionIsHarmless) {
  auto rt = make_rt();
  auto r = rt.block_on([]() -> Task<Result<int>> {
    auto h = eddy::spawn([]() -> Task<int> { co_return 5; }());
    AbortHandle ah = h.abort_handle();
    EXPECT_FALSE(ah.is_finished());
    while (!ah.is_finished()) co_await eddy::yield_now();
    ah.abort();  // too late: the result stays
    co_return co_await h;
  }());
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 5);
}

TEST_P(AbortHandleTest, OutlivesTheJoinHandleAndTheTask) {
  auto rt = make_rt();
  AbortHandle ah;
  rt.block_on([](AbortHandle& out) -> Task<void> {
    auto h = eddy::spawn([]() -> Task<void> { co_return; }());
    out = h.abort_handle();
    h.detach();
    while (!out.is_finished()) co_await eddy::yield_now();
  }(ah));
  EXPECT_TRUE(ah.is_finished());
  ah.abort();
  AbortHandle empty;
  empty.abort();
  EXPECT_FALSE(empty.is_finished());
}
