#include "eddy/coop.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <utility>

#include "eddy/async_fd.hpp"
#include "eddy/detail/context.hpp"
#include "eddy/runtime.hpp"
#include "support/fds.hpp"
#include "support/rt_helpers.hpp"
#include "support/rt_kinds.hpp"

// The cooperative budget (ports of tokio's coop_budget.rs and rt_common's coop tests).

namespace {

using eddy::Interest;
using eddy::Result;
using eddy::Task;
using eddy_test::Fd;
using eddy_test::make_rt;

// Two non-blocking UDP sockets on loopback, connected to each other.
std::pair<Fd, Fd> udp_pair() {
  auto bind_any = []() {
    Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    EXPECT_GE(s.get(), 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return s;
  };
  auto local = [](int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    return a;
  };
  Fd x = bind_any();
  Fd y = bind_any();
  sockaddr_in ax = local(x.get());
  sockaddr_in ay = local(y.get());
  EXPECT_EQ(::connect(x.get(), reinterpret_cast<sockaddr*>(&ay), sizeof ay), 0);
  EXPECT_EQ(::connect(y.get(), reinterpret_cast<sockaddr*>(&ax), sizeof ax), 0);
  return {std::move(x), std::move(y)};
}

// Counts how often it gets to run, yielding in between, until told to stop.
Task<void> ticker(std::atomic<bool>& stop, std::atomic<int>& ticks) {
  while (!stop.load()) {
    ticks.fetch_add(1);
    co_await eddy::yield_now();
  }
}

}  // namespace

EDDY_RT_SUITE(CoopTest);

TEST_P(CoopTest, UnconstrainedOutsideATask) {
  EXPECT_TRUE(eddy::coop::has_budget_remaining());
  eddy::Waker none;
  EXPECT_TRUE(eddy::coop::poll_proceed(none));
}

// tokio coop_budget.rs: has_budget_remaining is false after 128 consume_budget calls, and the
// next one yields (another task gets to run) and starts a fresh budget.
TEST_P(CoopTest, ConsumeBudgetExhaustsAfter128AndThenYields) {
  EDDY_CURRENT_THREAD_ONLY("counts another task's polls around this task's forced yield; on workers they run in parallel");
  auto rt = make_rt();
  struct Out {
    bool before = false, after_127 = false, after_128 = false, fresh = false;
    int ticks_before = 0, ticks_after = 0;
  };
  auto out = rt.block_on([]() -> Task<Out> {
    Out o;
    std::atomic<bool> stop{false};
    std::atomic<int> ticks{0};
    auto t = eddy::spawn(ticker(stop, ticks));
    co_await eddy::yield_now();  // a fresh poll, and the ticker has ticked once
    o.before = eddy::coop::has_budget_remaining();
    for (unsigned i = 0; i < eddy::coop::kInitialBudget - 1; ++i) co_await eddy::coop::consume_budget();
    o.after_127 = eddy::coop::has_budget_remaining();
    co_await eddy::coop::consume_budget();
    o.after_128 = eddy::coop::has_budget_remaining();
    o.ticks_before = ticks.load();
    co_await eddy::coop::consume_budget();  // no budget: yields first
    o.ticks_after = ticks.load();
    o.fresh = eddy::coop::has_budget_remaining();
    stop = true;
    (void)co_await t;
    co_return o;
  }());
  EXPECT_TRUE(out.before);
  EXPECT_TRUE(out.after_127);
  EXPECT_FALSE(out.after_128);
  EXPECT_EQ(out.ticks_after, out.ticks_before + 1) << "the 129th unit must yield to the other task";
  EXPECT_TRUE(out.fresh);
}

// tokio coop_budget.rs (coop_budget_udp_send_recv): send and receive on an always-ready UDP
// pair; every operation takes one unit, so the loop yields once per 128 operations. A ticker
// task counts the yields.
TEST_P(CoopTest, BudgetUdpSendRecvYieldsEvery128Operations) {
  EDDY_CURRENT_THREAD_ONLY("counts another task's polls between this task's forced yields; on workers they run in parallel");
  auto rt = make_rt();
  auto [x, y] = udp_pair();
  constexpr int kIterations = 1024;  // 2 operations each: 2048 units, 16 budgets
  struct Out {
    int ticks = -1;
    int received = 0;
  };
  auto out = rt.block_on([](int xfd, int yfd) -> Task<Out> {
    Out o;
    auto tx = eddy::AsyncFd<int>::create(std::move(xfd), Interest::WRITABLE);
    auto rx = eddy::AsyncFd<int>::create(std::move(yfd), Interest::READABLE);
    if (!tx || !rx) co_return o;
    // Prime both: the first send makes rx readable, and one yield lets the driver record both
    // readinesses, so that from here on every operation is ready at once.
    auto primed = co_await tx->async_io(Interest::WRITABLE, [&]() -> Result<ssize_t> {
      const ssize_t n = ::send(tx->fd(), "p", 1, 0);
      if (n < 0) return eddy::last_error();
      return n;
    });
    if (!primed) co_return o;
    auto got = co_await rx->async_io(Interest::READABLE, [&]() -> Result<ssize_t> {
      char c;
      const ssize_t n = ::recv(rx->fd(), &c, 1, 0);
      if (n < 0) return eddy::last_error();
      return n;
    });
    if (!got) co_return o;
    std::atomic<bool> stop{false};
    std::atomic<int> ticks{0};
    auto t = eddy::spawn(ticker(stop, ticks));
    co_await eddy::yield_now();  // fresh budget; the ticker ticked once
    const int start = ticks.load();
    for (int i = 0; i < kIterations; ++i) {
      auto s = co_await tx->async_io(Interest::WRITABLE, [&]() -> Result<ssize_t> {
        const ssize_t n = ::send(tx->fd(), "x", 1, 0);
        if (n < 0) return eddy::last_error();
        return n;
      });
      auto r = co_await rx->async_io(Interest::READABLE, [&]() -> Result<ssize_t> {
        char c;
        const ssize_t n = ::recv(rx->fd(), &c, 1, 0);
        if (n < 0) return eddy::last_error();
        return n;
      });
      if (!s || !r) co_return o;
      ++o.received;
    }
    o.ticks = ticks.load() - start;
    stop = true;
    (void)co_await t;
    co_return o;
  }(x.get(), y.get()));
  EXPECT_EQ(out.received, kIterations);
  // 2048 units from a fresh budget: the budget runs out after units 128, 256, ... 1920, and the
  // loop yields on the next operation each time (15 yields); the 16th exhaustion comes with the
  // last operation, which has already completed.
  EXPECT_EQ(out.ticks, 2 * kIterations / static_cast<int>(eddy::coop::kInitialBudget) - 1);
}

// A task looping on an always-writable fd cannot starve another task: the budget forces it to
// yield. The loop stops on its own after a bounded count; the other task must run long before.
TEST_P(CoopTest, AlwaysReadyFdCannotStarveAnotherTask) {
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  constexpr int kLimit = 1'000'000;
  int iterations = rt.block_on([](int fd) -> Task<int> {
    auto w = eddy::AsyncFd<int>::create(std::move(fd), Interest::WRITABLE);
    if (!w) co_return -1;
    (void)co_await w->writable();  // the initial writable edge is recorded
    co_await eddy::yield_now();    // a fresh budget of 128
    std::atomic<bool> other_ran{false};
    auto other = eddy::spawn([](std::atomic<bool>& f) -> Task<void> {
      f = true;
      co_return;
    }(other_ran));
    int i = 0;
    // No write happens: the closure only claims progress, so the fd stays writable forever.
    while (!other_ran.load() && i < kLimit) {
      auto r = co_await w->async_io(Interest::WRITABLE, []() -> Result<int> { return 0; });
      if (!r) co_return -1;
      ++i;
    }
    (void)co_await other;
    co_return i;
  }(a.get()));
  ASSERT_GE(iterations, 0);
  EXPECT_LT(iterations, kLimit);
  // 128 operations on the budget; the 129th yields, the other task runs, and it completes.
  EXPECT_EQ(iterations, static_cast<int>(eddy::coop::kInitialBudget) + 1);
}

// Poll-style readiness takes budget too (and gives it back when it is not ready).
TEST_P(CoopTest, PollReadyConsumesBudgetOnlyWhenReady) {
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  struct Out {
    bool ok = false;
    int ready_polls = 0;
  };
  auto out = rt.block_on([](int fd) -> Task<Out> {
    Out o;
    auto f = eddy::AsyncFd<int>::create(std::move(fd));
    if (!f) co_return o;
    (void)co_await f->writable();  // the driver has seen the initial writable edge
    co_await eddy::yield_now();    // fresh budget
    eddy::Waker none;
    // Not readable: Pending, and no budget taken.
    for (int i = 0; i < 1000; ++i) {
      if (f->poll_read_ready(none)) co_return o;
    }
    if (!eddy::coop::has_budget_remaining()) co_return o;
    while (eddy::coop::has_budget_remaining()) {
      auto r = f->poll_write_ready(none);
      if (!r || !*r) co_return o;
      ++o.ready_polls;
    }
    // Out of budget: even a ready direction reports Pending now.
    o.ok = !f->poll_write_ready(none).is_ready();
    co_return o;
  }(a.get()));
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.ready_polls, static_cast<int>(eddy::coop::kInitialBudget));
}

// Outside a task the budget is "unconstrained" (UINT32_MAX) and operations decrement it without
// testing for that value. If it ever drains (four billion operations), the next operation
// refills it instead of deferring: code outside a runtime never sees Pending for lack of budget.
TEST_P(CoopTest, UnconstrainedBudgetRefillsInsteadOfRunningOut) {
  auto& ctx = eddy::detail::context();
  ASSERT_EQ(ctx.task, nullptr);
  const auto saved = ctx.budget;
  ctx.budget = 1;  // as if the unconstrained budget had nearly drained
  int wakes = 0;
  struct Counter {
    static void* clone(void* d) noexcept { return d; }
    static void wake(void* d) noexcept { ++*static_cast<int*>(d); }
    static void drop(void*) noexcept {}
  };
  static constexpr eddy::WakerVTable kVTable{&Counter::clone, &Counter::wake, &Counter::wake, &Counter::drop};
  const eddy::Waker w = eddy::Waker::from_raw(&wakes, &kVTable);
  EXPECT_TRUE(eddy::coop::has_budget(w));
  eddy::coop::consume_one();
  EXPECT_EQ(ctx.budget, 0u);
  EXPECT_TRUE(eddy::coop::has_budget(w)) << "refilled, not exhausted";
  EXPECT_EQ(ctx.budget, eddy::detail::kUnconstrained);
  EXPECT_EQ(wakes, 0) << "nothing deferred or woken";
  ctx.budget = saved;
}
