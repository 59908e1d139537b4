// block_in_place: on the multi-thread runtime the blocking worker's core goes to another thread
// so that other tasks (their I/O, their timers) keep running, even with a single worker; the
// task resumes after the call on the same thread; nested and repeated calls; exceptions; the
// current-thread runtime and no runtime run the function in place; shutdown waits for it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "eddy/block_in_place.hpp"
#include "eddy/join_handle.hpp"
#include "eddy/net/unix_stream.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/yield_now.hpp"
#include "support/rt_helpers.hpp"

namespace {

using eddy::Builder;
using eddy::JoinHandle;
using eddy::Runtime;
using eddy::Task;
using eddy_test::wait_until;
using namespace std::chrono_literals;

Runtime mt(std::size_t workers) {
  auto rt = Builder::new_multi_thread().worker_threads(workers).enable_all().build();
  EXPECT_TRUE(rt) << rt.error().message();
  return std::move(*rt);
}

// Blocks the calling thread (bounded) until `flag`; true if it was set.
bool wait_flag(const std::atomic<bool>& flag) {
  return wait_until([&] { return flag.load(); }, std::chrono::seconds(10));
}

// A timer then socket I/O; sets `done` when both went through.
Task<bool> timer_and_io(std::atomic<bool>& done) {
  co_await eddy::time::sleep(5ms);
  auto pair = eddy::net::UnixStream::pair();
  if (!pair) co_return false;
  auto& [a, b] = *pair;
  char buf[4];
  for (int i = 0; i < 20; ++i) {
    if (!(co_await a.write_all(eddy::net::ConstBuffer("ping", 4)))) co_return false;
    if (!(co_await b.read_exact(eddy::net::MutableBuffer(buf, 4)))) co_return false;
  }
  done.store(true);
  co_return true;
}

// tokio rt_threaded.rs blocking: with ONE worker, a task blocks in block_in_place until
// another task has slept and done socket I/O. Only a core handed to another thread can run
// that task: without the hand-off this waits out its 10 s bound and fails.
TEST(BlockInPlace, OtherTasksRunTimersAndIoWhileTheOnlyWorkerBlocks) {
  Runtime rt = mt(1);
  std::atomic<bool> done{false};
  const bool ok = rt.block_on([](std::atomic<bool>& d) -> Task<bool> {
    JoinHandle<bool> blocker = eddy::spawn([](std::atomic<bool>& d2) -> Task<bool> {
      co_return eddy::block_in_place([&] { return wait_flag(d2); });
    }(d));
    JoinHandle<bool> other = eddy::spawn(timer_and_io(d));
    auto a = co_await blocker;
    auto b = co_await other;
    co_return a && *a && b && *b;
  }(done));
  EXPECT_TRUE(ok);
  EXPECT_EQ(rt.handle().metrics().workers, 1u);
}

// The code between block_in_place and the task's next suspension runs on the calling thread;
// the function's value comes back; the call can be repeated many times in one task, and a
// call inside the function runs in place (nested).
TEST(BlockInPlace, SameThreadUntilNextSuspensionRepeatedAndNested) {
  Runtime rt = mt(2);
  const int sum = rt.block_on([]() -> Task<int> {
    int s = 0;
    for (int i = 0; i < 200; ++i) {
      const auto before = std::this_thread::get_id();
      const int v = eddy::block_in_place([&] {
        const auto inside = std::this_thread::get_id();
        return eddy::block_in_place([&] { return inside == std::this_thread::get_id() ? 1 : -1000; });
      });
      if (std::this_thread::get_id() != before) s -= 1000;
      s += v;
      if (i % 3 == 0) co_await eddy::yield_now();
      if (i % 7 == 0) co_await eddy::time::sleep(100us);
    }
    co_return s;
  }());
  EXPECT_EQ(sum, 200);
}

// Many tasks blocking at once on two workers, while others do timers and I/O: every task
// finishes, more threads than workers take turns running the two cores. Bounded for TSan.
TEST(BlockInPlace, ManyConcurrentBlockersAndWorkersStress) {
  for (int round = 0; round < 5; ++round) {
    Runtime rt = mt(2);
    std::atomic<int> blocked_done{0};
    std::atomic<bool> io_done{false};
    const int n = rt.block_on([](std::atomic<int>& bd, std::atomic<bool>& iod) -> Task<int> {
      std::vector<JoinHandle<int>> hs;
      for (int i = 0; i < 16; ++i) {
        hs.push_back(eddy::spawn([](std::atomic<int>& c) -> Task<int> {
          for (int k = 0; k < 5; ++k) {
            eddy::block_in_place([] { std::this_thread::sleep_for(200us); });
            co_await eddy::yield_now();
          }
          c.fetch_add(1);
          co_return 1;
        }(bd)));
      }
      JoinHandle<bool> io = eddy::spawn(timer_and_io(iod));
      int s = 0;
      for (auto& h : hs) {
        auto r = co_await h;
        if (r) s += *r;
      }
      auto r = co_await io;
      if (r && *r) s += 100;
      co_return s;
    }(blocked_done, io_done));
    EXPECT_EQ(n, 116);
    EXPECT_EQ(blocked_done.load(), 16);
  }
}

// An exception thrown by the function propagates; the task goes on and the runtime still runs
// tasks on every core afterwards.
TEST(BlockInPlace, ExceptionPropagatesAndRuntimeKeepsWorking) {
  Runtime rt = mt(1);
  const int r = rt.block_on([]() -> Task<int> {
    int caught = 0;
    for (int i = 0; i < 20; ++i) {
      try {
        eddy::block_in_place([]() -> int { throw std::runtime_error("boom"); });
      } catch (const std::runtime_error&) {
        ++caught;
      }
      co_await eddy::yield_now();
    }
    auto h = eddy::spawn([]() -> Task<int> { co_return 7; }());
    auto v = co_await h;
    co_return caught + (v ? *v : 0);
  }());
  EXPECT_EQ(r, 27);
}

// Dropping the runtime while a task is inside block_in_place: the shutdown waits for the
// function, then destroys the task's frame once.
TEST(BlockInPlace, ShutdownWaitsForTheRunningFunction) {
  std::atomic<bool> entered{false};
  std::atomic<bool> release{false};
  std::atomic<bool> function_returned{false};
  std::atomic<int> live{0};
  {
    Runtime rt = mt(2);
    rt.spawn([](std::atomic<bool>& e, std::atomic<bool>& rel, std::atomic<bool>& ret,
                eddy_test::Counted c) -> Task<void> {
      eddy::block_in_place([&] {
        e.store(true);
        wait_flag(rel);
        ret.store(true);
      });
      co_await eddy::time::sleep(std::chrono::hours(1));  // still pending at shutdown
      (void)c;
    }(entered, release, function_returned, eddy_test::Counted(live))).detach();
    ASSERT_TRUE(wait_until([&] { return entered.load(); }));
    std::thread releaser([&] {
      std::this_thread::sleep_for(20ms);
      release.store(true);
    });
    rt.shutdown();
    EXPECT_TRUE(function_returned.load());
    releaser.join();
  }
  EXPECT_EQ(live.load(), 0);
}

// The current-thread runtime runs the function in place: no other task of the runtime runs
// meanwhile (a task already queued runs only after the call).
TEST(BlockInPlace, CurrentThreadRunsInPlace) {
  auto built = Builder::new_current_thread().enable_all().build();
  ASSERT_TRUE(built);
  Runtime rt = std::move(*built);
  const bool ok = rt.block_on([]() -> Task<bool> {
    std::atomic<bool> other_ran{false};
    auto h = eddy::spawn([](std::atomic<bool>& o) -> Task<void> {
      o.store(true);
      co_return;
    }(other_ran));
    const auto me = std::this_thread::get_id();
    const bool during = eddy::block_in_place([&] {
      std::this_thread::sleep_for(5ms);
      return other_ran.load() || std::this_thread::get_id() != me;
    });
    (void)co_await h;
    co_return !during && other_ran.load();
  }());
  EXPECT_TRUE(ok);
}

// Outside any runtime: the function runs in place.
TEST(BlockInPlace, OutsideRuntimeRunsInPlace) {
  EXPECT_EQ(eddy::block_in_place([] { return 41 + 1; }), 42);
}

}  // namespace
