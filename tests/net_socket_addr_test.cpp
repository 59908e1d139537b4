#include "eddy/net/socket_addr.hpp"

#include <gtest/gtest.h>

#include <string>

#include "eddy/net/ip_addr.hpp"
#include "eddy/net/unix_socket_addr.hpp"

using eddy::net::IpAddr;
using eddy::net::SocketAddr;
using eddy::net::UnixSocketAddr;

TEST(NetSocketAddr, ParsesAndFormatsIpv4) {
  auto a = SocketAddr::parse("127.0.0.1:8080");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_ipv4());
  EXPECT_EQ(a->port(), 8080);
  EXPECT_EQ(a->ip(), IpAddr::v4_loopback());
  EXPECT_TRUE(a->ip().is_loopback());
  EXPECT_EQ(a->to_string(), "127.0.0.1:8080");
}

TEST(NetSocketAddr, ParsesAndFormatsIpv6WithBrackets) {
  auto a = SocketAddr::parse("[::1]:80");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_ipv6());
  EXPECT_EQ(a->port(), 80);
  EXPECT_EQ(a->ip(), IpAddr::v6_loopback());
  EXPECT_EQ(a->to_string(), "[::1]:80");
  auto scoped = SocketAddr::parse("[fe80::1%2]:443");
  ASSERT_TRUE(scoped);
  EXPECT_EQ(scoped->scope_id(), 2u);
  EXPECT_EQ(scoped->to_string(), "[fe80::1%2]:443");
}

TEST(NetSocketAddr, RoundTripsThroughTextAndSockaddr) {
  for (const char* text : {"0.0.0.0:0", "255.255.255.255:65535", "[2001:db8::8:800:200c:417a]:1", "[::]:9"}) {
    auto a = SocketAddr::parse(text);
    ASSERT_TRUE(a) << text;
    EXPECT_EQ(a->to_string(), text);
    sockaddr_storage ss;
    const socklen_t len = a->to_sockaddr(ss);
    auto back = SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, *a);
  }
}

TEST(NetSocketAddr, MalformedInputGivesInvalidArgument) {
  for (const char* text : {"", "1.2.3:80", "127.0.0.1", "[::1", "[::1]", "[::1]:", "::1:80", "host:99999",
                           "127.0.0.1:99999", "127.0.0.1:", "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:8o",
                           "256.0.0.1:80", "localhost:80", "[127.0.0.1]:80", "[::1]x80", " 127.0.0.1:80",
                           "127.0.0.1:80 ", "[::1%x]:80", "1.2.3.4.5:6", ":80", "[]:80"}) {
    auto a = SocketAddr::parse(text);
    ASSERT_FALSE(a) << "'" << text << "' parsed as " << a->to_string();
    EXPECT_EQ(a.error(), std::errc::invalid_argument) << text;
  }
  // Embedded NUL and very long input.
  EXPECT_FALSE(SocketAddr::parse(std::string("127.0.0.1\0:80", 13)));
  EXPECT_FALSE(SocketAddr::parse(std::string(10000, '1') + ":80"));
}

TEST(NetSocketAddr, IpAddrParsesBothFamiliesOnly) {
  EXPECT_EQ(*IpAddr::parse("10.1.2.3"), IpAddr::v4(10, 1, 2, 3));
  EXPECT_TRUE(IpAddr::parse("::ffff:1.2.3.4")->is_ipv6());
  EXPECT_FALSE(IpAddr::parse("1.2.3"));
  EXPECT_FALSE(IpAddr::parse(""));
  EXPECT_FALSE(IpAddr::parse("[::1]"));
  EXPECT_TRUE(IpAddr::v4_unspecified().is_unspecified());
  EXPECT_TRUE(IpAddr::v6_unspecified().is_unspecified());
  EXPECT_FALSE(IpAddr::v4_loopback().is_unspecified());
}

TEST(NetSocketAddr, FromSockaddrRejectsOtherFamiliesAndShortLengths) {
  sockaddr_storage ss{};
  ss.ss_family = AF_UNIX;
  EXPECT_FALSE(SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), sizeof ss));
  ss.ss_family = AF_INET;
  EXPECT_FALSE(SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), 4));
  EXPECT_FALSE(SocketAddr::from_sockaddr(nullptr, 0));
}

TEST(NetUnixSocketAddr, PathsAbstractNamesAndUnnamed) {
  auto p = UnixSocketAddr::from_path("/tmp/x.sock");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->as_pathname(), "/tmp/x.sock");
  EXPECT_FALSE(p->as_abstract_name());
  EXPECT_EQ(p->to_string(), "/tmp/x.sock");
  auto n = UnixSocketAddr::from_abstract_name("eddy-test");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->as_abstract_name(), "eddy-test");
  EXPECT_FALSE(n->as_pathname());
  EXPECT_EQ(n->to_string(), "@eddy-test");
  UnixSocketAddr u;
  EXPECT_TRUE(u.is_unnamed());
  EXPECT_EQ(u.to_string(), "(unnamed)");
  EXPECT_FALSE(*p == *n);
  EXPECT_TRUE(*p == *UnixSocketAddr::from_path("/tmp/x.sock"));
}

TEST(NetUnixSocketAddr, BadPathsGiveInvalidArgument) {
  EXPECT_EQ(UnixSocketAddr::from_path("").error(), std::errc::invalid_argument);
  EXPECT_EQ(UnixSocketAddr::from_path(std::string(200, 'a')).error(), std::errc::invalid_argument);
  EXPECT_EQ(UnixSocketAddr::from_path(std::string("a\0b", 3)).error(), std::errc::invalid_argument);
  EXPECT_EQ(UnixSocketAddr::from_abstract_name(std::string(200, 'a')).error(), std::errc::invalid_argument);
}
