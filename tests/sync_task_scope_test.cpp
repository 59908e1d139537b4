#include "eddy/sync/task_scope.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "eddy/sync/notify.hpp"
#include "eddy/time.hpp"
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

// scoped/TaskScope: the scope ends after its children, a throwing body aborts them first, a
// child's exception surfaces after the others ended, destroying the scope aborts the children.

namespace {

using eddy::Task;
using eddy::sync::Notify;
using eddy::sync::scoped;
using eddy::sync::TaskScope;

}  // namespace

EDDY_RT_SUITE(SyncTaskScopeTest);

TEST_P(SyncTaskScopeTest, EndsOnlyAfterChildren) {
  auto rt = eddy_test::make_rt(false);
  int done = rt.block_on([]() -> Task<int> {
    std::atomic<int> finished{0};  // children may run on other workers
    co_await scoped([&finished](TaskScope& s) -> Task<void> {
      for (int i = 0; i < 4; ++i)
        s.spawn([](std::atomic<int>& f, int yields) -> Task<void> {
          for (int k = 0; k < yields; ++k) co_await eddy::yield_now();
          ++f;
        }(finished, i * 3));
      co_return;
    });
    co_return finished.load();
  }());
  EXPECT_EQ(done, 4);
}

TEST_P(SyncTaskScopeTest, ThrowingBodyAbortsChildren) {
  auto rt = eddy_test::make_rt(false);
  std::atomic<int> live{0};
  Notify never;
  EXPECT_THROW(rt.block_on([](std::atomic<int>& l, Notify& n) -> Task<void> {
    co_await scoped([&l, &n](TaskScope& s) -> Task<void> {
      s.spawn([](std::atomic<int>& ll, Notify& nn) -> Task<void> {
        eddy_test::Counted c(ll);
        co_await nn.notified();
      }(l, n));
      co_await eddy::yield_now();
      throw std::runtime_error("body");
    });
  }(live, never)),
               std::runtime_error);
  EXPECT_EQ(live.load(), 0);
}

TEST_P(SyncTaskScopeTest, ChildExceptionAfterOthersFinish) {
  auto rt = eddy_test::make_rt(false);
  int finished = 0;
  EXPECT_THROW(rt.block_on([](int& f) -> Task<void> {
    co_await scoped([&f](TaskScope& s) -> Task<void> {
      s.spawn([]() -> Task<void> {
        co_await eddy::yield_now();
        throw std::runtime_error("child");
      }());
      s.spawn([](int& ff) -> Task<void> {
        for (int k = 0; k < 10; ++k) co_await eddy::yield_now();
        ++ff;
      }(f));
      co_return;
    });
  }(finished)),
               std::runtime_error);
  EXPECT_EQ(finished, 1);
}

TEST_P(SyncTaskScopeTest, TimedOutScopeAbortsChildren) {
  auto rt = eddy_test::rt_builder().enable_all().start_paused(true).build();
  ASSERT_TRUE(rt);
  std::atomic<int> live{0};
  Notify never;
  rt->block_on([](std::atomic<int>& l, Notify& n) -> Task<void> {
    auto r = co_await eddy::time::timeout(std::chrono::milliseconds(5), scoped([&l, &n](TaskScope& s) -> Task<void> {
      for (int i = 0; i < 3; ++i)
        s.spawn([](std::atomic<int>& ll, Notify& nn) -> Task<void> {
          eddy_test::Counted c(ll);
          co_await nn.notified();
        }(l, n));
      co_return;
    }));
    EXPECT_EQ(r.error(), eddy::Error::timed_out);
    // On the multi-thread kind a child being polled on another worker when the abort came is
    // destroyed when that poll ends, not by this yield (failed once under scripts/faults): a
    // bounded wait, which still fails if a child is never destroyed.
    for (int i = 0; i < 100000 && l.load() != 0; ++i) co_await eddy::yield_now();
    EXPECT_EQ(l.load(), 0);
  }(live, never));
}
