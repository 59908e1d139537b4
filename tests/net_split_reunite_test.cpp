#include "eddy/net/split.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <system_error>

#include "eddy/net/tcp_stream.hpp"
#include "eddy/net/unix_stream.hpp"
#include "support/net_test_util.hpp"
#include "support/rt_kinds.hpp"

using eddy::Task;
using eddy_test::run;

EDDY_NET_SUITE(NetSplitReuniteTest);

TEST_P(NetSplitReuniteTest, OwnedHalvesReuniteIntoAWorkingStreamWithoutShutdown) {
  run([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    const int fd = p->client.fd();
    auto [r, w] = std::move(p->client).into_split();
    EXPECT_TRUE(r.is_pair_of(w));
    auto s = r.reunite(w);
    CO_ASSERT_OK(s);
    EXPECT_EQ(s->fd(), fd);
    // The write side was not shut down by the halves going away: writing still works.
    CO_ASSERT_OK(co_await s->write_all("still open"));
    std::array<char, 10> buf{};
    CO_ASSERT_OK(co_await p->server.read_exact(buf));
    EXPECT_EQ(std::string(buf.data(), 10), "still open");
    CO_ASSERT_OK(co_await p->server.write_all("back"));
    std::array<char, 4> back{};
    CO_ASSERT_OK(co_await s->read_exact(back));
    EXPECT_EQ(std::string(back.data(), 4), "back");
  }());
}

TEST_P(NetSplitReuniteTest, HalvesOfDifferentStreamsAreRefusedAndKept) {
  run([]() -> Task<void> {
    auto a = eddy::net::UnixStream::pair();
    auto b = eddy::net::UnixStream::pair();
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    auto [ar, aw] = std::move(a->first).into_split();
    auto [br, bw] = std::move(b->first).into_split();
    EXPECT_FALSE(ar.is_pair_of(bw));
    auto bad = eddy::net::reunite(ar, bw);
    CO_ASSERT_TRUE(!bad);
    EXPECT_EQ(bad.error(), std::errc::invalid_argument);
    // Both halves still work.
    CO_ASSERT_OK(co_await bw.write_all("x"));
    std::array<char, 1> one{};
    CO_ASSERT_OK(co_await b->second.read_exact(one));
    auto ok = eddy::net::reunite(ar, aw);
    CO_ASSERT_OK(ok);
    // Reunited halves are empty: reuniting again is refused.
    EXPECT_EQ(ar.reunite(aw).error(), std::errc::invalid_argument);
  }());
}
