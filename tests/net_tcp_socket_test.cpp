#include "eddy/net/tcp_socket.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <system_error>

#include "support/net_test_util.hpp"
#include "support/rt_kinds.hpp"

using eddy::Task;
using eddy::net::SocketAddr;
using eddy::net::TcpSocket;
using eddy_test::run;
using namespace std::chrono_literals;

EDDY_NET_SUITE(NetTcpSocketTest);

TEST_P(NetTcpSocketTest, OptionsReadBackWhatWasSet) {
  // No runtime needed until connect or listen.
  auto s = TcpSocket::new_v4();
  ASSERT_TRUE(s);
  EXPECT_EQ(*s->reuseaddr(), false);
  ASSERT_TRUE(s->set_reuseaddr(true));
  EXPECT_EQ(*s->reuseaddr(), true);
  ASSERT_TRUE(s->set_reuseport(true));
  EXPECT_EQ(*s->reuseport(), true);
  ASSERT_TRUE(s->set_keepalive(true));
  EXPECT_EQ(*s->keepalive(), true);
  ASSERT_TRUE(s->set_nodelay(true));
  EXPECT_EQ(*s->nodelay(), true);
  ASSERT_TRUE(s->set_send_buffer_size(64 * 1024));
  EXPECT_GE(*s->send_buffer_size(), 64u * 1024u);  // the kernel doubles it
  ASSERT_TRUE(s->set_recv_buffer_size(32 * 1024));
  EXPECT_GE(*s->recv_buffer_size(), 32u * 1024u);
  EXPECT_EQ(*s->linger(), std::nullopt);
  ASSERT_TRUE(s->set_linger(3s));
  EXPECT_EQ(*s->linger(), std::optional<std::chrono::seconds>(3s));
  ASSERT_TRUE(s->set_linger(std::nullopt));
  EXPECT_EQ(*s->linger(), std::nullopt);
}

TEST_P(NetTcpSocketTest, BindThenConnectUsesTheBoundAddress) {
  run([]() -> Task<void> {
    auto l = eddy::net::TcpListener::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(l);
    auto s = TcpSocket::new_v4();
    CO_ASSERT_OK(s);
    CO_ASSERT_OK(s->set_nodelay(true));
    CO_ASSERT_OK(s->bind(eddy_test::loopback_any_port()));
    auto bound = s->local_addr();
    CO_ASSERT_OK(bound);
    EXPECT_NE(bound->port(), 0);
    auto c = co_await std::move(*s).connect(*l->local_addr());
    CO_ASSERT_OK(c);
    EXPECT_EQ(*c->local_addr(), *bound);
    EXPECT_EQ(*c->nodelay(), true);  // the option set before connect stays
    auto a = co_await l->accept();
    CO_ASSERT_OK(a);
    EXPECT_EQ(a->second, *bound);
    CO_ASSERT_OK(co_await c->write_all("hi"));
    std::array<char, 2> buf{};
    CO_ASSERT_OK(co_await a->first.read_exact(buf));
    EXPECT_EQ(std::string(buf.data(), 2), "hi");
  }());
}

TEST_P(NetTcpSocketTest, ListenWithReuseaddrAcceptsConnections) {
  run([]() -> Task<void> {
    auto s = TcpSocket::new_v4();
    CO_ASSERT_OK(s);
    CO_ASSERT_OK(s->set_reuseaddr(true));
    CO_ASSERT_OK(s->bind(eddy_test::loopback_any_port()));
    auto l = std::move(*s).listen(16);
    CO_ASSERT_OK(l);
    auto c = co_await eddy::net::TcpStream::connect(*l->local_addr());
    CO_ASSERT_OK(c);
    auto a = co_await l->accept();
    CO_ASSERT_OK(a);
    EXPECT_EQ(a->second, *c->local_addr());
  }());
}

TEST_P(NetTcpSocketTest, ReuseportLetsTwoListenersShareAPort) {
  run([]() -> Task<void> {
    auto a = TcpSocket::new_v4();
    auto b = TcpSocket::new_v4();
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    CO_ASSERT_OK(a->set_reuseport(true));
    CO_ASSERT_OK(b->set_reuseport(true));
    CO_ASSERT_OK(a->bind(eddy_test::loopback_any_port()));
    auto addr = *a->local_addr();
    CO_ASSERT_OK(b->bind(addr));
    auto la = std::move(*a).listen();
    auto lb = std::move(*b).listen();
    CO_ASSERT_OK(la);
    CO_ASSERT_OK(lb);
    // Without SO_REUSEPORT the same bind fails.
    auto c = TcpSocket::new_v4();
    CO_ASSERT_OK(c);
    auto taken = c->bind(addr);
    CO_ASSERT_TRUE(!taken);
    EXPECT_EQ(taken.error(), std::errc::address_in_use);
  }());
}

TEST_P(NetTcpSocketTest, ConnectRefusedAndIpv6Loopback) {
  run([]() -> Task<void> {
    SocketAddr dead;
    {
      auto l = eddy::net::TcpListener::bind(eddy_test::loopback_any_port());
      CO_ASSERT_OK(l);
      dead = *l->local_addr();
    }
    auto s = TcpSocket::new_v4();
    CO_ASSERT_OK(s);
    auto c = co_await std::move(*s).connect(dead);
    CO_ASSERT_TRUE(!c);
    EXPECT_EQ(c.error(), std::errc::connection_refused);

    auto l6 = eddy::net::TcpListener::bind(SocketAddr(eddy::net::IpAddr::v6_loopback(), 0));
    if (!l6) co_return;  // no IPv6 on this host's loopback
    auto s6 = TcpSocket::new_v6();
    CO_ASSERT_OK(s6);
    auto c6 = co_await std::move(*s6).connect(*l6->local_addr());
    CO_ASSERT_OK(c6);
    EXPECT_TRUE(c6->local_addr()->ip().is_ipv6());
  }());
}

TEST_P(NetTcpSocketTest, OptionsOnAMovedFromSocketGiveEbadf) {
  run([]() -> Task<void> {
    auto s = TcpSocket::new_v4();
    CO_ASSERT_OK(s);
    TcpSocket taken = std::move(*s);
    const auto ebadf = std::errc::bad_file_descriptor;
    EXPECT_EQ(s->set_reuseaddr(true).error(), ebadf);
    EXPECT_EQ(s->reuseaddr().error(), ebadf);
    EXPECT_EQ(s->set_send_buffer_size(1).error(), ebadf);
    EXPECT_EQ(s->linger().error(), ebadf);
    EXPECT_EQ(s->bind(eddy_test::loopback_any_port()).error(), ebadf);
    EXPECT_EQ(s->local_addr().error(), ebadf);
    auto c = co_await std::move(*s).connect(eddy_test::loopback_any_port());
    CO_ASSERT_TRUE(!c);
    EXPECT_EQ(c.error(), ebadf);
    auto l = std::move(taken).listen();
    CO_ASSERT_OK(l);  // the socket it moved to is fine
    auto again = std::move(taken).listen();
    CO_ASSERT_TRUE(!again);
    EXPECT_EQ(again.error(), ebadf);
  }());
}
