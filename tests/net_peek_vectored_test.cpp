// peek on TCP and UDP, peek_sender on UDP, vectored reads and writes on streams.
#include "eddy/net/tcp_stream.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "eddy/net/udp_socket.hpp"
#include "eddy/net/unix_stream.hpp"
#include "eddy/time/timeout.hpp"
#include "support/net_test_util.hpp"
#include "support/rt_kinds.hpp"

using eddy::Task;
using eddy::net::ConstBuffer;
using eddy::net::MutableBuffer;
using eddy::net::UdpSocket;
using eddy_test::run;
using namespace std::chrono_literals;

EDDY_NET_SUITE(NetPeekTest);

TEST_P(NetPeekTest, TcpPeekLeavesTheBytesForRead) {
  run([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    // A peek that waits, woken by the write.
    auto peeker = eddy::spawn([](eddy::net::TcpStream* s) -> Task<std::string> {
      std::array<char, 16> buf{};
      auto n = co_await s->peek(buf);
      co_return n ? std::string(buf.data(), *n) : std::string("error");
    }(&p->server));
    co_await eddy::yield_now();
    CO_ASSERT_OK(co_await p->client.write_all("abcdef"));
    auto seen = co_await eddy::time::timeout(10s, std::move(peeker));
    CO_ASSERT_OK(seen);
    CO_ASSERT_OK(*seen);
    EXPECT_EQ(**seen, "abcdef");
    std::array<char, 3> small{};
    auto again = co_await p->server.peek(small);
    CO_ASSERT_OK(again);
    EXPECT_EQ(std::string(small.data(), *again), "abc");
    std::array<char, 6> all{};
    CO_ASSERT_OK(co_await p->server.read_exact(all));
    EXPECT_EQ(std::string(all.data(), 6), "abcdef");
    // End of stream: peek gives 0.
    CO_ASSERT_OK(p->client.shutdown());
    auto eof = co_await p->server.peek(small);
    CO_ASSERT_OK(eof);
    EXPECT_EQ(*eof, 0u);
  }());
}

TEST_P(NetPeekTest, UdpPeekAndPeekSenderLeaveTheDatagramQueued) {
  run([]() -> Task<void> {
    auto a = UdpSocket::bind(eddy_test::loopback_any_port());
    auto b = UdpSocket::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    EXPECT_EQ(b->try_peek_sender().error(), std::errc::resource_unavailable_try_again);
    CO_ASSERT_OK(co_await a->send_to("datagram", *b->local_addr()));
    auto from = co_await b->peek_sender();
    CO_ASSERT_OK(from);
    EXPECT_EQ(*from, *a->local_addr());
    auto from_again = b->try_peek_sender();
    CO_ASSERT_OK(from_again);
    EXPECT_EQ(*from_again, *a->local_addr());
    std::array<char, 4> part{};
    auto n = co_await b->peek(part);
    CO_ASSERT_OK(n);
    EXPECT_EQ(std::string(part.data(), *n), "data");
    auto t = b->try_peek(part);
    CO_ASSERT_OK(t);
    std::array<char, 16> buf{};
    auto got = co_await b->recv_from(buf);
    CO_ASSERT_OK(got);
    EXPECT_EQ(std::string(buf.data(), got->first), "datagram");  // whole, after the peeks
    EXPECT_EQ(b->try_peek(part).error(), std::errc::resource_unavailable_try_again);
  }());
}

EDDY_NET_SUITE(NetVectoredTest);

TEST_P(NetVectoredTest, TcpWriteVectoredThenReadVectoredKeepsOrder) {
  run([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    const std::array<ConstBuffer, 3> out{ConstBuffer("one-"), ConstBuffer(""), ConstBuffer("two-three")};
    auto w = co_await p->client.write_vectored(out);
    CO_ASSERT_OK(w);
    EXPECT_EQ(*w, 13u);
    std::array<char, 5> x{};
    std::array<char, 20> y{};
    const std::array<MutableBuffer, 2> in{MutableBuffer(x), MutableBuffer(y)};
    auto r = co_await p->server.read_vectored(in);  // one 13-byte loopback segment
    CO_ASSERT_OK(r);
    EXPECT_EQ(*r, 13u);
    EXPECT_EQ(std::string(x.data(), 5) + std::string(y.data(), 8), "one-two-three");
    // Nothing left: try_read_vectored would block, and try_write_vectored writes at once.
    auto none = p->server.try_read_vectored(in);
    CO_ASSERT_TRUE(!none);
    EXPECT_EQ(none.error(), std::errc::resource_unavailable_try_again);
    auto tw = p->client.try_write_vectored(out);
    CO_ASSERT_OK(tw);
    EXPECT_EQ(*tw, 13u);
    std::array<char, 13> rest{};
    CO_ASSERT_OK(co_await p->server.read_exact(rest));
    EXPECT_EQ(std::string(rest.data(), 13), "one-two-three");
  }());
}

TEST_P(NetVectoredTest, UnixStreamVectoredAndEmptyBufferList) {
  run([]() -> Task<void> {
    auto pair = eddy::net::UnixStream::pair();
    CO_ASSERT_OK(pair);
    auto& [a, b] = *pair;
    auto zero = co_await a.write_vectored(std::span<const ConstBuffer>());
    CO_ASSERT_OK(zero);
    EXPECT_EQ(*zero, 0u);
    const std::array<ConstBuffer, 2> out{ConstBuffer("ab"), ConstBuffer("cd")};
    CO_ASSERT_OK(co_await a.write_vectored(out));
    std::array<char, 1> p1{};
    std::array<char, 3> p2{};
    const std::array<MutableBuffer, 2> in{MutableBuffer(p1), MutableBuffer(p2)};
    auto r = co_await b.read_vectored(in);
    CO_ASSERT_OK(r);
    EXPECT_EQ(*r, 4u);
    EXPECT_EQ(std::string(p1.data(), 1) + std::string(p2.data(), 3), "abcd");
    // EOF through the vectored read.
    CO_ASSERT_OK(a.shutdown());
    auto eof = co_await b.read_vectored(in);
    CO_ASSERT_OK(eof);
    EXPECT_EQ(*eof, 0u);
  }());
}
