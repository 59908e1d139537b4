#include "eddy/net/lookup_host.hpp"

#include <gtest/gtest.h>
#include <netdb.h>

#include <algorithm>

#include "eddy/net/error.hpp"
#include "support/net_test_util.hpp"
#include "support/rt_kinds.hpp"

using eddy::Task;
using eddy::net::IpAddr;
using eddy::net::lookup_host;
using eddy::net::SocketAddr;
using eddy_test::run;

EDDY_RT_SUITE(NetLookupHostTest);

TEST_P(NetLookupHostTest, LiteralsNeedNoResolver) {
  run([]() -> Task<void> {
    auto r = co_await lookup_host("127.0.0.1:8080");
    CO_ASSERT_OK(r);
    CO_ASSERT_TRUE(r->size() == 1);
    EXPECT_EQ(r->front(), *SocketAddr::parse("127.0.0.1:8080"));
    auto v6 = co_await lookup_host("[::1]:80");
    CO_ASSERT_OK(v6);
    EXPECT_EQ(v6->front(), *SocketAddr::parse("[::1]:80"));
  }());
}

TEST_P(NetLookupHostTest, LocalhostResolvesToLoopbackOnTheBlockingPool) {
  run([]() -> Task<void> {
    auto r = co_await lookup_host("localhost:8080");
    CO_ASSERT_OK(r);
    CO_ASSERT_TRUE(!r->empty());
    for (const auto& a : *r) {
      EXPECT_EQ(a.port(), 8080);
      EXPECT_TRUE(a.ip().is_loopback()) << a.to_string();
    }
    auto r2 = co_await lookup_host("localhost", 9);
    CO_ASSERT_OK(r2);
    EXPECT_EQ(r2->front().port(), 9);
  }());
}

TEST_P(NetLookupHostTest, MalformedInputGivesInvalidArgument) {
  run([]() -> Task<void> {
    for (const char* text : {"", "localhost", "localhost:", "localhost:99999", "[::1", "[::1]", "a:b:80", "localhost:-1"}) {
      auto r = co_await lookup_host(text);
      CO_ASSERT_TRUE(!r);
      EXPECT_EQ(r.error(), std::errc::invalid_argument) << text;
    }
  }());
}

TEST_P(NetLookupHostTest, UnknownNameGivesAResolverError) {
  run([]() -> Task<void> {
    // ".invalid" is reserved (RFC 2606) and never resolves.
    auto r = co_await lookup_host("no-such-host.invalid:80");
    CO_ASSERT_TRUE(!r);
    EXPECT_FALSE(r.error().message().empty());
  }());
}
