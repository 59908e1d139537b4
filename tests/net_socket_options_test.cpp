// Getters for every option with a setter, TTL and multicast on UDP, and options on a socket
// that is gone.
#include "eddy/net/udp_socket.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <string>
#include <system_error>

#include "eddy/net/tcp_stream.hpp"
#include "eddy/time/timeout.hpp"
#include "support/net_test_util.hpp"
#include "support/rt_kinds.hpp"

using eddy::Task;
using eddy::net::IpAddr;
using eddy::net::SocketAddr;
using eddy::net::UdpSocket;
using eddy_test::run;
using namespace std::chrono_literals;

EDDY_NET_SUITE(NetSocketOptionsTest);

TEST_P(NetSocketOptionsTest, TcpStreamGettersReadBackTheSetters) {
  run([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    auto& s = p->client;
    CO_ASSERT_OK(s.set_nodelay(true));
    EXPECT_EQ(*s.nodelay(), true);
    CO_ASSERT_OK(s.set_nodelay(false));
    EXPECT_EQ(*s.nodelay(), false);
    EXPECT_EQ(*s.linger(), std::nullopt);
    CO_ASSERT_OK(s.set_linger(0s));
    EXPECT_EQ(*s.linger(), std::optional<std::chrono::seconds>(0s));
    CO_ASSERT_OK(s.set_ttl(17));
    EXPECT_EQ(*s.ttl(), 17u);
    auto bad = s.set_ttl(256);
    CO_ASSERT_TRUE(!bad);
    EXPECT_EQ(bad.error(), std::errc::invalid_argument);
    EXPECT_EQ(*s.ttl(), 17u);

    auto l = eddy::net::TcpListener::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(l);
    CO_ASSERT_OK(l->set_ttl(42));
    EXPECT_EQ(*l->ttl(), 42u);
  }());
}

TEST_P(NetSocketOptionsTest, UdpTtlBroadcastAndMulticastSettings) {
  run([]() -> Task<void> {
    auto u = UdpSocket::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(u);
    CO_ASSERT_OK(u->set_ttl(9));
    EXPECT_EQ(*u->ttl(), 9u);
    EXPECT_EQ(*u->broadcast(), false);
    CO_ASSERT_OK(u->set_broadcast(true));
    EXPECT_EQ(*u->broadcast(), true);
    EXPECT_EQ(*u->multicast_loop_v4(), true);
    CO_ASSERT_OK(u->set_multicast_loop_v4(false));
    EXPECT_EQ(*u->multicast_loop_v4(), false);
    EXPECT_EQ(*u->multicast_ttl_v4(), 1u);
    CO_ASSERT_OK(u->set_multicast_ttl_v4(4));
    EXPECT_EQ(*u->multicast_ttl_v4(), 4u);
    EXPECT_EQ(u->set_multicast_ttl_v4(300).error(), std::errc::invalid_argument);

    auto u6 = UdpSocket::bind(SocketAddr(IpAddr::v6_loopback(), 0));
    if (!u6) co_return;  // no IPv6 loopback here
    CO_ASSERT_OK(u6->set_ttl(33));
    EXPECT_EQ(*u6->ttl(), 33u);
    CO_ASSERT_OK(u6->set_multicast_loop_v6(false));
    EXPECT_EQ(*u6->multicast_loop_v6(), false);
  }());
}

TEST_P(NetSocketOptionsTest, MulticastJoinLeaveAndBadGroups) {
  run([]() -> Task<void> {
    const auto group = *IpAddr::parse("239.255.42.99");
    const auto lo = IpAddr::v4_loopback();
    auto u = UdpSocket::bind(SocketAddr(IpAddr::v4_unspecified(), 0));
    CO_ASSERT_OK(u);
    CO_ASSERT_OK(u->join_multicast_v4(group, lo));
    auto twice = u->join_multicast_v4(group, lo);
    CO_ASSERT_TRUE(!twice);
    EXPECT_EQ(twice.error(), std::errc::address_in_use);
    // A datagram to the group, sent out through the loopback interface, comes back to us.
    CO_ASSERT_OK(u->set_multicast_if_v4(lo));
    const SocketAddr to(group, u->local_addr()->port());
    CO_ASSERT_OK(co_await u->send_to("group", to));
    std::array<char, 16> buf{};
    auto got = co_await eddy::time::timeout(10s, u->recv_from(buf));
    CO_ASSERT_OK(got);
    CO_ASSERT_OK(*got);
    EXPECT_EQ(std::string(buf.data(), (*got)->first), "group");
    CO_ASSERT_OK(u->leave_multicast_v4(group, lo));
    auto not_joined = u->leave_multicast_v4(group, lo);
    CO_ASSERT_TRUE(!not_joined);
    EXPECT_EQ(not_joined.error(), std::errc::address_not_available);
    // Bad input: not a multicast address, the wrong family.
    EXPECT_EQ(u->join_multicast_v4(lo, lo).error(), std::errc::invalid_argument);
    EXPECT_EQ(u->join_multicast_v4(IpAddr::v6_loopback(), lo).error(), std::errc::invalid_argument);
    EXPECT_EQ(u->join_multicast_v4(group, IpAddr::v6_loopback()).error(), std::errc::invalid_argument);
    EXPECT_EQ(u->join_multicast_v6(group, 0).error(), std::errc::invalid_argument);
    EXPECT_EQ(u->join_multicast_v6(IpAddr::v6_loopback(), 0).error(), std::errc::invalid_argument);

    auto u6 = UdpSocket::bind(SocketAddr(IpAddr::v6_unspecified(), 0));
    if (!u6) co_return;
    const auto group6 = *IpAddr::parse("ff02::1:3");
    const std::uint32_t lo_index = 1;  // the loopback interface is always index 1 on Linux
    auto j6 = u6->join_multicast_v6(group6, lo_index);
    if (!j6 && j6.error() == std::errc::no_such_device) co_return;  // IPv6 disabled on lo
    CO_ASSERT_OK(j6);
    CO_ASSERT_OK(u6->leave_multicast_v6(group6, lo_index));
  }());
}

TEST_P(NetSocketOptionsTest, OptionsOnAClosedSocketGiveEbadf) {
  run([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    eddy::net::TcpStream moved = std::move(p->client);  // p->client is now closed (fd -1)
    const auto ebadf = std::errc::bad_file_descriptor;
    EXPECT_EQ(p->client.set_nodelay(true).error(), ebadf);
    EXPECT_EQ(p->client.nodelay().error(), ebadf);
    EXPECT_EQ(p->client.set_linger(1s).error(), ebadf);
    EXPECT_EQ(p->client.linger().error(), ebadf);
    EXPECT_EQ(p->client.set_ttl(3).error(), ebadf);
    EXPECT_EQ(p->client.ttl().error(), ebadf);
    EXPECT_EQ(p->client.local_addr().error(), ebadf);
    EXPECT_EQ(p->client.take_error(), ebadf);
    EXPECT_TRUE(*moved.local_addr() == *moved.local_addr());

    auto u = UdpSocket::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(u);
    UdpSocket kept = std::move(*u);
    EXPECT_EQ(u->set_ttl(3).error(), ebadf);
    EXPECT_EQ(u->ttl().error(), ebadf);
    EXPECT_EQ(u->broadcast().error(), ebadf);
    EXPECT_EQ(u->multicast_loop_v4().error(), ebadf);
    EXPECT_EQ(u->join_multicast_v4(*IpAddr::parse("239.1.2.3"), IpAddr::v4_loopback()).error(), ebadf);
    CO_ASSERT_OK(kept.set_ttl(3));
  }());
}
