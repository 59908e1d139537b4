#include "eddy/runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "eddy/join_handle.hpp"
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

// One regression test per runtime bug found while testing the runtime.

namespace {

using eddy::Error;
using eddy::JoinHandle;
using eddy::Result;
using eddy::Task;
using eddy_test::Counted;
using eddy_test::make_rt;

}  // namespace

// Bug: abort() that arrived while a task was running, in the poll that then finished it, left
// the CANCELLED bit set on a finished task. Its JoinHandle reported Error::cancelled although the
// frame (holding the result) was still alive, breaking the rule that "cancelled" means the frame
// is gone, and the result (or its exception) was silently lost. As in tokio, a task that
// completes wins over an abort that came too late: the JoinHandle gets the result.
EDDY_RT_SUITE(RegressionsRuntimeTest);

TEST_P(RegressionsRuntimeTest, AbortDuringTheFinalPollKeepsTheResult) {
  auto rt = make_rt();
  std::atomic<int> live{0};
  struct Out {
    Result<int> r = Error::timed_out;
    int live_after_join = -1;
  };
  auto out = rt.block_on([](std::atomic<int>& l) -> Task<Out> {
    auto slot = std::make_shared<JoinHandle<int>*>(nullptr);
    auto h = eddy::spawn([](std::shared_ptr<JoinHandle<int>*> self, Counted c) -> Task<int> {
      (void)c;
      (*self)->abort();  // aborts itself, then finishes in the same poll
      co_return 6;
    }(slot, Counted(l)));
    *slot = &h;
    Out o;
    o.r = co_await h;
    o.live_after_join = l.load();
    co_return o;
  }(live));
  ASSERT_TRUE(out.r) << out.r.error().message();
  EXPECT_EQ(*out.r, 6);
  EXPECT_EQ(out.live_after_join, 0) << "the finished frame is destroyed at completion; only its result stays";
  EXPECT_EQ(live.load(), 0);
}

// Bug: a wake from another thread that marked a task SCHEDULED just before shutdown completed it,
// but queued it only after shutdown's last look at the injection queue, left the task in that
// queue for good. The queued reference kept the task alive, the task kept the runtime's shared
// state alive, and that state owned the queue: a leak of the runtime (its I/O driver handle, its
// epoll fd). The easiest way to hit it is spawning from another thread while the runtime drops.
// Detected here by the I/O driver handle outliving everything that should hold it.
TEST_P(RegressionsRuntimeTest, WakeRacingShutdownDoesNotLeakTheRuntime) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int iterations = 0;
  while (iterations < 400 && std::chrono::steady_clock::now() < deadline) {
    ++iterations;
    std::weak_ptr<eddy::io::Handle> io;
    std::atomic<bool> stop{false};
    std::atomic<int> spawned{0};
    std::thread spawner;
    {
      auto rt = make_rt();
      io = rt.handle().io_handle();
      spawner = std::thread([&stop, &spawned, rh = rt.handle()] {
        while (!stop.load(std::memory_order_relaxed)) {
          rh.spawn([]() -> Task<void> { co_return; }()).detach();
          spawned.fetch_add(1, std::memory_order_relaxed);
        }
      });
      while (spawned.load() < 20) std::this_thread::yield();
    }  // shutdown races with the spawner
    stop = true;
    spawner.join();
    ASSERT_TRUE(io.expired()) << "iteration " << iterations << ": the runtime leaked";
  }
}
