#include "io/driver.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "eddy/async_fd.hpp"
#include "eddy/runtime.hpp"
#include "support/fds.hpp"
#include "support/rt_helpers.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// The I/O driver as the runtime drives it: ports of tokio's io_driver.rs, io_driver_drop.rs,
// io_async_fd_memory_leak.rs and the io_driver metrics tests of rt_unstable_metrics.rs.

namespace {

using eddy::AsyncFd;
using eddy::Error;
using eddy::Interest;
using eddy::OwnedFd;
using eddy::Task;
using eddy_test::Fd;
using eddy_test::make_rt;
using eddy_test::pump;
using eddy_test::TestWaker;

// A non-blocking TCP listener on 127.0.0.1, any port.
Fd tcp_listener(sockaddr_in& addr) {
  Fd l(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  EXPECT_GE(l.get(), 0);
  addr = sockaddr_in{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(l.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::listen(l.get(), 16), 0);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::getsockname(l.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  return l;
}

Fd tcp_connect(const sockaddr_in& addr) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::connect(s.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  return s;
}

}  // namespace

// tokio io_driver.rs test_drop_on_notify: the wake that a readiness event delivers destroys the
// resource it came from (its AsyncFd deregisters and drops its wakers, taking the resource's
// lock) — no deadlock, because wakers are called with no lock held.
EDDY_RT_SUITE(IoDriverRtTest);

TEST_P(IoDriverRtTest, DropOnNotify) {
  EDDY_CURRENT_THREAD_ONLY("checks readiness from the test thread right after pump(); on workers the driver turn that delivers it runs concurrently");
  auto rt = make_rt();
  sockaddr_in addr;
  Fd listener = tcp_listener(addr);
  std::optional<AsyncFd<int>> afd;
  afd.emplace(AsyncFd<int>::create(listener.get(), Interest::READABLE, rt.handle().io_handle()).value());
  TestWaker w;
  w.on_wake([&afd] { afd.reset(); });
  pump(rt);
  EXPECT_FALSE(afd->poll_read_ready(w.waker()).is_ready());
  Fd client = tcp_connect(addr);
  pump(rt);  // the driver dispatches the accept readiness; the wake drops the AsyncFd
  EXPECT_EQ(w.woken(), 1);
  EXPECT_FALSE(afd.has_value());
  pump(rt);  // the released registration is freed on this turn
  EXPECT_EQ(rt.handle().io_registration_count(), 0u);
}

// The same with a task: a task woken by readiness drops its AsyncFd while the driver is
// dispatching a batch that also holds other wakers for the same resource.
TEST_P(IoDriverRtTest, TaskDropsItsAsyncFdWhenWoken) {
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  bool ok = rt.block_on([](int fd, int peer) -> Task<bool> {
    auto f = std::make_unique<AsyncFd<int>>(AsyncFd<int>::create(std::move(fd), Interest::READABLE).value());
    std::vector<eddy::JoinHandle<void>> waiters;
    // Other waiters on the same resource, woken in the same batch.
    for (int i = 0; i < 3; ++i) {
      waiters.push_back(eddy::spawn([](AsyncFd<int>& ff) -> Task<void> { (void)co_await ff.readable(); }(*f)));
    }
    co_await eddy::yield_now();
    eddy_test::write_byte(peer);
    auto g = co_await f->readable();
    if (!g) co_return false;
    for (auto& h : waiters) (void)co_await h;
    f.reset();
    co_return true;
  }(a.get(), b.get()));
  EXPECT_TRUE(ok);
}

// tokio io_driver.rs panics_when_io_disabled: eddy reports Error::io_disabled instead.
TEST_P(IoDriverRtTest, IoDisabledIsAnError) {
  auto rt = make_rt(/*io=*/false);
  auto [a, b] = eddy_test::make_socketpair();
  bool ok = rt.block_on([](int fd) -> Task<bool> {
    auto f = AsyncFd<int>::create(std::move(fd));
    co_return !f && f.error() == Error::io_disabled;
  }(a.get()));
  EXPECT_TRUE(ok);
}

// tokio io_driver_drop.rs tcp_doesnt_block: after the runtime is dropped, waiting to accept
// fails at once.
TEST_P(IoDriverRtTest, TcpDoesntBlock) {
  sockaddr_in addr;
  Fd listener = tcp_listener(addr);
  std::optional<AsyncFd<int>> afd;
  {
    auto rt = make_rt();
    afd.emplace(AsyncFd<int>::create(listener.get(), Interest::READABLE, rt.handle().io_handle()).value());
  }
  TestWaker w;
  auto accept_ready = afd->readable();
  auto r = accept_ready.poll(w.waker());
  ASSERT_TRUE(r.is_ready()) << "must not block after the runtime is gone";
  EXPECT_EQ(r->error(), Error::shutdown);
}

// tokio io_driver_drop.rs drop_wakes: a pending accept is woken by the runtime drop and then
// fails.
TEST_P(IoDriverRtTest, DropWakes) {
  sockaddr_in addr;
  Fd listener = tcp_listener(addr);
  std::optional<eddy::Runtime> rt(make_rt());
  auto afd = AsyncFd<int>::create(listener.get(), Interest::READABLE, rt->handle().io_handle()).value();
  TestWaker w;
  auto accept_ready = afd.readable();
  EXPECT_FALSE(accept_ready.poll(w.waker()).is_ready());
  rt.reset();
  EXPECT_EQ(w.woken(), 1);
  auto r = accept_ready.poll(w.waker());
  ASSERT_TRUE(r.is_ready());
  EXPECT_EQ(r->error(), Error::shutdown);
}

// tokio io_async_fd_memory_leak.rs: closing the fd before the AsyncFd is dropped leaks nothing
// (the registration is freed; LeakSanitizer checks the memory).
TEST_P(IoDriverRtTest, CloseBeforeDropDoesNotLeakRegistrations) {
  EDDY_CURRENT_THREAD_ONLY("checks readiness from the test thread right after pump(); on workers the driver turn that delivers it runs concurrently");
  auto rt = make_rt();
  const auto& handle = rt.handle().io_handle();
  for (int i = 0; i < 1000; ++i) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    auto afd = AsyncFd<int>::create(std::move(sv[0]), Interest::READABLE | Interest::WRITABLE, handle).value();
    ::close(sv[0]);  // closed behind the AsyncFd's back: its deregistration fails, harmlessly
    ::close(sv[1]);
  }
  pump(rt);
  EXPECT_EQ(handle->registration_count(), 0u);
  EXPECT_EQ(handle->metrics().fd_count(), 0u);
}

// rt_unstable_metrics.rs io_driver_fd_count and io_driver_ready_count.
TEST_P(IoDriverRtTest, MetricsFdCountAndReadyCount) {
  auto rt = make_rt();
  const auto& m = *rt.handle().io_metrics();
  EXPECT_EQ(m.fd_count(), 0u);
  EXPECT_EQ(m.fd_registered_count(), 0u);
  auto [a, b] = eddy_test::make_socketpair();
  {
    auto afd = AsyncFd<int>::create(a.get(), Interest::READABLE, rt.handle().io_handle()).value();
    EXPECT_EQ(m.fd_count(), 1u);
    EXPECT_EQ(m.fd_registered_count(), 1u);
    const auto before = m.ready_count();
    eddy_test::write_byte(b.get());
    bool ok = rt.block_on([](AsyncFd<int>& f) -> Task<bool> {
      auto g = co_await f.readable();
      co_return g.has_value();
    }(afd));
    EXPECT_TRUE(ok);
    EXPECT_GE(m.ready_count(), before + 1);
  }
  EXPECT_EQ(m.fd_count(), 0u);
  EXPECT_EQ(m.fd_deregistered_count(), 1u);
}

// A task parked in the driver (nothing else to do) is woken by readiness from another thread.
TEST_P(IoDriverRtTest, ParkedRuntimeWokenByIoFromAnotherThread) {
  auto rt = make_rt();
  auto [a, b] = eddy_test::make_socketpair();
  auto afd = AsyncFd<int>::create(a.get(), Interest::READABLE, rt.handle().io_handle()).value();
  std::thread writer([fd = b.get()] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    eddy_test::write_byte(fd);
  });
  bool ok = rt.block_on([](AsyncFd<int>& f) -> Task<bool> {
    auto g = co_await f.readable();
    co_return g && g->ready().is_readable();
  }(afd));
  writer.join();
  EXPECT_TRUE(ok);
}
