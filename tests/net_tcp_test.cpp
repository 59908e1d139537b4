#include "eddy/net/tcp_stream.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "eddy/net/tcp_listener.hpp"
#include "eddy/net/error.hpp"
#include "eddy/time/timeout.hpp"
#include "support/net_test_util.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

using eddy::Result;
using eddy::Task;
using eddy::net::SocketAddr;
using eddy::net::TcpListener;
using eddy::net::TcpStream;
using eddy_test::is_pending;
using eddy_test::run;
using eddy_test::tcp_pair;

namespace {

bool is_errc(std::error_code ec, std::errc e) { return ec == e; }

Task<void> connect_accept_echo() {
  auto l = TcpListener::bind(eddy_test::loopback_any_port());
  CO_ASSERT_OK(l);
  auto addr = l->local_addr();
  CO_ASSERT_OK(addr);
  EXPECT_NE(addr->port(), 0);
  auto c = co_await TcpStream::connect(*addr);
  CO_ASSERT_OK(c);
  auto a = co_await l->accept();
  CO_ASSERT_OK(a);
  auto& [s, peer] = *a;
  EXPECT_EQ(peer, *c->local_addr());
  EXPECT_EQ(*s.peer_addr(), *c->local_addr());
  EXPECT_EQ(*c->peer_addr(), *addr);

  auto w = co_await c->write_all("hello");
  CO_ASSERT_OK(w);
  std::array<char, 5> buf{};
  auto r = co_await s.read_exact(buf);
  CO_ASSERT_OK(r);
  EXPECT_EQ(std::string(buf.data(), 5), "hello");
  CO_ASSERT_OK(co_await s.write_all(buf));
  std::array<char, 16> back{};
  auto n = co_await c->read(back);
  CO_ASSERT_OK(n);
  EXPECT_EQ(std::string(back.data(), *n), "hello");
}

}  // namespace

EDDY_NET_SUITE(NetTcpTest);

TEST_P(NetTcpTest, ConnectAcceptAndEcho) { run(connect_accept_echo()); }

TEST_P(NetTcpTest, ReadReadinessFollowsPeerWritesPartialReadsAndClose) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    eddy_test::TestWaker tw;
    // Not readable at first.
    EXPECT_TRUE(is_pending(server.poll_read_ready(tw.waker())));
    // Readable after the peer writes.
    CO_ASSERT_OK(co_await client.write_all("0123456789"));
    CO_ASSERT_OK(co_await server.readable());
    EXPECT_FALSE(is_pending(server.poll_read_ready(tw.waker())));
    // Still readable after a partial read (the buffer filled, so nothing says it is drained).
    std::array<char, 4> small{};
    auto n = server.try_read(small);
    CO_ASSERT_OK(n);
    EXPECT_EQ(*n, 4u);
    EXPECT_FALSE(is_pending(server.poll_read_ready(tw.waker())));
    n = server.try_read(small);
    CO_ASSERT_OK(n);
    n = server.try_read(std::span<char>(small.data(), 2));
    CO_ASSERT_OK(n);
    EXPECT_EQ(*n, 2u);
    EXPECT_FALSE(is_pending(server.poll_read_ready(tw.waker())));
    // ... until a read would block.
    n = server.try_read(small);
    CO_ASSERT_TRUE(!n);
    EXPECT_TRUE(eddy::io::is_would_block(n.error()));
    EXPECT_TRUE(is_pending(server.poll_read_ready(tw.waker())));
    // Readable again when the peer closes.
    const int woken = tw.woken();
    client = TcpStream(eddy::net::detail::PollEvented());
    auto ready = co_await server.readable();
    CO_ASSERT_OK(ready);
    EXPECT_TRUE(ready->is_read_closed());
    EXPECT_GT(tw.woken(), woken);
    auto ev = server.poll_read_ready(tw.waker());
    CO_ASSERT_TRUE(ev.is_ready());
    EXPECT_TRUE((*ev)->is_read_closed());
    auto eof = co_await server.read(small);
    CO_ASSERT_OK(eof);
    EXPECT_EQ(*eof, 0u);
  }());
}

TEST_P(NetTcpTest, WriteReadinessFollowsSendBufferAndPeerClose) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    eddy_test::TestWaker tw;
    // Writable at first.
    CO_ASSERT_OK(co_await client.writable());
    EXPECT_FALSE(is_pending(client.poll_write_ready(tw.waker())));
    // Not writable once full.
    std::vector<char> chunk(64 * 1024, 'x');
    std::size_t total = 0;
    for (;;) {
      auto n = client.try_write(chunk);
      if (!n) {
        EXPECT_TRUE(eddy::io::is_would_block(n.error())) << n.error().message();
        break;
      }
      total += *n;
    }
    EXPECT_GT(total, 0u);
    EXPECT_TRUE(is_pending(client.poll_write_ready(tw.waker())));
    // Writable when the peer closes (unread data makes it a reset: HUP|ERR).
    server = TcpStream(eddy::net::detail::PollEvented());
    CO_ASSERT_OK(co_await client.writable());
    EXPECT_FALSE(is_pending(client.poll_write_ready(tw.waker())));
    EXPECT_GE(tw.woken(), 1);
  }());
}

TEST_P(NetTcpTest, TryReadWriteClearReadinessOnWouldBlockAndWaitAgain) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    std::vector<char> chunk(4096, 'a');
    std::size_t written = 0;
    for (;;) {
      CO_ASSERT_OK(co_await client.writable());
      auto n = client.try_write(chunk);
      if (!n) {
        CO_ASSERT_TRUE(eddy::io::is_would_block(n.error()));
        break;
      }
      written += *n;
    }
    // Drain it all from the other side with try_read after readable().
    std::vector<char> buf(8192);
    std::size_t read = 0;
    while (read < written) {
      CO_ASSERT_OK(co_await server.readable());
      auto n = server.try_read(buf);
      if (!n) {
        CO_ASSERT_TRUE(eddy::io::is_would_block(n.error()));
        continue;
      }
      read += *n;
    }
    EXPECT_EQ(read, written);
    // The writer becomes writable again and can write.
    CO_ASSERT_OK(co_await client.writable());
    std::size_t more = 0;
    while (more == 0) {
      auto n = client.try_write(chunk);
      if (n) more = *n;
      else CO_ASSERT_OK(co_await client.writable());
    }
    EXPECT_GT(more, 0u);
  }());
}

TEST_P(NetTcpTest, TryReadIntoVectorBuffer) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    // Before any readiness try_read does not even try.
    std::vector<std::uint8_t> buf(32);
    auto n = server.try_read(buf);
    CO_ASSERT_TRUE(!n);
    EXPECT_TRUE(eddy::io::is_would_block(n.error()));
    CO_ASSERT_OK(co_await client.write_all("abc"));
    for (;;) {
      CO_ASSERT_OK(co_await server.readable());
      n = server.try_read(buf);
      if (n) break;
      CO_ASSERT_TRUE(eddy::io::is_would_block(n.error()));
    }
    EXPECT_EQ(*n, 3u);
    EXPECT_EQ(std::memcmp(buf.data(), "abc", 3), 0);
  }());
}

TEST_P(NetTcpTest, ShortReadClearsReadinessSoTheNextReadWaits) {
  EDDY_READINESS_ONLY("the short-read trick is epoll's; in completion mode reads never look at readiness");
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    CO_ASSERT_OK(co_await client.write_all("0123456789"));
    std::array<char, 100> buf{};
    auto n = co_await server.read(buf);
    CO_ASSERT_OK(n);
    EXPECT_EQ(*n, 10u);
    // The short read proved the buffer drained: readability is cleared without an EAGAIN.
    auto& sio = server.poll_evented().registration().scheduled_io();
    EXPECT_FALSE(eddy::io::ScheduledIo::ready_of(sio.readiness_word()).is_readable());
    // A full read (n == len) keeps it.
    CO_ASSERT_OK(co_await client.write_all("0123456789"));
    std::array<char, 5> five{};
    CO_ASSERT_OK(co_await server.read_exact(five));
    EXPECT_TRUE(eddy::io::ScheduledIo::ready_of(sio.readiness_word()).is_readable());
  }());
}

TEST_P(NetTcpTest, HalfCloseKeepsDataThenReadsEofAndWriteSideKeepsWorking) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    std::string payload(200000, 'q');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
    auto writer = eddy::spawn([](TcpStream& c, const std::string& data) -> Task<void> {
      CO_ASSERT_OK(co_await c.write_all(data));
      CO_ASSERT_OK(c.shutdown());
    }(client, payload));
    std::string got;
    std::vector<char> buf(7000);
    for (;;) {
      auto n = co_await server.read(buf);
      CO_ASSERT_OK(n);
      if (*n == 0) break;
      got.append(buf.data(), *n);
    }
    EXPECT_EQ(got, payload);
    // EOF stays EOF.
    auto again = co_await server.read(buf);
    CO_ASSERT_OK(again);
    EXPECT_EQ(*again, 0u);
    // Our write side still works after the peer's half-close.
    CO_ASSERT_OK(co_await server.write_all("still here"));
    std::array<char, 10> back{};
    CO_ASSERT_OK(co_await client.read_exact(back));
    EXPECT_EQ(std::string(back.data(), back.size()), "still here");
    CO_ASSERT_OK(co_await writer);
  }());
}

TEST_P(NetTcpTest, ReadExactReportsUnexpectedEof) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    CO_ASSERT_OK(co_await client.write_all("abc"));
    CO_ASSERT_OK(client.shutdown());
    std::array<char, 10> buf{};
    auto r = co_await server.read_exact(buf);
    CO_ASSERT_TRUE(!r);
    EXPECT_EQ(r.error(), eddy::net::NetError::unexpected_eof);
  }());
}

TEST_P(NetTcpTest, ConnectionRefusedGivesEconnrefused) {
  run([]() -> Task<void> {
    SocketAddr addr;
    {
      auto l = TcpListener::bind(eddy_test::loopback_any_port());
      CO_ASSERT_OK(l);
      addr = *l->local_addr();
    }  // closed: nothing listens on the port now
    auto c = co_await TcpStream::connect(addr);
    CO_ASSERT_TRUE(!c);
    EXPECT_TRUE(is_errc(c.error(), std::errc::connection_refused)) << c.error().message();
  }());
}

TEST_P(NetTcpTest, PeerResetMidWriteGivesErrorNotSigpipe) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    CO_ASSERT_OK(server.set_linger(std::chrono::seconds(0)));
    server = TcpStream(eddy::net::detail::PollEvented());  // close with RST
    std::vector<char> chunk(64 * 1024, 'z');
    std::error_code err;
    for (int i = 0; i < 1000 && !err; ++i) {
      auto r = co_await client.write_all(chunk);
      if (!r) err = r.error();
    }
    EXPECT_TRUE(is_errc(err, std::errc::connection_reset) || is_errc(err, std::errc::broken_pipe))
        << err.message();
    // Still alive (no SIGPIPE): writing again fails the same way.
    auto again = co_await client.write("x");
    EXPECT_FALSE(again);
  }());
}

TEST_P(NetTcpTest, BindingAHeldPortGivesEaddrinuse) {
  run([]() -> Task<void> {
    auto l = TcpListener::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(l);
    auto second = TcpListener::bind(*l->local_addr());
    CO_ASSERT_TRUE(!second);
    EXPECT_TRUE(is_errc(second.error(), std::errc::address_in_use)) << second.error().message();
  }());
}

namespace {

// Lowers RLIMIT_NOFILE for the test's duration.
class FdLimit {
 public:
  explicit FdLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit l = saved_;
    l.rlim_cur = soft;
    ok_ = ::setrlimit(RLIMIT_NOFILE, &l) == 0;
  }
  ~FdLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

Task<void> emfile_on_accept() {
  auto l = TcpListener::bind(eddy_test::loopback_any_port());
  CO_ASSERT_OK(l);
  const auto addr = *l->local_addr();
  const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  CO_ASSERT_TRUE(probe >= 0);
  ::close(probe);
  FdLimit limit(static_cast<rlim_t>(probe + 16));
  CO_ASSERT_TRUE(limit.ok());
  std::vector<int> fillers;
  for (;;) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      EXPECT_EQ(errno, EMFILE);
      break;
    }
    fillers.push_back(fd);
  }
  CO_ASSERT_TRUE(!fillers.empty());
  // One fd for the client socket; then the table is full again.
  ::close(fillers.back());
  fillers.pop_back();
  auto c = co_await TcpStream::connect(addr);
  CO_ASSERT_OK(c);
  // While the table is full only plain values are inspected: UBSan's vptr check (a virtual
  // error_category call) needs a pipe to probe memory and reports a false positive at EMFILE.
  auto a = co_await l->accept();
  const int first_errno = a ? 0 : a.error().value();
  // Errors are not swallowed and there is no hidden retry: the same error again.
  auto a2 = co_await l->accept();
  const int second_errno = a2 ? 0 : a2.error().value();
  // Free some fds: the connection waited in the backlog and is accepted now.
  for (int i = 0; i < 2; ++i) {
    ::close(fillers.back());
    fillers.pop_back();
  }
  EXPECT_EQ(first_errno, EMFILE);
  EXPECT_EQ(second_errno, EMFILE);
  auto ok = co_await l->accept();
  CO_ASSERT_OK(ok);
  CO_ASSERT_OK(co_await c->write_all("x"));
  std::array<char, 1> b{};
  CO_ASSERT_OK(co_await ok->first.read_exact(b));
  EXPECT_EQ(b[0], 'x');
  for (int fd : fillers) ::close(fd);
}

}  // namespace

TEST_P(NetTcpTest, EmfileOnAcceptIsReturnedAndListenerRecovers) {
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
  // The ASan build also runs UBSan, whose vptr check probes memory through a pipe: at EMFILE it
  // gets no fd and reports valid objects as having an invalid vptr. The io_uring accept path
  // makes member calls on its polymorphic ops (and their shared_ptrs) while the table is full,
  // so on that kind the check fires falsely; the release and TSan builds run it there.
  if (eddy_test::is_uring_kind(GetParam())) {
    GTEST_SKIP() << "UBSan's vptr check cannot work at EMFILE (false positive in the uring accept path)";
  }
#endif
#endif
  run(emfile_on_accept());
}

namespace {

// Counts every poll of an accept (a wrapper around poll_accept).
class CountingAccept : public eddy::detail::PollAwaiter<CountingAccept, Result<TcpListener::Accepted>> {
 public:
  CountingAccept(TcpListener& l, int& polls) noexcept : l_(&l), polls_(&polls) {}
  eddy::Poll<Result<TcpListener::Accepted>> poll(const eddy::Waker& w) {
    ++*polls_;
    return l_->poll_accept(w);
  }

 private:
  TcpListener* l_;
  int* polls_;
};

}  // namespace

TEST_P(NetTcpTest, AcceptLoopIsPolledExactlyOncePerConnection) {
  EDDY_CURRENT_THREAD_ONLY("asserts the acceptor's exact poll count right after this task yields; on workers it runs concurrently");
  run([]() -> Task<void> {
    auto l = TcpListener::bind(eddy_test::loopback_any_port());
    CO_ASSERT_OK(l);
    const auto addr = *l->local_addr();
    int polls = 0;
    int accepted = 0;
    constexpr int kConns = 8;
    auto acceptor = eddy::spawn([](TcpListener& lis, int& p, int& acc) -> Task<void> {
      std::vector<TcpStream> keep;
      for (int i = 0; i < kConns; ++i) {
        auto a = co_await CountingAccept(lis, p);
        CO_ASSERT_OK(a);
        keep.push_back(std::move(a->first));
        ++acc;
      }
    }(*l, polls, accepted));
    co_await eddy::yield_now();
    EXPECT_EQ(polls, 1);  // first poll: nothing to accept yet
    std::vector<TcpStream> clients;
    for (int i = 1; i <= kConns; ++i) {
      auto c = co_await TcpStream::connect(addr);
      CO_ASSERT_OK(c);
      clients.push_back(std::move(*c));
      while (accepted < i) co_await eddy::yield_now();
      // One poll that accepted, one that found the backlog empty and waits: never an extra one.
      EXPECT_EQ(polls, 1 + 2 * i - (i == kConns ? 1 : 0)) << "after connection " << i;
    }
    CO_ASSERT_OK(co_await acceptor);
  }());
}

TEST_P(NetTcpTest, ShutdownAfterResetSucceeds) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    CO_ASSERT_OK(server.set_linger(std::chrono::seconds(0)));
    server = TcpStream(eddy::net::detail::PollEvented());
    CO_ASSERT_OK(co_await client.readable());
    // The connection is gone; a write fails, shutting down the write side does not.
    auto w = co_await client.write("1");
    EXPECT_FALSE(w);
    EXPECT_TRUE(client.shutdown());
    EXPECT_TRUE(client.shutdown());
  }());
}

TEST_P(NetTcpTest, RepeatedShutdownCallsSucceedAndPeerSeesEof) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    EXPECT_TRUE(client.shutdown());
    EXPECT_TRUE(client.shutdown());
    EXPECT_TRUE(client.shutdown());
    std::array<char, 4> b{};
    auto n = co_await server.read(b);
    CO_ASSERT_OK(n);
    EXPECT_EQ(*n, 0u);
    // Echo of nothing: the server's side can still shut down and the client reads EOF.
    EXPECT_TRUE(server.shutdown());
    auto m = co_await client.read(b);
    CO_ASSERT_OK(m);
    EXPECT_EQ(*m, 0u);
  }());
}

namespace {

Task<void> pump(eddy::net::ReadHalf<TcpStream> rd, eddy::net::WriteHalf<TcpStream> wr, std::size_t& copied) {
  std::vector<char> buf(16 * 1024);
  for (;;) {
    auto n = co_await rd.read(buf);
    CO_ASSERT_OK(n);
    if (*n == 0) break;
    CO_ASSERT_OK(co_await wr.write_all(std::span<char>(buf.data(), *n)));
    copied += *n;
  }
  CO_ASSERT_OK(wr.shutdown());
}

}  // namespace

TEST_P(NetTcpTest, SplitHalvesReadAndWriteFromTwoTasks) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    std::size_t echoed = 0;
    auto [srd, swr] = server.split();
    auto echo = eddy::spawn(pump(srd, swr, echoed));
    // Client: one task writes 2 MiB while this one reads the echo back.
    constexpr std::size_t kBytes = 2 * 1024 * 1024;
    auto [crd, cwr] = client.split();
    auto writer = eddy::spawn([](eddy::net::WriteHalf<TcpStream> w) -> Task<void> {
      std::vector<char> chunk(32 * 1024);
      std::size_t sent = 0;
      while (sent < kBytes) {
        for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>((sent + i) % 251);
        CO_ASSERT_OK(co_await w.write_all(chunk));
        sent += chunk.size();
      }
      CO_ASSERT_OK(w.shutdown());
    }(cwr));
    std::vector<char> buf(10000);
    std::size_t got = 0;
    bool intact = true;
    for (;;) {
      auto n = co_await crd.read(buf);
      CO_ASSERT_OK(n);
      if (*n == 0) break;
      for (std::size_t i = 0; i < *n; ++i) intact &= buf[i] == static_cast<char>((got + i) % 251);
      got += *n;
    }
    EXPECT_TRUE(intact);
    EXPECT_EQ(got, kBytes);
    CO_ASSERT_OK(co_await writer);
    CO_ASSERT_OK(co_await echo);
    EXPECT_EQ(echoed, kBytes);
  }());
}

TEST_P(NetTcpTest, OwnedHalvesShutDownTheWriteSideWhenTheWriterGoes) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto [rd, wr] = std::move(p->server).into_split();
    auto reader = eddy::spawn([](eddy::net::OwnedReadHalf<TcpStream> r) -> Task<void> {
      std::array<char, 3> b{};
      CO_ASSERT_OK(co_await r.read_exact(b));
      EXPECT_EQ(std::string(b.data(), 3), "pin");
    }(std::move(rd)));
    CO_ASSERT_OK(co_await p->client.write_all("pin"));
    CO_ASSERT_OK(co_await reader);
    CO_ASSERT_OK(co_await wr.write_all("pong"));
    { auto gone = std::move(wr); }
    std::string got;
    std::array<char, 8> b{};
    for (;;) {
      auto n = co_await p->client.read(b);
      CO_ASSERT_OK(n);
      if (*n == 0) break;
      got.append(b.data(), *n);
    }
    EXPECT_EQ(got, "pong");
  }());
}

TEST_P(NetTcpTest, AlwaysReadySocketYieldsToOtherTasks) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    constexpr std::size_t kBytes = 1000;
    CO_ASSERT_OK(co_await client.write_all(std::string(kBytes, 'b')));
    CO_ASSERT_OK(co_await server.readable());
    bool other_ran = false;
    auto other = eddy::spawn([](bool& flag) -> Task<void> {
      flag = true;
      co_return;
    }(other_ran));
    // 1000 one-byte reads on a socket that is always ready: the budget forces a yield, so the
    // other task runs before the reads are done.
    std::size_t reads_before_other = 0;
    std::array<char, 1> one{};
    for (std::size_t i = 0; i < kBytes; ++i) {
      CO_ASSERT_OK(co_await server.read(one));
      if (!other_ran) ++reads_before_other;
    }
    EXPECT_TRUE(other_ran);
    EXPECT_LE(reads_before_other, eddy::coop::kInitialBudget);
    CO_ASSERT_OK(co_await other);
  }());
}

TEST_P(NetTcpTest, CancelledReadConsumesNothing) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;  // not a structured binding: clang 14 fails on those in coroutines with -g
    auto& server = p->server;
    auto reader = eddy::spawn([](TcpStream& s) -> Task<void> {
      std::array<char, 16> b{};
      (void)co_await s.read(b);
      ADD_FAILURE() << "the aborted read completed";
    }(server));
    co_await eddy::yield_now();  // the reader is now waiting
    reader.abort();
    auto r = co_await reader;
    EXPECT_FALSE(r);
    CO_ASSERT_OK(co_await client.write_all("data"));
    std::array<char, 4> b{};
    CO_ASSERT_OK(co_await server.read_exact(b));
    EXPECT_EQ(std::string(b.data(), 4), "data");
  }());
}

TEST_P(NetTcpTest, OperationsOutsideARuntimeFailCleanly) {
  auto l = TcpListener::bind(eddy_test::loopback_any_port());
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error(), eddy::Error::no_runtime);
}

// tokio drops a task's future when it completes. A finished `say_bye(TcpStream)` task must close
// its connection even while someone keeps its JoinHandle: the peer reads EOF.
TEST_P(NetTcpTest, FinishedConnectionTaskClosesItsSocketWhileTheHandleIsHeld) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto handle = eddy::spawn([](TcpStream s) -> Task<void> {
      (void)co_await s.write_all("bye");
    }(std::move(p->server)));
    std::array<char, 3> got{};
    CO_ASSERT_OK(co_await p->client.read_exact(got));
    EXPECT_EQ(std::string(got.data(), got.size()), "bye");
    // The handle is still held. Bounded: on failure the read would wait forever.
    auto n = co_await eddy::time::timeout(std::chrono::seconds(10),
                                          [](TcpStream& c, std::array<char, 3>& b) -> Task<Result<std::size_t>> {
                                            co_return co_await c.read(b);
                                          }(p->client, got));
    CO_ASSERT_TRUE(n.has_value() && "the finished task still holds the connection open");
    CO_ASSERT_OK(*n);
    EXPECT_EQ(**n, 0u);
    CO_ASSERT_OK(co_await handle);
  }());
}
