#include "eddy/net/udp_socket.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <string>

#include "support/net_test_util.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

using eddy::Task;
using eddy::net::UdpSocket;
using eddy_test::run;

namespace {
eddy::Result<UdpSocket> bind_loopback() { return UdpSocket::bind(eddy_test::loopback_any_port()); }
}  // namespace

EDDY_NET_SUITE(NetUdpTest);

TEST_P(NetUdpTest, SendRecvOnConnectedSockets) {
  run([]() -> Task<void> {
    auto a = bind_loopback();
    auto b = bind_loopback();
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    CO_ASSERT_OK(a->connect(*b->local_addr()));
    CO_ASSERT_OK(b->connect(*a->local_addr()));
    EXPECT_EQ(*a->peer_addr(), *b->local_addr());
    auto n = co_await a->send("hello");
    CO_ASSERT_OK(n);
    EXPECT_EQ(*n, 5u);
    std::array<char, 16> buf{};
    auto m = co_await b->recv(buf);
    CO_ASSERT_OK(m);
    EXPECT_EQ(std::string(buf.data(), *m), "hello");
  }());
}

TEST_P(NetUdpTest, SendToRecvFromReportsTheSender) {
  run([]() -> Task<void> {
    auto a = bind_loopback();
    auto b = bind_loopback();
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    CO_ASSERT_OK(co_await a->send_to("ping", *b->local_addr()));
    std::array<char, 16> buf{};
    auto peeked = co_await b->peek_from(buf);
    CO_ASSERT_OK(peeked);
    EXPECT_EQ(peeked->first, 4u);
    auto got = co_await b->recv_from(buf);
    CO_ASSERT_OK(got);
    EXPECT_EQ(std::string(buf.data(), got->first), "ping");
    EXPECT_EQ(got->second, *a->local_addr());
    CO_ASSERT_OK(co_await b->send_to("pong", got->second));
    auto back = co_await a->recv_from(buf);
    CO_ASSERT_OK(back);
    EXPECT_EQ(std::string(buf.data(), back->first), "pong");
  }());
}

TEST_P(NetUdpTest, TrySendRecvFollowReadiness) {
  run([]() -> Task<void> {
    auto a = bind_loopback();
    auto b = bind_loopback();
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    CO_ASSERT_OK(a->connect(*b->local_addr()));
    CO_ASSERT_OK(b->connect(*a->local_addr()));
    std::array<char, 16> buf{};
    // Nothing known yet: try_recv does not even try.
    auto none = b->try_recv(buf);
    CO_ASSERT_TRUE(!none);
    EXPECT_TRUE(eddy::io::is_would_block(none.error()));
    for (;;) {
      CO_ASSERT_OK(co_await a->writable());
      auto n = a->try_send("datagram");
      if (n) {
        EXPECT_EQ(*n, 8u);
        break;
      }
      CO_ASSERT_TRUE(eddy::io::is_would_block(n.error()));
    }
    for (;;) {
      CO_ASSERT_OK(co_await b->readable());
      auto n = b->try_recv(buf);
      if (n) {
        EXPECT_EQ(std::string(buf.data(), *n), "datagram");
        break;
      }
      CO_ASSERT_TRUE(eddy::io::is_would_block(n.error()));
    }
    // Drained: the next try_recv would block and clears readability.
    auto empty = b->try_recv(buf);
    CO_ASSERT_TRUE(!empty);
    eddy_test::TestWaker tw;
    EXPECT_TRUE(eddy_test::is_pending(b->poll_recv_ready(tw.waker())));
    // try_send_to / try_recv_from.
    CO_ASSERT_OK(co_await a->writable());
    auto s = a->try_send_to("x", *b->local_addr());
    CO_ASSERT_OK(s);
    CO_ASSERT_OK(co_await b->readable());
    auto r = b->try_recv_from(buf);
    CO_ASSERT_OK(r);
    EXPECT_EQ(r->second, *a->local_addr());
  }());
}

TEST_P(NetUdpTest, SplitBetweenASenderTaskAndAReceiverTask) {
  run([]() -> Task<void> {
    auto a = bind_loopback();
    auto b = bind_loopback();
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    CO_ASSERT_OK(a->connect(*b->local_addr()));
    CO_ASSERT_OK(b->connect(*a->local_addr()));
    constexpr int kCount = 200;
    // b echoes every datagram; on a, one task sends and another receives (one socket).
    auto echo = eddy::spawn([](UdpSocket& s) -> Task<void> {
      std::array<char, 64> buf{};
      for (int i = 0; i < kCount; ++i) {
        auto n = co_await s.recv(buf);
        CO_ASSERT_OK(n);
        CO_ASSERT_OK(co_await s.send(std::span<char>(buf.data(), *n)));
      }
    }(*b));
    std::atomic<int> received{0};  // the receiver may run on another worker
    auto receiver = eddy::spawn([](UdpSocket& s, std::atomic<int>& count) -> Task<void> {
      std::array<char, 64> buf{};
      while (count < kCount) {
        auto n = co_await s.recv(buf);
        CO_ASSERT_OK(n);
        EXPECT_EQ(std::string(buf.data(), *n), "msg" + std::to_string(count.load()));
        ++count;
      }
    }(*a, received));
    for (int i = 0; i < kCount; ++i) {
      CO_ASSERT_OK(co_await a->send("msg" + std::to_string(i)));
      // Keep the loopback queue short so nothing is dropped.
      while (received < i - 8) co_await eddy::yield_now();
    }
    CO_ASSERT_OK(co_await receiver);
    CO_ASSERT_OK(co_await echo);
    EXPECT_EQ(received.load(), kCount);
  }());
}

TEST_P(NetUdpTest, AlwaysReadySocketYieldsEveryBudget) {
  run([]() -> Task<void> {
    auto a = bind_loopback();
    auto b = bind_loopback();
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    CO_ASSERT_OK(a->connect(*b->local_addr()));
    CO_ASSERT_OK(b->connect(*a->local_addr()));
    std::array<char, 4> buf{};
    // One round trip first, so that both sockets are known ready and nothing below waits.
    CO_ASSERT_OK(co_await a->send("abcd"));
    CO_ASSERT_OK(co_await b->recv(buf));
    bool other_ran = false;
    auto other = eddy::spawn([](bool& f) -> Task<void> {
      f = true;
      co_return;
    }(other_ran));
    // Send + recv cost one unit each: the task yields well before 200 round trips.
    int before = 0;
    for (int i = 0; i < 200; ++i) {
      CO_ASSERT_OK(co_await a->send("abcd"));
      CO_ASSERT_OK(co_await b->recv(buf));
      if (!other_ran) ++before;
    }
    EXPECT_TRUE(other_ran);
    EXPECT_LE(before, static_cast<int>(eddy::coop::kInitialBudget / 2));
    CO_ASSERT_OK(co_await other);
  }());
}
