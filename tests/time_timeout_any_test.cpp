// timeout(d, x) for any awaitable (socket operations, readiness waits, JoinHandles), zero and
// maximum durations, and the std::error_code value type (Result<std::error_code>,
// Task<std::error_code>). Under the paused clock, which jumps to the deadline once every task
// waits, so no test here depends on real time.
#include "eddy/time/timeout.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <string>
#include <system_error>
#include <utility>

#include "eddy/async_fd.hpp"
#include "eddy/error.hpp"
#include "eddy/join_handle.hpp"
#include "eddy/net/tcp_listener.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/net/udp_socket.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/sleep.hpp"
#include "support/net_test_util.hpp"
#include "support/rt_kinds.hpp"

using namespace std::chrono_literals;
using eddy::Error;
using eddy::Result;
using eddy::Task;
using eddy::time::Duration;
using eddy::time::Instant;

namespace {

void run_paused(Task<void> t) {
  auto rt = eddy_test::rt_builder().enable_all().start_paused(true).build();
  ASSERT_TRUE(rt);
  rt->block_on(std::move(t));
}

Task<int> after(Duration d, int v) {
  co_await eddy::time::sleep(d);
  co_return v;
}

Task<std::error_code> refused_code() { co_return std::make_error_code(std::errc::connection_refused); }

}  // namespace

EDDY_RT_SUITE(TimeTimeoutAnyTest);

TEST_P(TimeTimeoutAnyTest, UdpRecvTimesOutWithoutConsumingTheDatagramThatComesLater) {
  run_paused([]() -> Task<void> {
    auto a = eddy::net::UdpSocket::bind(eddy_test::loopback_any_port());
    auto b = eddy::net::UdpSocket::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    std::array<char, 16> buf{};
    const Instant start = Instant::now();
    auto r = co_await eddy::time::timeout(20ms, b->recv(buf));  // an rvalue awaiter, owned
    CO_ASSERT_TRUE(!r);
    EXPECT_EQ(r.error(), Error::timed_out);
    EXPECT_EQ(Instant::now(), start + 20ms);
    CO_ASSERT_OK(co_await a->send_to("late", *b->local_addr()));
    auto got = co_await eddy::time::timeout(1s, b->recv_from(buf));
    CO_ASSERT_OK(got);
    CO_ASSERT_OK(*got);
    EXPECT_EQ(std::string(buf.data(), (*got)->first), "late");
  }());
}

TEST_P(TimeTimeoutAnyTest, AcceptTimesOutAndLosesNoConnection) {
  run_paused([]() -> Task<void> {
    auto l = eddy::net::TcpListener::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(l);
    auto none = co_await eddy::time::timeout(5ms, l->accept());
    CO_ASSERT_TRUE(!none);
    EXPECT_EQ(none.error(), Error::timed_out);
    auto c = co_await eddy::net::TcpStream::connect(*l->local_addr());
    CO_ASSERT_OK(c);
    auto a = co_await eddy::time::timeout(1s, l->accept());
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(*a);
    EXPECT_EQ((*a)->second, *c->local_addr());
  }());
}

TEST_P(TimeTimeoutAnyTest, ReadinessWaitsOfStreamsAndAsyncFd) {
  run_paused([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    auto idle = co_await eddy::time::timeout(5ms, p->server.readable());
    CO_ASSERT_TRUE(!idle);
    EXPECT_EQ(idle.error(), Error::timed_out);
    CO_ASSERT_OK(co_await p->client.write_all("x"));
    auto ready = co_await eddy::time::timeout(1s, p->server.readable());
    CO_ASSERT_OK(ready);
    CO_ASSERT_OK(*ready);
    EXPECT_TRUE((*ready)->is_readable());

    int fds[2];
    CO_ASSERT_TRUE(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
    {
      auto fd = eddy::AsyncFd<int>::create(int{fds[0]}, eddy::Interest::READABLE);
      CO_ASSERT_OK(fd);
      auto nothing = co_await eddy::time::timeout(5ms, fd->readable());
      CO_ASSERT_TRUE(!nothing);
      EXPECT_EQ(nothing.error(), Error::timed_out);
      CO_ASSERT_TRUE(::write(fds[1], "y", 1) == 1);
      auto guard = co_await eddy::time::timeout(1s, fd->readable());
      CO_ASSERT_OK(guard);
      CO_ASSERT_OK(*guard);
      EXPECT_TRUE((*guard)->ready().is_readable());
    }
    ::close(fds[0]);
    ::close(fds[1]);
  }());
}

TEST_P(TimeTimeoutAnyTest, JoinHandleByReferenceSurvivesATimeoutAndIsAwaitedAgain) {
  run_paused([]() -> Task<void> {
    auto h = eddy::spawn(after(50ms, 7));
    auto early = co_await eddy::time::timeout(10ms, h);  // an lvalue: awaited in place
    CO_ASSERT_TRUE(!early);
    EXPECT_EQ(early.error(), Error::timed_out);
    EXPECT_FALSE(h.is_finished());
    auto r = co_await eddy::time::timeout(100ms, h);
    CO_ASSERT_OK(r);
    CO_ASSERT_OK(*r);
    EXPECT_EQ(**r, 7);
  }());
}

TEST_P(TimeTimeoutAnyTest, JoinHandleMovedInIsOwned) {
  run_paused([]() -> Task<void> {
    auto r = co_await eddy::time::timeout(1s, eddy::spawn(after(5ms, 3)));
    CO_ASSERT_OK(r);
    CO_ASSERT_OK(*r);
    EXPECT_EQ(**r, 3);
  }());
}

TEST_P(TimeTimeoutAnyTest, ZeroDurationStillGivesAReadyOperationItsFirstPoll) {
  run_paused([]() -> Task<void> {
    const Instant start = Instant::now();
    auto h = eddy::spawn(after(0ms, 1));
    (void)co_await h;  // finished
    auto ready = co_await eddy::time::timeout(0ms, h);
    CO_ASSERT_OK(ready);
    EXPECT_EQ(**ready, 1);
    auto l = eddy::net::TcpListener::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(l);
    auto pending = co_await eddy::time::timeout(0ms, l->accept());
    CO_ASSERT_TRUE(!pending);
    EXPECT_EQ(pending.error(), Error::timed_out);
    auto neg = co_await eddy::time::timeout(-1s, l->accept());
    CO_ASSERT_TRUE(!neg);
    EXPECT_EQ(neg.error(), Error::timed_out);
    EXPECT_EQ(Instant::now(), start);  // nothing waited
  }());
}

TEST_P(TimeTimeoutAnyTest, MaximumDurationNeverFires) {
  run_paused([]() -> Task<void> {
    const Instant start = Instant::now();
    // The inner sleep of 1000 hours is the only deadline the paused clock can jump to.
    auto r = co_await eddy::time::timeout(Duration::max(), after(1000h, 9));
    CO_ASSERT_OK(r);
    EXPECT_EQ(*r, 9);
    EXPECT_EQ(Instant::now(), start + 1000h);
    auto h = eddy::spawn(after(2000h, 4));
    auto j = co_await eddy::time::timeout_at(Instant::far_future(), h);
    CO_ASSERT_OK(j);
    EXPECT_EQ(**j, 4);
    auto big = co_await eddy::time::timeout(std::chrono::hours::max(), after(1ms, 2));
    CO_ASSERT_OK(big);
    EXPECT_EQ(*big, 2);
  }());
}

TEST_P(TimeTimeoutAnyTest, ErrorCodeIsAnOrdinaryValueType) {
  // A bare error_code is the value of a Result<std::error_code>; errors need eddy::unexpect
  // (or an error code enum).
  const auto refused = std::make_error_code(std::errc::connection_refused);
  Result<std::error_code> v = refused;
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, refused);
  Result<std::error_code> ok_value = std::error_code();  // "no error" is a value too
  ASSERT_TRUE(ok_value);
  EXPECT_FALSE(*ok_value);
  Result<std::error_code> e(eddy::unexpect, refused);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), refused);
  Result<std::error_code> enum_error = Error::cancelled;
  ASSERT_FALSE(enum_error);
  EXPECT_EQ(enum_error.error(), Error::cancelled);
  Result<int> other(eddy::unexpect, refused);
  EXPECT_EQ(other.error(), refused);

  run_paused([]() -> Task<void> {
    const auto refused_ec = std::make_error_code(std::errc::connection_refused);
    std::error_code direct = co_await refused_code();
    EXPECT_EQ(direct, refused_ec);
    auto joined = co_await eddy::spawn(refused_code());
    CO_ASSERT_OK(joined);
    EXPECT_EQ(*joined, refused_ec);
    auto timed = co_await eddy::time::timeout(1s, refused_code());
    CO_ASSERT_OK(timed);
    EXPECT_EQ(*timed, refused_ec);
    auto late = co_await eddy::time::timeout(1ms, []() -> Task<std::error_code> {
      co_await eddy::time::sleep(1h);
      co_return std::error_code();
    }());
    CO_ASSERT_TRUE(!late);
    EXPECT_EQ(late.error(), Error::timed_out);
  }());
}
