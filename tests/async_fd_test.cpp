#include "eddy/async_fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "support/fds.hpp"
#include "support/rt_helpers.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// AsyncFd<T>: ports of tokio's io_async_fd.rs. Tests that need to observe "pending" poll the
// awaiters directly with TestWakers from the test thread and let the runtime turn its driver in
// between (pump), so no timing is involved.

namespace {

using eddy::AsyncFd;
using eddy::AsyncFdReadyGuard;
using eddy::Error;
using eddy::Interest;
using eddy::OwnedFd;
using eddy::Ready;
using eddy::Result;
using eddy::Task;
using eddy_test::Fd;
using eddy_test::make_rt;
using eddy_test::pump;
using eddy_test::TestWaker;

// Registers `fd` with `rt`'s driver from outside block_on.
template <class T>
AsyncFd<T> register_fd(eddy::Runtime& rt, T inner, Interest interest = Interest::READABLE | Interest::WRITABLE) {
  auto r = AsyncFd<T>::create(std::move(inner), interest, rt.handle().io_handle());
  EXPECT_TRUE(r) << r.error().message();
  return std::move(*r);
}

bool fd_is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// Writes until the socket's buffer is full.
void fill(int fd) {
  static const char buf[4096] = {};
  while (::write(fd, buf, sizeof buf) > 0) {
  }
}

Result<ssize_t> read_some(int fd) {
  char buf[64];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0) return eddy::last_error();
  return n;
}

}  // namespace

EDDY_RT_SUITE(AsyncFdTest);

TEST_P(AsyncFdTest, InitiallyWritable) {
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  auto afd = register_fd(rt, a.get());
  pump(rt);
  TestWaker w;
  auto wr = afd.poll_write_ready(w.waker());
  // On the multi-thread kind pump() does not wait for the driver turn that delivers the
  // readiness (the yielding worker's try-lock may find the driver held by the other, parked
  // one): pump again, a bounded number of times.
  for (int i = 0; i < 2000 && !wr.is_ready(); ++i) {
    pump(rt);
    wr = afd.poll_write_ready(w.waker());
  }
  ASSERT_TRUE(wr.is_ready());
  ASSERT_TRUE(*wr);
  EXPECT_TRUE((*wr)->ready().is_writable());
  EXPECT_FALSE(afd.poll_read_ready(w.waker()).is_ready()) << "a fresh socketpair is not readable";
}

// Readiness persists after a read until it is cleared; retain_ready keeps it; after clear_ready
// a wait is pending until new data arrives.
TEST_P(AsyncFdTest, ResetReadable) {
  EDDY_CURRENT_THREAD_ONLY("checks readiness from the test thread right after pump(); on workers the driver turn that delivers it runs concurrently");
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  auto afd = register_fd(rt, a.get(), Interest::READABLE);
  pump(rt);

  TestWaker w1;
  auto first = afd.readable();
  EXPECT_FALSE(first.poll(w1.waker()).is_ready());
  eddy_test::write_byte(b.get());
  pump(rt);
  EXPECT_EQ(w1.woken(), 1);
  auto g1 = first.poll(w1.waker());
  ASSERT_TRUE(g1.is_ready() && *g1);
  EXPECT_EQ(eddy_test::drain(a.get()), 1u);
  // The fd is no longer readable, but nothing has seen a would-block yet: still ready.
  g1.reset();  // drop the guard without clearing

  auto second = afd.readable();
  TestWaker w2;
  auto g2 = second.poll(w2.waker());
  ASSERT_TRUE(g2.is_ready() && *g2) << "readiness must persist until it is cleared";
  (*g2)->retain_ready();
  auto third = afd.readable();
  auto g3 = third.poll(w2.waker());
  ASSERT_TRUE(g3.is_ready() && *g3) << "retain_ready keeps it";
  (*g3)->clear_ready();
  EXPECT_TRUE((*g3)->ready().is_empty());

  auto fourth = afd.readable();
  TestWaker w4;
  EXPECT_FALSE(fourth.poll(w4.waker()).is_ready()) << "cleared: pending until new data";
  pump(rt);
  EXPECT_EQ(w4.woken(), 0);
  eddy_test::write_byte(b.get());
  pump(rt);
  EXPECT_EQ(w4.woken(), 1);
  auto g4 = fourth.poll(w4.waker());
  ASSERT_TRUE(g4.is_ready() && *g4);
  EXPECT_TRUE((*g4)->ready().is_readable());
}

// Writing until would-block clears writability; draining the peer makes it writable again.
TEST_P(AsyncFdTest, ResetWritable) {
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  auto afd = register_fd(rt, a.get(), Interest::WRITABLE);
  bool ok = rt.block_on([](AsyncFd<int>& f, int peer) -> Task<bool> {
    auto g = co_await f.writable();
    if (!g) co_return false;
    // Fill through the guard: the would-block clears writability.
    Result<ssize_t> r = 0;
    static const char buf[4096] = {};
    while (r) {
      r = g->try_io([&]() -> Result<ssize_t> {
        const ssize_t n = ::write(f.fd(), buf, sizeof buf);
        if (n < 0) return eddy::last_error();
        return n;
      });
    }
    if (!eddy::io::is_would_block(r.error()) || !g->ready().is_empty()) co_return false;
    // Pending until the peer drains.
    TestWaker w;
    auto pending = f.writable();
    if (pending.poll(w.waker()).is_ready()) co_return false;
    co_await eddy::yield_now();
    if (w.woken() != 0) co_return false;
    eddy_test::drain(peer);
    auto g2 = co_await f.writable();
    co_return g2 && g2->ready().is_writable();
  }(afd, b.get()));
  EXPECT_TRUE(ok);
}

// guard try_io: Ok keeps readiness, WouldBlock clears it; new data wakes again.
TEST_P(AsyncFdTest, GuardTryIo) {
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  auto afd = register_fd(rt, a.get(), Interest::READABLE);
  eddy_test::write_byte(b.get());
  bool ok = rt.block_on([](AsyncFd<int>& f, int peer) -> Task<bool> {
    auto g = co_await f.readable();
    if (!g) co_return false;
    auto r1 = g->try_io([&] { return read_some(f.fd()); });
    if (!r1 || *r1 != 1 || !g->ready().is_readable()) co_return false;  // Ok: kept
    auto r2 = g->try_io([&] { return read_some(f.fd()); });
    if (r2 || !eddy::io::is_would_block(r2.error()) || !g->ready().is_empty()) co_return false;  // cleared
    TestWaker w;
    auto again = f.readable();
    if (again.poll(w.waker()).is_ready()) co_return false;
    eddy_test::write_byte(peer);
    auto g2 = co_await f.readable();
    co_return g2 && g2->ready().is_readable();
  }(afd, b.get()));
  EXPECT_TRUE(ok);
}

// AsyncFd::try_io: the closure runs only when ready; would-block clears the readiness.
TEST_P(AsyncFdTest, TryIoReadable) {
  EDDY_CURRENT_THREAD_ONLY("checks readiness from the test thread right after pump(); on workers the driver turn that delivers it runs concurrently");
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  auto afd = register_fd(rt, a.get(), Interest::READABLE);
  pump(rt);
  int calls = 0;
  auto counted_read = [&] {
    ++calls;
    return read_some(afd.fd());
  };
  auto r = afd.try_io(Interest::READABLE, counted_read);
  EXPECT_TRUE(!r && eddy::io::is_would_block(r.error()));
  EXPECT_EQ(calls, 0) << "not ready: the closure is not called";
  eddy_test::write_byte(b.get());
  pump(rt);
  r = afd.try_io(Interest::READABLE, counted_read);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 1);
  EXPECT_EQ(calls, 1);
  r = afd.try_io(Interest::READABLE, counted_read);
  EXPECT_TRUE(!r && eddy::io::is_would_block(r.error()));
  EXPECT_EQ(calls, 2) << "still marked ready: the closure runs and sees would-block";
  r = afd.try_io(Interest::READABLE, counted_read);
  EXPECT_EQ(calls, 2) << "the would-block cleared the readiness";
}

TEST_P(AsyncFdTest, TryIoWritable) {
  EDDY_CURRENT_THREAD_ONLY("asserts no readiness before the test pumps the driver; a worker parked on it reports readiness at once");
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  auto afd = register_fd(rt, a.get(), Interest::WRITABLE);
  int calls = 0;
  auto counted_write = [&]() -> Result<ssize_t> {
    ++calls;
    static const char buf[4096] = {};
    const ssize_t n = ::write(afd.fd(), buf, sizeof buf);
    if (n < 0) return eddy::last_error();
    return n;
  };
  auto r = afd.try_io(Interest::WRITABLE, counted_write);
  EXPECT_EQ(calls, 0) << "the driver has not reported writability yet";
  pump(rt);
  do {
    r = afd.try_io(Interest::WRITABLE, counted_write);
  } while (r);
  EXPECT_TRUE(eddy::io::is_would_block(r.error()));
  const int after_full = calls;
  r = afd.try_io(Interest::WRITABLE, counted_write);
  EXPECT_EQ(calls, after_full) << "the would-block cleared writability";
  eddy_test::drain(b.get());
  pump(rt);
  r = afd.try_io(Interest::WRITABLE, counted_write);
  EXPECT_TRUE(r);
  EXPECT_EQ(calls, after_full + 1);
}

// With ready = R|W, clearing R leaves W (through the guard, and in the driver).
TEST_P(AsyncFdTest, ClearReadyMatchingClearsReady) {
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  auto afd = register_fd(rt, a.get());
  eddy_test::write_byte(b.get());
  // Wait until the driver has seen the byte: on the multi-thread kind a worker polls the driver
  // on its own schedule, and pump() does not order that before the direct polls below.
  rt.block_on([](AsyncFd<int>& f) -> Task<void> { (void)co_await f.readable(); }(afd));
  TestWaker w;
  auto ready = afd.ready(Interest::READABLE | Interest::WRITABLE);
  auto g = ready.poll(w.waker());
  ASSERT_TRUE(g.is_ready() && *g);
  EXPECT_EQ((*g)->ready(), Ready::READABLE | Ready::WRITABLE);
  (*g)->clear_ready_matching(Ready::READABLE);
  EXPECT_EQ((*g)->ready(), Ready::WRITABLE);
  // The driver's view: not readable, still writable.
  EXPECT_FALSE(afd.poll_read_ready(w.waker()).is_ready());
  auto wr = afd.poll_write_ready(w.waker());
  ASSERT_TRUE(wr.is_ready() && *wr);
  (*g)->clear_ready_matching(Ready::WRITABLE);
  EXPECT_TRUE((*g)->ready().is_empty());
  EXPECT_FALSE(afd.poll_write_ready(w.waker()).is_ready());
}

// 10 tasks waiting on readable() for one fd are all woken by one event.
TEST_P(AsyncFdTest, MultipleWaiters) {
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  auto afd = register_fd(rt, a.get(), Interest::READABLE);
  int woken = rt.block_on([](AsyncFd<int>& f, int peer) -> Task<int> {
    std::atomic<int> count{0};
    std::vector<eddy::JoinHandle<void>> hs;
    for (int i = 0; i < 10; ++i) {
      hs.push_back(eddy::spawn([](AsyncFd<int>& ff, std::atomic<int>& c) -> Task<void> {
        auto g = co_await ff.readable();
        if (g && g->ready().is_readable()) c.fetch_add(1);
      }(f, count)));
    }
    co_await eddy::yield_now();  // all ten are waiting now
    if (count.load() != 0) co_return -1;
    eddy_test::write_byte(peer);
    for (auto& h : hs) (void)co_await h;
    co_return count.load();
  }(afd, b.get()));
  EXPECT_EQ(woken, 10);
}

// Poll-style slots keep only the last waker; the read and write slots are independent; a
// future waiter and a slot waiter both wake.
TEST_P(AsyncFdTest, PollFns) {
  EDDY_CURRENT_THREAD_ONLY("checks readiness from the test thread right after pump(); on workers the driver turn that delivers it runs concurrently");
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  fill(a.get());
  auto afd = register_fd(rt, a.get());
  pump(rt);
  TestWaker first_reader, last_reader, writer, future_waiter;
  EXPECT_FALSE(afd.poll_read_ready(first_reader.waker()).is_ready());
  EXPECT_FALSE(afd.poll_read_ready(last_reader.waker()).is_ready());
  EXPECT_FALSE(afd.poll_write_ready(writer.waker()).is_ready()) << "the send buffer is full";
  auto fut = afd.readable();
  EXPECT_FALSE(fut.poll(future_waiter.waker()).is_ready());
  EXPECT_EQ(first_reader.outstanding(), 0) << "the slot dropped the replaced waker";

  eddy_test::write_byte(b.get());
  pump(rt);
  EXPECT_EQ(first_reader.woken(), 0) << "only the last waker of a slot is kept";
  EXPECT_EQ(last_reader.woken(), 1);
  EXPECT_EQ(future_waiter.woken(), 1);
  EXPECT_EQ(writer.woken(), 0) << "a read event does not wake the write slot";

  eddy_test::drain(b.get());
  pump(rt);
  EXPECT_EQ(writer.woken(), 1);
  auto wr = afd.poll_write_ready(writer.waker());
  EXPECT_TRUE(wr.is_ready() && *wr);
}

// AsyncFd<OwnedFd> closes its fd; AsyncFd<int> does not; into_inner closes nothing.
TEST_P(AsyncFdTest, DropCloses) {
  auto rt = make_rt();
  auto raw_pair = [](int sv[2]) {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  };
  {
    int sv[2];
    raw_pair(sv);
    Fd peer(sv[1]);
    {
      auto r = AsyncFd<OwnedFd>::create(OwnedFd(sv[0]), Interest::READABLE, rt.handle().io_handle());
      ASSERT_TRUE(r);
      EXPECT_EQ(r->fd(), sv[0]);
      EXPECT_TRUE(fd_is_open(sv[0]));
    }
    EXPECT_FALSE(fd_is_open(sv[0])) << "AsyncFd<OwnedFd> closes on destruction";
  }
  {
    auto [a, b] = eddy_test::make_socketpair();
    { auto afd = register_fd(rt, a.get()); }
    EXPECT_TRUE(fd_is_open(a.get())) << "AsyncFd<int> never closes";
  }
  {
    int sv[2];
    raw_pair(sv);
    Fd peer(sv[1]);
    auto afd = register_fd(rt, OwnedFd(sv[0]));
    OwnedFd back = std::move(afd).into_inner();
    EXPECT_EQ(back.fd(), sv[0]);
    EXPECT_TRUE(fd_is_open(sv[0])) << "into_inner hands the fd back open";
  }
}

// into_inner then create again on the same fd succeeds.
TEST_P(AsyncFdTest, Reregister) {
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  const auto& metrics = *rt.handle().io_metrics();
  const auto base = metrics.fd_count();
  auto afd = register_fd(rt, a.get(), Interest::READABLE);
  EXPECT_EQ(metrics.fd_count(), base + 1);
  int fd = std::move(afd).into_inner();
  EXPECT_EQ(metrics.fd_count(), base);
  auto again = AsyncFd<int>::create(std::move(fd), Interest::READABLE, rt.handle().io_handle());
  ASSERT_TRUE(again) << again.error().message();
  eddy_test::write_byte(b.get());
  bool ok = rt.block_on([](AsyncFd<int>& f) -> Task<bool> {
    auto g = co_await f.readable();
    co_return g && g->ready().is_readable();
  }(*again));
  EXPECT_TRUE(ok);
}

// A failed create leaves the caller's object intact (epoll refuses regular files: EPERM).
TEST_P(AsyncFdTest, FailedCreateLeavesTheObjectWithTheCaller) {
  auto rt = make_rt();
  const int mfd = ::memfd_create("eddy-async-fd-test", MFD_CLOEXEC);
  ASSERT_GE(mfd, 0);
  OwnedFd owned(mfd);
  auto r = AsyncFd<OwnedFd>::create(std::move(owned), Interest::READABLE, rt.handle().io_handle());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::operation_not_permitted);
  EXPECT_EQ(owned.fd(), mfd) << "the OwnedFd was not moved from";  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(fd_is_open(mfd));
  EXPECT_EQ(rt.handle().io_metrics()->fd_count(), 0u);
}

// A task waiting on readable() when the runtime is dropped: its frame is destroyed (the AsyncFd
// inside deregisters cleanly); a waiter outside any task gets Error::shutdown, now and later.
TEST_P(AsyncFdTest, DriverShutdownWakesCurrentlyPending) {
  std::atomic<int> live{0};
  auto [a, b] = eddy_test::make_socketpair();
  auto [c, d] = eddy_test::make_socketpair();
  std::optional<AsyncFd<int>> outside;
  TestWaker w;
  std::optional<AsyncFd<int>::ReadyAwaiter> pending;
  {
    auto rt = make_rt();
    rt.spawn([](int fd, std::atomic<int>& l) -> Task<void> {
      eddy_test::Counted cnt(l);
      auto f = AsyncFd<int>::create(std::move(fd), Interest::READABLE);
      if (!f) co_return;
      (void)co_await f->readable();
      ADD_FAILURE() << "never readable";
    }(a.get(), live))
        .detach();
    pump(rt);
    // (On workers the task may start after pump's block_on returns.)
    EXPECT_TRUE(eddy_test::wait_until([&] { return live.load() == 1; }));
    outside.emplace(register_fd(rt, c.get(), Interest::READABLE));
    pending.emplace(outside->registration(), Interest::READABLE);
    EXPECT_FALSE(pending->poll(w.waker()).is_ready());
  }
  EXPECT_EQ(live.load(), 0) << "the pending task's frame was destroyed";
  EXPECT_EQ(w.woken(), 1) << "the shutdown woke the waiter";
  auto r = pending->poll(w.waker());
  ASSERT_TRUE(r.is_ready());
  EXPECT_EQ(r->error(), Error::shutdown);
  pending.reset();
  // A wait started after the shutdown fails at once.
  auto later = outside->readable();
  auto r2 = later.poll(w.waker());
  ASSERT_TRUE(r2.is_ready());
  EXPECT_EQ(r2->error(), Error::shutdown);
}

// A task of a live runtime waiting on an AsyncFd registered with a runtime that shuts down gets
// Error::shutdown (cross-runtime: the wake travels through the task's own runtime).
TEST_P(AsyncFdTest, DriverShutdownWakesTaskOfAnotherRuntime) {
  auto [a, b] = eddy_test::make_socketpair();
  auto victim = make_rt();
  auto afd = register_fd(victim, a.get(), Interest::READABLE);
  auto rt = make_rt();
  std::thread dropper;
  // (A Task<std::error_code> cannot be run: Result<std::error_code> is ill-formed.)
  const bool got_shutdown = rt.block_on([](AsyncFd<int>& f, eddy::Runtime& v, std::thread& th) -> Task<bool> {
    th = std::thread([&v] { v.shutdown(); });
    auto g = co_await f.readable();
    co_return !g && g.error() == Error::shutdown;
  }(afd, victim, dropper));
  dropper.join();
  EXPECT_TRUE(got_shutdown);
}

// A wait that starts after the shutdown gets Error::shutdown (future- and poll-style).
TEST_P(AsyncFdTest, DriverShutdownWakesFuturePending) {
  auto [a, b] = eddy_test::make_socketpair();
  std::optional<AsyncFd<int>> afd;
  {
    auto rt = make_rt();
    afd.emplace(register_fd(rt, a.get()));
  }
  TestWaker w;
  auto r = afd->poll_read_ready(w.waker());
  ASSERT_TRUE(r.is_ready());
  EXPECT_EQ(r->error(), Error::shutdown);
  auto fut = afd->writable();
  auto r2 = fut.poll(w.waker());
  ASSERT_TRUE(r2.is_ready());
  EXPECT_EQ(r2->error(), Error::shutdown);
  EXPECT_EQ(w.woken(), 0);
  // Creating a new AsyncFd on the shut-down driver fails cleanly.
  auto handle = afd->registration().handle();
  auto late = AsyncFd<int>::create(b.get(), Interest::READABLE, handle);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error(), Error::shutdown);
}

// Guard taken, shutdown, clear_ready, then waiting again still gives Error::shutdown (the
// shutdown bit is sticky across clears; tokio #6066).
TEST_P(AsyncFdTest, DriverShutdownThenClearReadiness) {
  auto [a, b] = eddy_test::make_socketpair();
  std::optional<AsyncFd<int>> afd;
  std::optional<AsyncFdReadyGuard> guard;
  TestWaker w;
  {
    auto rt = make_rt();
    afd.emplace(register_fd(rt, a.get()));
    // Wait until the driver has seen the socket writable: on the multi-thread kind a worker
    // polls the driver on its own schedule, and pump() does not order that before the poll.
    rt.block_on([](AsyncFd<int>& f) -> Task<void> { (void)co_await f.writable(); }(*afd));
    auto g = afd->poll_write_ready(w.waker());
    ASSERT_TRUE(g.is_ready() && *g);
    guard.emplace(std::move(**g));
  }
  guard->clear_ready();
  auto r = afd->poll_write_ready(w.waker());
  ASSERT_TRUE(r.is_ready());
  EXPECT_EQ(r->error(), Error::shutdown);
  auto fut = afd->writable();
  auto r2 = fut.poll(w.waker());
  ASSERT_TRUE(r2.is_ready());
  EXPECT_EQ(r2->error(), Error::shutdown);
}

// The runtime is dropped on another thread while a waiter polls: the first result may be
// readiness or the error, but the wait never hangs and the next poll is always the error.
TEST_P(AsyncFdTest, DriverShutdownWakesPendingRace) {
  for (int i = 0; i < 100; ++i) {
    auto [a, b] = eddy_test::make_socketpair();
    std::optional<eddy::Runtime> rt(make_rt());
    auto afd = register_fd(*rt, a.get(), Interest::READABLE);
    TestWaker fw, pw;
    auto fut = afd.readable();
    std::thread dropper([&rt] { rt.reset(); });
    auto f1 = fut.poll(fw.waker());
    auto p1 = afd.poll_read_ready(pw.waker());
    if (!f1) {
      ASSERT_TRUE(fw.wait_woken_past(0)) << "iteration " << i;
      f1 = fut.poll(fw.waker());
    }
    if (!p1) {
      ASSERT_TRUE(pw.wait_woken_past(0)) << "iteration " << i;
      p1 = afd.poll_read_ready(pw.waker());
    }
    dropper.join();
    ASSERT_TRUE(f1.is_ready());
    ASSERT_TRUE(p1.is_ready());
    EXPECT_EQ(f1->error(), Error::shutdown);  // never readable: only the shutdown can end it
    EXPECT_EQ(p1->error(), Error::shutdown);
    auto again = afd.readable();
    auto r = again.poll(fw.waker());
    ASSERT_TRUE(r.is_ready());
    EXPECT_EQ(r->error(), Error::shutdown);
  }
}

// MSG_OOB on a TCP loopback pair makes the receiver PRIORITY-ready.
TEST_P(AsyncFdTest, PriorityEventOnOobData) {
  auto rt = make_rt();
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(listener.get(), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  Fd server(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  ASSERT_GE(server.get(), 0);
  auto afd = register_fd(rt, server.get(), Interest::PRIORITY);
  ASSERT_EQ(::send(client.get(), "!", 1, MSG_OOB), 1);
  Ready seen = rt.block_on([](AsyncFd<int>& f) -> Task<Ready> {
    auto g = co_await f.ready(Interest::PRIORITY);
    co_return g ? g->ready() : Ready::EMPTY;
  }(afd));
  EXPECT_TRUE(seen.is_priority());
}

// An AsyncFd can move while idle, and async_io runs the closure again after a would-block.
TEST_P(AsyncFdTest, AsyncIoRetriesAfterWouldBlock) {
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  auto afd0 = register_fd(rt, a.get(), Interest::READABLE);
  AsyncFd<int> afd(std::move(afd0));
  int calls = 0;
  auto r = rt.block_on([](AsyncFd<int>& f, int peer, int& n) -> Task<Result<ssize_t>> {
    auto writer = eddy::spawn([](int p) -> Task<void> {
      co_await eddy::yield_now();
      co_await eddy::yield_now();
      eddy_test::write_byte(p);
    }(peer));
    auto res = co_await f.async_io(Interest::READABLE, [&] {
      ++n;
      return read_some(f.fd());
    });
    (void)co_await writer;
    co_return res;
  }(afd, b.get(), calls));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 1);
  EXPECT_GE(calls, 1);
}
