// Unix stream sockets in io_uring completion mode (Builder::io_backend(io_uring)), as TCP's are
// (tests/net_uring_test.cpp): every way of making one (bind, from_fd, connect, accept, pair) is
// on the ring and out of epoll; accept's peer address is what epoll mode gives; a destroyed
// read loses nothing; no write uses SEND_ZC, which the kernel refuses on AF_UNIX; shutdown with
// accepts, reads and sends in flight leaks no fd. The Unix suites (NetUnixStreamTest...) also
// run in this mode (EDDY_NET_SUITE, kind current_thread_uring).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "eddy/net.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/time/timeout.hpp"
#include "eddy/yield_now.hpp"
#include "support/net_test_util.hpp"
#include "support/temp_dir.hpp"
#include "support/uring_net.hpp"

using eddy::IoBackend;
using eddy::Task;
using eddy::net::ConstBuffer;
using eddy::net::MutableBuffer;
using eddy::net::OwnedBuffer;
using eddy::net::UnixListener;
using eddy::net::UnixStream;
using eddy_test::ForceSendZc;
using eddy_test::pattern;
using namespace std::chrono_literals;

namespace {

// A current-thread runtime with its sockets on `backend` (null where the kernel refuses).
std::unique_ptr<eddy::Runtime> runtime(IoBackend backend) {
  if (backend == IoBackend::io_uring) return eddy_test::uring_rt();
  auto rt = eddy::Builder::new_current_thread().enable_all().io_backend(backend).build();
  return rt ? std::make_unique<eddy::Runtime>(std::move(*rt)) : nullptr;
}

// Sends `msg` one way over `from` -> `to` and checks it arrives whole.
Task<void> expect_echo(UnixStream& from, UnixStream& to, std::string_view msg) {
  CO_ASSERT_OK(co_await from.write_all(msg));
  std::string got(msg.size(), '\0');
  CO_ASSERT_OK(co_await to.read_exact(MutableBuffer(got.data(), got.size())));
  EXPECT_EQ(got, msg);
}

// A blocking client socket, bound to `bind_path` unless it is empty, connected to `path`: a
// Unix connect to a listening socket completes at once (the backlog has room).
int connect_raw(const std::string& path, const std::string& bind_path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  auto addr_of = [](const std::string& p) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, p.data(), p.size());
    return sa;
  };
  if (!bind_path.empty()) {
    const sockaddr_un b = addr_of(bind_path);
    EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&b), sizeof b), 0);
  }
  const sockaddr_un to = addr_of(path);
  EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
  return fd;
}

}  // namespace

// Listener (bind and from_fd), connected, accepted, paired and adopted streams hold no epoll
// registration, and their accept, reads and writes are ring submissions. Asking a stream's
// readiness registers it then, once; closing it deregisters it. (In readiness mode each of
// them would be one registration.)
TEST(UringUnix, EveryKindOfUnixStreamRunsOnTheRingOutOfEpoll) {
  auto rt = runtime(IoBackend::io_uring);
  SKIP_IF_NO_URING(rt);
  eddy_test::TempDir dir;
  rt->block_on([](eddy::RuntimeHandle h, std::string path) -> Task<void> {
    co_await eddy::time::sleep(2ms);  // a driver turn: registrations left behind are gone
    const std::size_t base = h.io_registration_count();
    const std::uint64_t submitted = h.io_metrics()->uring_submitted_count();
    {
      auto l = UnixListener::bind(path);
      CO_ASSERT_OK(l);
      auto c = co_await UnixStream::connect(path);
      CO_ASSERT_OK(c);
      auto a = co_await l->accept();
      CO_ASSERT_OK(a);
      EXPECT_TRUE(a->second.is_unnamed());  // the client is not bound
      auto p = UnixStream::pair();
      CO_ASSERT_OK(p);
      int sv[2];
      CO_ASSERT_TRUE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
      auto fa = UnixStream::from_fd(eddy::OwnedFd(sv[0]));
      auto fb = UnixStream::from_fd(eddy::OwnedFd(sv[1]));
      CO_ASSERT_OK(fa);
      CO_ASSERT_OK(fb);
      co_await eddy::time::sleep(2ms);  // the connect's registration leaves at a turn
      EXPECT_EQ(h.io_registration_count(), base);
      co_await expect_echo(*c, a->first, "ping");
      co_await expect_echo(a->first, *c, "pong");
      co_await expect_echo(p->first, p->second, "pair");
      co_await expect_echo(*fb, *fa, "adopted");
      EXPECT_EQ(h.io_registration_count(), base);
      // One multishot accept, four sends, four recvs (a recv stays armed once a read waited).
      EXPECT_GE(h.io_metrics()->uring_submitted_count() - submitted, 9u);
      // A listener adopted by from_fd accepts over the ring too.
      auto raw = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      CO_ASSERT_TRUE(raw >= 0);
      auto adopted = UnixListener::from_fd(eddy::OwnedFd(raw));
      CO_ASSERT_OK(adopted);
      EXPECT_EQ(h.io_registration_count(), base);
      // Readiness: the stream joins epoll now, once.
      auto w = co_await c->writable();
      CO_ASSERT_OK(w);
      EXPECT_TRUE(w->is_writable());
      CO_ASSERT_OK(co_await c->ready(eddy::Interest::WRITABLE));
      EXPECT_EQ(h.io_registration_count(), base + 1);
    }
    co_await eddy::time::sleep(2ms);
    EXPECT_EQ(h.io_registration_count(), base);
  }(rt->handle(), dir.join("ring.sock")));
}

// The multishot accept has no address slot, so completion mode asks getpeername: a bound peer
// reads as its path and an unbound one as unnamed, exactly as accept4's address in epoll mode.
TEST(UringUnix, AcceptGivesThePeerAddressEpollModeGives) {
  for (IoBackend backend : {IoBackend::epoll, IoBackend::io_uring}) {
    SCOPED_TRACE(backend == IoBackend::epoll ? "epoll" : "io_uring");
    auto rt = runtime(backend);
    SKIP_IF_NO_URING(rt);
    EXPECT_EQ(rt->handle().io_backend(), backend);
    eddy_test::TempDir dir;
    rt->block_on([](std::string path, std::string client_path) -> Task<void> {
      auto l = UnixListener::bind(path);
      CO_ASSERT_OK(l);
      const int bound = connect_raw(path, client_path);
      const int unbound = connect_raw(path, "");
      auto a = co_await l->accept();
      auto b = co_await l->accept();
      ::close(bound);
      ::close(unbound);
      CO_ASSERT_OK(a);
      CO_ASSERT_OK(b);
      EXPECT_EQ(a->second.as_pathname(), std::optional<std::string_view>(client_path));
      EXPECT_TRUE(b->second.is_unnamed());
      // Both accepted streams see their peer's close.
      char x[4];
      for (UnixStream* s : {&a->first, &b->first}) {
        auto n = co_await s->read(MutableBuffer(x, sizeof x));
        CO_ASSERT_OK(n);
        EXPECT_EQ(*n, 0u);
      }
    }(dir.join("server.sock"), dir.join("client.sock")));
    // In completion mode the accepts and reads were ring submissions (in epoll mode, none).
    EXPECT_EQ(rt->handle().io_metrics()->uring_submitted_count() > 0, backend == IoBackend::io_uring);
  }
}

// Readers destroyed while waiting, around their completion, and before they ran: every byte
// still arrives once, in order (the queue belongs to the stream, not to the read).
TEST(UringUnix, ADestroyedReadLosesNoDataOverAPair) {
  auto rt = runtime(IoBackend::io_uring);
  SKIP_IF_NO_URING(rt);
  rt->block_on([]() -> Task<void> {
    auto p = UnixStream::pair();
    CO_ASSERT_OK(p);
    auto& [client, server] = *p;
    char b[64];
    // Destroyed while waiting: the multishot recv stays armed.
    EXPECT_FALSE(co_await eddy::time::timeout(5ms, server.read(MutableBuffer(b, sizeof b))));
    std::mt19937 rng(11);
    std::string sent, got;
    for (int round = 0; round < 100; ++round) {
      auto h = eddy::spawn([](UnixStream& s, std::string* out) -> Task<void> {
        char x[32];
        auto n = co_await s.read(MutableBuffer(x, sizeof x));
        if (n && *n > 0) out->append(x, *n);
      }(server, &got));
      for (unsigned y = rng() % 4; y > 0; --y) co_await eddy::yield_now();
      const std::string msg = pattern(1 + rng() % 40, static_cast<unsigned>(round));
      CO_ASSERT_OK(co_await client.write_all(ConstBuffer(msg.data(), msg.size())));
      sent += msg;
      for (unsigned y = rng() % 4; y > 0; --y) co_await eddy::yield_now();
      h.abort();
      (void)co_await h;
    }
    CO_ASSERT_OK(client.shutdown());
    for (;;) {
      auto n = co_await server.read(MutableBuffer(b, sizeof b));
      CO_ASSERT_OK(n);
      if (*n == 0) break;
      got.append(b, *n);
    }
    EXPECT_EQ(got, sent);
  }());
  // On the ring: the reads' multishot recv and the writes' 100 sends.
  EXPECT_GT(rt->handle().io_metrics()->uring_submitted_count(), 100u);
}

// The kernel refuses SEND_ZC on a Unix socket (EOPNOTSUPP, nothing sent), so a Unix stream uses
// SEND for every write even when SEND_ZC is forced for every size, while a TCP stream in the
// same runtime does use it (so the hook is on). Large copying and owned writes keep every byte.
TEST(UringUnix, WritesNeverUseSendZcAndKeepEveryByte) {
  ForceSendZc force;
  auto rt = runtime(IoBackend::io_uring);
  SKIP_IF_NO_URING(rt);
  rt->block_on([](eddy::RuntimeHandle h) -> Task<void> {
    auto p = UnixStream::pair();
    CO_ASSERT_OK(p);
    auto& [a, b] = *p;
    const std::string big = pattern((1 << 20) + 3, 4), owned = pattern(300 * 1024, 5);
    auto reader = eddy::spawn([](UnixStream& s, std::size_t n) -> Task<std::string> {
      std::string all(n, '\0');
      auto r = co_await s.read_exact(MutableBuffer(all.data(), all.size()));
      co_return r ? all : std::string();
    }(b, big.size() + owned.size() + 2));
    CO_ASSERT_OK(co_await a.write_all(ConstBuffer(big.data(), big.size())));
    auto [res, back] = co_await a.write_all_owned(OwnedBuffer::copy_of(std::string_view(owned)));
    CO_ASSERT_OK(res);
    EXPECT_EQ(back.size(), owned.size());
    auto n = co_await a.write(std::string_view("ok"));
    CO_ASSERT_OK(n);
    EXPECT_EQ(*n, 2u);
    auto all = co_await reader;
    CO_ASSERT_OK(all);
    EXPECT_TRUE(*all == big + owned + "ok") << "got " << all->size() << " bytes";
    EXPECT_GE(h.io_metrics()->uring_submitted_count(), 4u);  // sends (at most 256 KiB each) and the recv
    EXPECT_EQ(h.io_metrics()->uring_send_zc_count(), 0u);
    // The same forced policy on TCP: SEND_ZC is used.
    auto t = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(t);
    CO_ASSERT_OK(co_await t->client.write_all(std::string_view("zero copy")));
    char x[9];
    CO_ASSERT_OK(co_await t->server.read_exact(MutableBuffer(x, sizeof x)));
    EXPECT_GT(h.io_metrics()->uring_send_zc_count(), 0u);
  }(rt->handle()));
}

// The runtime goes with a multishot accept, reads and large sends in flight on Unix streams
// (accepted, connected and paired): every fd is closed once their CQEs come.
TEST(UringUnix, ShutdownWithAcceptsReadsAndSendsInFlightLeaksNoFd) {
  const int fds_before = eddy_test::open_fd_count();
  {
    auto rt = runtime(IoBackend::io_uring);
    SKIP_IF_NO_URING(rt);
    eddy_test::TempDir dir;
    rt->block_on([](std::string path) -> Task<void> {
      auto l = UnixListener::bind(path);
      CO_ASSERT_OK(l);
      // A read waits (armed recv) while a big send stays in flight: the peer never reads.
      auto stall = [](UnixStream s) -> Task<void> {
        const std::string big(4 << 20, 'x');  // more than the socket buffers hold
        auto r = eddy::spawn([](UnixStream& st) -> Task<void> {
          char b[16];
          (void)co_await st.read(MutableBuffer(b, sizeof b));
        }(s));
        (void)co_await s.write_all(ConstBuffer(big.data(), big.size()));
        (void)co_await r;
      };
      auto listener = std::make_shared<UnixListener>(std::move(*l));
      (void)eddy::spawn([](std::shared_ptr<UnixListener> ln, decltype(stall) st) -> Task<void> {
        for (;;) {
          auto c = co_await ln->accept();
          if (!c) co_return;
          (void)eddy::spawn(st(std::move(c->first)));
        }
      }(listener, stall));
      std::vector<UnixStream> clients;
      for (int i = 0; i < 8; ++i) {
        auto c = co_await UnixStream::connect(path);
        CO_ASSERT_OK(c);
        clients.push_back(std::move(*c));
      }
      auto p = UnixStream::pair();
      CO_ASSERT_OK(p);
      (void)eddy::spawn(stall(std::move(p->first)));
      clients.push_back(std::move(p->second));
      co_await eddy::time::sleep(20ms);
      // Returning leaves the accept loop, 9 reads and 9 sends in flight.
    }(dir.join("shutdown.sock")));
    EXPECT_GT(rt->handle().io_metrics()->uring_in_flight(), 0u);
  }
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}
