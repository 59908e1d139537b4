// Issue 10, item 2: a datagram socket with an error pending and nothing to read (an error-only
// epoll event, EPOLLERR|EPOLLOUT) must wake its receiver, and the receive returns the error.
// tokio's receives wait for READABLE | ERROR; before this fix eddy's waited for read readiness
// only and slept forever.
#include "eddy/net/udp_socket.hpp"
#include "eddy/net/unix_datagram.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <system_error>

#include <unistd.h>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/join_handle.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/timeout.hpp"
#include "support/net_test_util.hpp"
#include "support/rt_kinds.hpp"

using eddy::Task;
using eddy::net::UdpSocket;
using eddy::net::UnixDatagram;
using eddy_test::run;
using namespace std::chrono_literals;

namespace {

// A generous guard: a receiver that is never woken fails the test with timed_out instead of
// hanging it. Not a timing assertion: the correct behaviour completes on the first event.
constexpr auto kGuard = 10s;

template <class T>
Task<eddy::Result<T>> join(eddy::JoinHandle<eddy::Result<T>> h) {
  auto r = co_await h;
  if (!r) co_return r.error();
  co_return std::move(*r);
}

Task<eddy::Result<std::size_t>> recv_one(UdpSocket* s) {
  std::array<char, 16> buf{};
  co_return co_await s->recv(buf);
}

Task<eddy::Result<std::size_t>> recv_one_unix(UnixDatagram* s) {
  std::array<char, 16> buf{};
  co_return co_await s->recv(buf);
}

// co_await-able poll_recv_ready (the poll-style API, as a hand-written future would use it).
template <class Socket>
class RecvReady : public eddy::detail::PollAwaiter<RecvReady<Socket>, eddy::Result<eddy::Ready>> {
 public:
  explicit RecvReady(Socket& s) noexcept : s_(&s) {}
  eddy::Poll<eddy::Result<eddy::Ready>> poll(const eddy::Waker& w) noexcept { return s_->poll_recv_ready(w); }

 private:
  Socket* s_;
};

template <class Socket>
Task<eddy::Result<eddy::Ready>> recv_ready(Socket* s) {
  co_return co_await RecvReady<Socket>(*s);
}

// A loopback address with nobody listening (a port just bound, then closed).
eddy::net::SocketAddr closed_udp_port() {
  auto gone = UdpSocket::bind(eddy_test::loopback_any_port());
  EXPECT_TRUE(gone);
  return *gone->local_addr();
}

}  // namespace

EDDY_NET_SUITE(NetDatagramErrorWakeTest);

TEST_P(NetDatagramErrorWakeTest, ConnectedUdpRecvWakesWithConnectionRefusedWhenThePeerIsGone) {
  run([]() -> Task<void> {
    const auto dead = closed_udp_port();
    auto s = UdpSocket::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(s);
    CO_ASSERT_OK(s->connect(dead));
    // The receiver waits first; the ICMP port-unreachable for our send arrives as an error only.
    auto receiver = eddy::spawn(recv_one(&*s));
    co_await eddy::yield_now();
    CO_ASSERT_OK(co_await s->send("x"));
    auto r = co_await eddy::time::timeout(kGuard, join(std::move(receiver)));
    CO_ASSERT_OK(r);  // not timed out: the receiver was woken
    CO_ASSERT_TRUE(!*r);
    EXPECT_EQ(r->error(), std::errc::connection_refused) << r->error().message();
    EXPECT_FALSE(s->take_error());  // the receive consumed it
  }());
}

TEST_P(NetDatagramErrorWakeTest, UdpRecvFromAndTryRecvSeeAnErrorThatCameFirst) {
  run([]() -> Task<void> {
    const auto dead = closed_udp_port();
    auto s = UdpSocket::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(s);
    CO_ASSERT_OK(s->connect(dead));
    CO_ASSERT_OK(co_await s->send("x"));
    // readable() on a datagram socket also completes on a pending error.
    auto seen = co_await eddy::time::timeout(kGuard, s->readable());
    CO_ASSERT_OK(seen);
    CO_ASSERT_OK(*seen);
    EXPECT_TRUE((*seen)->is_error());
    // try_recv runs the syscall on error readiness and returns the error.
    std::array<char, 16> buf{};
    auto t = s->try_recv(buf);
    CO_ASSERT_TRUE(!t);
    EXPECT_EQ(t.error(), std::errc::connection_refused) << t.error().message();
    // A second error, received through recv_from.
    CO_ASSERT_OK(co_await s->send("y"));
    auto r = co_await eddy::time::timeout(kGuard, s->recv_from(buf));
    CO_ASSERT_OK(r);
    CO_ASSERT_TRUE(!*r);
    EXPECT_EQ(r->error(), std::errc::connection_refused) << r->error().message();
    // Error consumed: nothing is ready now, try_recv would block.
    auto none = s->try_recv(buf);
    CO_ASSERT_TRUE(!none);
    EXPECT_EQ(none.error(), std::errc::resource_unavailable_try_again);
  }());
}

// A Unix datagram pair: when one end re-connects elsewhere while holding unread datagrams from
// its old peer, the kernel drops them and reports ECONNRESET to that peer (an error-only event).
TEST_P(NetDatagramErrorWakeTest, UnixDatagramRecvWakesWithConnectionResetWhenItsPeerDisconnects) {
  run([]() -> Task<void> {
    auto pair = UnixDatagram::pair();
    CO_ASSERT_OK(pair);
    auto& [a, b] = *pair;
    auto name = eddy::net::UnixSocketAddr::from_abstract_name("eddy-dgram-err-" + std::to_string(::getpid()));
    CO_ASSERT_OK(name);
    auto other = UnixDatagram::bind(*name);
    CO_ASSERT_OK(other);
    CO_ASSERT_OK(co_await b.send("queued at a"));
    auto receiver = eddy::spawn(recv_one_unix(&b));
    co_await eddy::yield_now();
    CO_ASSERT_OK(a.connect(*other->local_addr()));
    auto r = co_await eddy::time::timeout(kGuard, join(std::move(receiver)));
    CO_ASSERT_OK(r);  // not timed out: the receiver was woken
    CO_ASSERT_TRUE(!*r);
    EXPECT_EQ(r->error(), std::errc::connection_reset) << r->error().message();
  }());
}

// The poll-style receive readiness must wake on an error-only event too: before the read
// direction's mask took ERROR, a task in poll_recv_ready slept for ever on a connected UDP
// socket whose peer was gone.
TEST_P(NetDatagramErrorWakeTest, UdpPollRecvReadyWakesOnAnErrorOnlyEvent) {
  run([]() -> Task<void> {
    const auto dead = closed_udp_port();
    auto s = UdpSocket::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(s);
    CO_ASSERT_OK(s->connect(dead));
    auto waiter = eddy::spawn(recv_ready(&*s));
    co_await eddy::yield_now();
    EXPECT_FALSE(waiter.is_finished());  // nothing to receive yet: it waits
    CO_ASSERT_OK(co_await s->send("x"));
    auto r = co_await eddy::time::timeout(kGuard, join(std::move(waiter)));
    CO_ASSERT_OK(r);  // not timed out: the waiter was woken
    CO_ASSERT_OK(*r);
    EXPECT_TRUE((*r)->is_error());
    // The receive it was waiting for returns the error.
    std::array<char, 16> buf{};
    auto got = s->try_recv(buf);
    CO_ASSERT_TRUE(!got);
    EXPECT_EQ(got.error(), std::errc::connection_refused) << got.error().message();
  }());
}

TEST_P(NetDatagramErrorWakeTest, UnixDatagramPollRecvReadyWakesOnAnErrorOnlyEvent) {
  run([]() -> Task<void> {
    auto pair = UnixDatagram::pair();
    CO_ASSERT_OK(pair);
    auto& [a, b] = *pair;
    auto name = eddy::net::UnixSocketAddr::from_abstract_name("eddy-dgram-poll-err-" + std::to_string(::getpid()));
    CO_ASSERT_OK(name);
    auto other = UnixDatagram::bind(*name);
    CO_ASSERT_OK(other);
    CO_ASSERT_OK(co_await b.send("queued at a"));
    auto waiter = eddy::spawn(recv_ready(&b));
    co_await eddy::yield_now();
    EXPECT_FALSE(waiter.is_finished());
    CO_ASSERT_OK(a.connect(*other->local_addr()));  // drops our datagram at a: ECONNRESET for b
    auto r = co_await eddy::time::timeout(kGuard, join(std::move(waiter)));
    CO_ASSERT_OK(r);
    CO_ASSERT_OK(*r);
    EXPECT_TRUE((*r)->is_error());
  }());
}
