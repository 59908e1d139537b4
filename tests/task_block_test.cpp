// One allocation per task (eddy/detail/task_frame.hpp): a spawned task's header and output slot
// live in the prefix of its frame's block. These tests check what co-location could break: the
// frame's objects (parameters, locals) still go at completion or abort while the header and the
// block live on for the JoinHandle and stray wakers; wakers and handles dropped in any order;
// children of timeout() (whose headers share their frame's block too); and many spawns and
// finishes across threads. ASan and TSan runs check the block is freed once, by the last owner.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eddy/detail/task_cell.hpp"
#include "eddy/join_handle.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/timeout.hpp"
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

namespace {

using eddy::Task;
using eddy_test::Counted;
using eddy_test::make_rt;
using eddy_test::Notify;

// Owns the write end of a pipe: when it is destroyed, a read on the other end sees end-of-file.
class WriteEnd {
 public:
  explicit WriteEnd(int fd) noexcept : fd_(fd) {}
  WriteEnd(WriteEnd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  WriteEnd(const WriteEnd&) = delete;
  WriteEnd& operator=(const WriteEnd&) = delete;
  WriteEnd& operator=(WriteEnd&&) = delete;
  ~WriteEnd() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_;
};

// 0: the pipe's write end is closed (EOF); 1: still open (the read would block); -1: error.
int write_end_state(int read_fd) {
  char c;
  const ssize_t n = ::read(read_fd, &c, 1);
  if (n == 0) return 0;
  if (n < 0 && errno == EAGAIN) return 1;
  return -1;
}

// Stores a clone of the polling task's waker in `out`, then is ready: the task goes on with a
// waker of its own alive outside it.
class KeepWaker : public eddy::detail::PollAwaiter<KeepWaker, bool> {
 public:
  explicit KeepWaker(eddy::Waker& out) noexcept : out_(&out) {}
  eddy::Poll<bool> poll(const eddy::Waker& w) {
    out_->clone_from(w);
    return true;
  }

 private:
  eddy::Waker* out_;
};

Task<int> nested_wait(Notify& n, std::atomic<int>& live) {
  Counted inner(live);
  (void)co_await n.wait();
  co_return 1;
}

}  // namespace

EDDY_RT_SUITE(TaskBlockTest);

// A parameter that owns a file descriptor is destroyed (the fd closed) when the task completes,
// while its JoinHandle is still held; the output is still there afterwards.
TEST_P(TaskBlockTest, ParameterOwningAnFdIsReleasedAtCompletionWhileTheHandleIsHeld) {
  std::array<int, 2> p{};
  ASSERT_EQ(::pipe2(p.data(), O_NONBLOCK | O_CLOEXEC), 0);
  auto rt = make_rt();
  auto state_while_held = rt.block_on([](int rd, int wr) -> Task<int> {
    auto h = eddy::spawn([](WriteEnd w, std::string s) -> Task<std::string> {
      (void)w;
      co_return s + "!";
    }(WriteEnd(wr), std::string("done")));
    while (!h.is_finished()) co_await eddy::yield_now();
    const int state = write_end_state(rd);  // the handle is held, its result not taken yet
    auto r = co_await h;
    co_return r && *r == "done!" ? state : 100 + state;
  }(p[0], p[1]));
  EXPECT_EQ(state_while_held, 0) << "the fd lived on in the finished frame (or the result was lost)";
  ::close(p[0]);
}

// The output is readable after completion while wakers of the task are still alive, and a wake
// of the finished task through them does nothing; the handle and the waker go in either order.
TEST_P(TaskBlockTest, OutputReadableWithWakersAliveAndDroppedInEitherOrder) {
  auto rt = make_rt();
  for (const bool waker_last : {true, false}) {
    std::atomic<int> live{0};
    eddy::Waker kept;
    auto h = rt.block_on([](eddy::Waker& k, std::atomic<int>& l) -> Task<eddy::JoinHandle<std::string>> {
      auto inner = eddy::spawn([](eddy::Waker& k2, Counted c) -> Task<std::string> {
        (void)c;
        co_await KeepWaker(k2);
        co_return std::string(40, 'x');  // beyond the small-string buffer: owns heap memory
      }(k, Counted(l)));
      while (!inner.is_finished()) co_await eddy::yield_now();
      co_return inner;
    }(kept, live));
    ASSERT_TRUE(h.is_finished());
    EXPECT_EQ(live.load(), 0) << "frame alive after completion";
    ASSERT_TRUE(static_cast<bool>(kept));
    EXPECT_EQ(kept.data(), static_cast<void*>(h.header())) << "not the task's own waker";
    kept.wake_by_ref();  // a finished task: nothing happens
    auto r = h.take();
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, std::string(40, 'x'));
    if (waker_last) {
      h.detach();
      kept.wake_by_ref();
      kept = eddy::Waker();
    } else {
      kept.wake();  // consumes the waker's reference
      h.detach();
    }
  }
}

// Abort of a task suspended inside a nested sub-task (whose frame has the prefix unused): both
// frames' locals go at the abort, the handle reports cancelled, and the stray waker left in the
// Notify neither wakes anything nor keeps the frames alive.
TEST_P(TaskBlockTest, AbortMidSuspensionDestroysBothFramesAndLeavesTheHandleReadable) {
  auto rt = make_rt();
  std::atomic<int> live{0};
  Notify n;
  auto r = rt.block_on([](Notify& nn, std::atomic<int>& l) -> Task<int> {
    auto h = eddy::spawn([](Notify& n2, std::atomic<int>& l2) -> Task<int> {
      Counted outer(l2);
      co_return co_await nested_wait(n2, l2) + 1;
    }(nn, l));
    while (l.load() < 2) co_await eddy::yield_now();  // suspended in nested_wait
    h.abort();
    auto res = co_await h;
    const int live_after = l.load();
    co_return (!res && res.error() == eddy::Error::cancelled ? 0 : 100) + live_after;
  }(n, live));
  EXPECT_EQ(r, 0) << "not cancelled (>= 100) or frames alive after the abort";
  n.notify();  // wakes the stale waker of the aborted task: must do nothing
  eddy_test::pump(rt);
  EXPECT_EQ(live.load(), 0);
}

// A timeout's child task (its header also in its frame's block) that times out: its frame goes
// at once; a waker it left behind outlives both it and the Timeout.
TEST_P(TaskBlockTest, TimedOutChildFreesItsFrameAndStrayWakersStaySafe) {
  auto rt = make_rt();
  std::atomic<int> live{0};
  Notify n;
  auto timed_out = rt.block_on([](Notify& nn, std::atomic<int>& l) -> Task<bool> {
    auto r = co_await eddy::time::timeout(std::chrono::milliseconds(5), nested_wait(nn, l));
    co_return !r;
  }(n, live));
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(live.load(), 0);
  n.notify();  // the child's stale waker
  eddy_test::pump(rt);
  n.reset();
}

// A frame too large for the frame cache's classes, spawned and awaited: the block comes from the
// global allocator and goes back there (ASan checks sizes and frees).
TEST_P(TaskBlockTest, LargeFrameSpawnsAndJoins) {
  auto rt = make_rt();
  auto v = rt.block_on([]() -> Task<int> {
    auto h = eddy::spawn([]() -> Task<int> {
      std::array<char, 2000> big{};
      std::memset(big.data(), 3, big.size());
      co_await eddy::yield_now();  // keeps `big` in the frame across a suspension
      int s = 0;
      for (char c : big) s += c;
      co_return s;
    }());
    auto r = co_await h;
    co_return r ? *r : -1;
  }());
  EXPECT_EQ(v, 6000);
}

// Many spawns and finishes across threads (bounded): tasks spawned from outside threads and
// from tasks, finished on any worker, half joined, half detached, some waking each other; every
// frame goes and every block is freed once (TSan and ASan check the hand-offs).
TEST_P(TaskBlockTest, ManySpawnsAndFinishesAcrossThreads) {
  auto rt = make_rt();
  constexpr int kThreads = 3;
  constexpr int kPerThread = 300;
  std::atomic<int> live{0};
  std::atomic<int> sum{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<eddy::JoinHandle<int>> joined;
      for (int i = 0; i < kPerThread; ++i) {
        auto h = rt.spawn([](Counted c, int v, std::atomic<int>& s) -> Task<int> {
          (void)c;
          if (v % 3 == 0) co_await eddy::yield_now();
          // A child spawned from the task, detached: finishes wherever it is picked up.
          eddy::spawn([](Counted c2, std::atomic<int>& s2) -> Task<void> {
            (void)c2;
            s2.fetch_add(1);
            co_return;
          }(Counted(c), s))
              .detach();
          co_return v;
        }(Counted(live), t * kPerThread + i, sum));
        if (i % 2 == 0) joined.push_back(std::move(h));
        else h.detach();
      }
      long total = 0;
      for (auto& h : joined) {
        ASSERT_TRUE(eddy_test::wait_until([&] { return h.is_finished(); }));
        auto r = h.take();
        ASSERT_TRUE(r);
        total += *r;
      }
      long expect = 0;
      for (int i = 0; i < kPerThread; i += 2) expect += t * kPerThread + i;
      EXPECT_EQ(total, expect);
    });
  }
  // The current-thread kind runs tasks only inside block_on: drive it until all are done.
  const bool all_done = eddy_test::wait_until([&] {
    eddy_test::pump(rt);
    return sum.load() == kThreads * kPerThread && live.load() == 0;
  });
  for (auto& th : threads) th.join();
  EXPECT_TRUE(all_done) << "children run: " << sum.load() << ", frames alive: " << live.load();
}

// Blocks of frames that were never spawned (awaited sub-tasks, a Task dropped unstarted) are
// freed by the frame's own operator delete; a spawned task's frame stays aligned behind the
// prefix, and its root is gone (header and output kept) once it finished.
TEST(TaskBlock, UnspawnedFramesFreeTheirOwnBlocksAndHeadersSitBeforeTheFrame) {
  std::atomic<int> live{0};
  {
    auto t = [](Counted c) -> Task<int> {
      (void)c;
      co_return 1;
    }(Counted(live));
    EXPECT_EQ(live.load(), 1);
  }  // dropped unstarted: its frame and block go here
  EXPECT_EQ(live.load(), 0);
  auto rt = eddy::Builder::new_current_thread().build();
  ASSERT_TRUE(rt);
  Notify n;
  auto h = rt->block_on([](Notify& nn) -> Task<eddy::JoinHandle<int>> {
    co_return eddy::spawn([](Notify& n2) -> Task<int> {
      (void)co_await n2.wait();
      co_return 5;
    }(nn));
  }(n));
  eddy::detail::TaskHeader* hdr = h.header();
  ASSERT_NE(hdr, nullptr);
  // The frame keeps the allocator's alignment behind the prefix (a prefix not a multiple of 16
  // would misalign every spawned frame).
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(hdr->frame().address()) % 16, 0u);
  EXPECT_TRUE(hdr->root());
  n.notify();
  ASSERT_TRUE(eddy_test::wait_until([&] {
    eddy_test::pump(*rt);
    return h.is_finished();
  }));
  EXPECT_FALSE(hdr->root());  // the frame is gone, the header and output stay
  auto r = h.take();
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 5);
}
