#include "eddy/net/unix_stream.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

#include "eddy/net/unix_datagram.hpp"
#include "eddy/net/unix_listener.hpp"
#include "support/net_test_util.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"
#include "support/temp_dir.hpp"

using eddy::Result;
using eddy::Task;
using eddy::net::UnixDatagram;
using eddy::net::UnixListener;
using eddy::net::UnixSocketAddr;
using eddy::net::UnixStream;
using eddy_test::is_pending;
using eddy_test::run;

namespace {

using eddy_test::TempDir;

bool is_errc(std::error_code ec, std::errc e) { return ec == e; }

}  // namespace

EDDY_NET_SUITE(NetUnixStreamTest);

TEST_P(NetUnixStreamTest, ListenConnectAcceptAndEcho) {
  TempDir dir;
  run([](std::string path) -> Task<void> {
    auto l = UnixListener::bind(path);
    CO_ASSERT_OK(l);
    EXPECT_EQ(l->local_addr()->as_pathname(), path);
    auto c = co_await UnixStream::connect(path);
    CO_ASSERT_OK(c);
    auto a = co_await l->accept();
    CO_ASSERT_OK(a);
    auto& s = a->first;
    EXPECT_TRUE(a->second.is_unnamed());
    EXPECT_EQ(c->peer_addr()->as_pathname(), path);
    CO_ASSERT_OK(co_await c->write_all("hello unix"));
    std::array<char, 10> buf{};
    CO_ASSERT_OK(co_await s.read_exact(buf));
    EXPECT_EQ(std::string(buf.data(), buf.size()), "hello unix");
    CO_ASSERT_OK(c->shutdown());
    auto eof = co_await s.read(buf);
    CO_ASSERT_OK(eof);
    EXPECT_EQ(*eof, 0u);
  }(dir.join("echo.sock")));
}

TEST_P(NetUnixStreamTest, BindingAnExistingPathGivesEaddrinuse) {
  TempDir dir;
  run([](std::string path) -> Task<void> {
    auto l = UnixListener::bind(path);
    CO_ASSERT_OK(l);
    auto again = UnixListener::bind(path);
    CO_ASSERT_TRUE(!again);
    EXPECT_TRUE(is_errc(again.error(), std::errc::address_in_use)) << again.error().message();
  }(dir.join("busy.sock")));
}

TEST_P(NetUnixStreamTest, ConnectToMissingPathOrBadPathFails) {
  TempDir dir;
  run([](std::string path) -> Task<void> {
    auto c = co_await UnixStream::connect(path);
    CO_ASSERT_TRUE(!c);
    EXPECT_TRUE(is_errc(c.error(), std::errc::no_such_file_or_directory)) << c.error().message();
    auto bad = co_await UnixStream::connect(std::string(300, 'x'));
    CO_ASSERT_TRUE(!bad);
    EXPECT_TRUE(is_errc(bad.error(), std::errc::invalid_argument));
  }(dir.join("missing.sock")));
}

namespace {
// Polls an awaiter exactly once (with the task's waker) and reports whether it was pending.
template <class A>
class PollOnce : public eddy::detail::PollAwaiter<PollOnce<A>, bool> {
 public:
  explicit PollOnce(A& a) noexcept : a_(&a) {}
  eddy::Poll<bool> poll(const eddy::Waker& w) { return !a_->poll(w).is_ready(); }

 private:
  A* a_;
};
}  // namespace

TEST_P(NetUnixStreamTest, EpollhupConnectWhoseListenerIsDroppedFails) {
  EDDY_CURRENT_THREAD_ONLY("asserts the connect is pending at its first poll; a worker parked on the driver may deliver the edge first");
  TempDir dir;
  run([](std::string path) -> Task<void> {
    std::optional<UnixListener> listener;
    {
      auto l = UnixListener::bind(path);
      CO_ASSERT_OK(l);
      listener.emplace(std::move(*l));
    }
    auto connect = UnixStream::connect(path);
    const bool pending = co_await PollOnce(connect);
    EXPECT_TRUE(pending);
    listener.reset();  // never accepted: the kernel resets the queued connection
    auto r = co_await connect;
    CO_ASSERT_TRUE(!r);
    EXPECT_TRUE(is_errc(r.error(), std::errc::connection_refused) ||
                is_errc(r.error(), std::errc::connection_reset))
        << r.error().message();
  }(dir.join("hup.sock")));
}

TEST_P(NetUnixStreamTest, PairReadinessAndTryReadWrite) {
  run([]() -> Task<void> {
    auto p = UnixStream::pair();
    CO_ASSERT_OK(p);
    auto& [a, b] = *p;
    eddy_test::TestWaker tw;
    EXPECT_TRUE(is_pending(b.poll_read_ready(tw.waker())));
    CO_ASSERT_OK(co_await a.writable());
    auto n = a.try_write("0123456789");
    CO_ASSERT_OK(n);
    EXPECT_EQ(*n, 10u);
    CO_ASSERT_OK(co_await b.readable());
    std::array<char, 4> small{};
    CO_ASSERT_OK(b.try_read(small));
    EXPECT_FALSE(is_pending(b.poll_read_ready(tw.waker())));  // still readable after a partial read
    std::array<char, 64> rest{};
    auto m = b.try_read(rest);
    CO_ASSERT_OK(m);
    EXPECT_EQ(*m, 6u);
    auto none = b.try_read(rest);
    CO_ASSERT_TRUE(!none);
    EXPECT_TRUE(eddy::io::is_would_block(none.error()));
    EXPECT_TRUE(is_pending(b.poll_read_ready(tw.waker())));
    // Writable until full, then not.
    std::vector<char> chunk(64 * 1024, 'u');
    for (;;) {
      auto w = a.try_write(chunk);
      if (!w) break;
    }
    EXPECT_TRUE(is_pending(a.poll_write_ready(tw.waker())));
    // Peer closes: readable (closed) and writable (closed) again.
    b = UnixStream(eddy::net::detail::PollEvented());
    CO_ASSERT_OK(co_await a.writable());
    auto ev = a.poll_write_ready(tw.waker());
    CO_ASSERT_TRUE(ev.is_ready());
    auto write_after = co_await a.write("x");
    CO_ASSERT_TRUE(!write_after);
    EXPECT_TRUE(is_errc(write_after.error(), std::errc::broken_pipe) ||
                is_errc(write_after.error(), std::errc::connection_reset))
        << write_after.error().message();
  }());
}

TEST_P(NetUnixStreamTest, SplitHalvesEchoAcrossTasks) {
  run([]() -> Task<void> {
    auto p = UnixStream::pair();
    CO_ASSERT_OK(p);
    auto [a, b] = std::move(*p);
    auto [rd, wr] = std::move(b).into_split();
    auto echo = eddy::spawn([](eddy::net::OwnedReadHalf<UnixStream> r0,
                               eddy::net::OwnedWriteHalf<UnixStream> w0) -> Task<void> {
      // Locals, not the parameters: parameters live as long as the finished frame (until the
      // JoinHandle goes), locals die when the body ends, which is what shuts the write side.
      auto r = std::move(r0);
      auto w = std::move(w0);
      std::vector<char> buf(4096);
      for (;;) {
        auto n = co_await r.read(buf);
        CO_ASSERT_OK(n);
        if (*n == 0) break;
        CO_ASSERT_OK(co_await w.write_all(std::span<char>(buf.data(), *n)));
      }
    }(std::move(rd), std::move(wr)));
    constexpr std::size_t kBytes = 512 * 1024;
    auto [ard, awr] = a.split();
    auto writer = eddy::spawn([](eddy::net::WriteHalf<UnixStream> w) -> Task<void> {
      std::vector<char> chunk(8192, 'e');
      for (std::size_t sent = 0; sent < kBytes; sent += chunk.size()) CO_ASSERT_OK(co_await w.write_all(chunk));
      CO_ASSERT_OK(w.shutdown());
    }(awr));
    std::vector<char> buf(5000);
    std::size_t got = 0;
    for (;;) {
      auto n = co_await ard.read(buf);
      CO_ASSERT_OK(n);
      if (*n == 0) break;
      got += *n;
    }
    EXPECT_EQ(got, kBytes);
    CO_ASSERT_OK(co_await writer);
    CO_ASSERT_OK(co_await echo);
  }());
}

TEST_P(NetUnixStreamTest, AbstractNamespaceListener) {
  run([]() -> Task<void> {
    auto name = UnixSocketAddr::from_abstract_name("eddy-net-test-" + std::to_string(::getpid()));
    CO_ASSERT_OK(name);
    auto l = UnixListener::bind(*name);
    CO_ASSERT_OK(l);
    auto c = co_await UnixStream::connect(*name);
    CO_ASSERT_OK(c);
    auto a = co_await l->accept();
    CO_ASSERT_OK(a);
    EXPECT_EQ(*c->peer_addr(), *name);
  }());
}

EDDY_NET_SUITE(NetUnixDatagramTest);

TEST_P(NetUnixDatagramTest, SendToRecvFromBetweenBoundSockets) {
  TempDir dir;
  run([](std::string pa, std::string pb) -> Task<void> {
    auto a = UnixDatagram::bind(pa);
    auto b = UnixDatagram::bind(pb);
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(b);
    auto target = UnixSocketAddr::from_path(pb);
    CO_ASSERT_OK(co_await a->send_to("hi", *target));
    std::array<char, 16> buf{};
    auto got = co_await b->recv_from(buf);
    CO_ASSERT_OK(got);
    EXPECT_EQ(std::string(buf.data(), got->first), "hi");
    EXPECT_EQ(got->second.as_pathname(), pa);
    CO_ASSERT_OK(co_await b->send_to("ho", got->second));
    auto back = co_await a->recv(buf);
    CO_ASSERT_OK(back);
    EXPECT_EQ(std::string(buf.data(), *back), "ho");
  }(dir.join("a.sock"), dir.join("b.sock")));
}

TEST_P(NetUnixDatagramTest, PairSendRecvAndTryVariants) {
  run([]() -> Task<void> {
    auto p = UnixDatagram::pair();
    CO_ASSERT_OK(p);
    auto& [a, b] = *p;
    std::array<char, 16> buf{};
    auto none = b.try_recv(buf);
    CO_ASSERT_TRUE(!none);
    EXPECT_TRUE(eddy::io::is_would_block(none.error()));
    CO_ASSERT_OK(co_await a.send("one"));
    CO_ASSERT_OK(co_await a.send("two"));
    auto n = co_await b.recv(buf);
    CO_ASSERT_OK(n);
    EXPECT_EQ(std::string(buf.data(), *n), "one");  // datagram boundaries kept
    auto m = b.try_recv(buf);
    CO_ASSERT_OK(m);
    EXPECT_EQ(std::string(buf.data(), *m), "two");
    auto empty = b.try_recv(buf);
    CO_ASSERT_TRUE(!empty);
    eddy_test::TestWaker tw;
    EXPECT_TRUE(is_pending(b.poll_recv_ready(tw.waker())));
    CO_ASSERT_OK(co_await a.writable());
    CO_ASSERT_OK(a.try_send("three"));
    CO_ASSERT_OK(co_await b.readable());
    auto r = b.try_recv_from(buf);
    CO_ASSERT_OK(r);
    EXPECT_EQ(std::string(buf.data(), r->first), "three");
  }());
}

TEST_P(NetUnixDatagramTest, UnboundSocketCanSendAndConnectedRecv) {
  TempDir dir;
  run([](std::string path) -> Task<void> {
    auto server = UnixDatagram::bind(path);
    CO_ASSERT_OK(server);
    auto client = UnixDatagram::unbound();
    CO_ASSERT_OK(client);
    EXPECT_TRUE(client->local_addr()->is_unnamed());
    CO_ASSERT_OK(client->connect(path));
    CO_ASSERT_OK(co_await client->send("unbound"));
    std::array<char, 16> buf{};
    auto got = co_await server->recv_from(buf);
    CO_ASSERT_OK(got);
    EXPECT_EQ(std::string(buf.data(), got->first), "unbound");
    EXPECT_TRUE(got->second.is_unnamed());
  }(dir.join("dgram.sock")));
}
