// TCP in io_uring completion mode (Builder::io_backend): the backend choice and each refusal,
// what the stream keeps when a read or write is destroyed, provided buffers (a waiting read pins
// none; running out of them loses nothing), shutdown with operations in flight, and a stress
// test that destroys reading and writing coroutines at random points (no fd leak).
// The whole TCP suite also runs in this mode (EDDY_NET_SUITE, kind current_thread_uring).
#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "eddy/block_in_place.hpp"
#include "eddy/fs.hpp"
#include "eddy/net.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/time/timeout.hpp"
#include "eddy/yield_now.hpp"
#include "support/fs_backends.hpp"
#include "support/net_test_util.hpp"
#include "support/uring_net.hpp"

using eddy::IoBackend;
using eddy::Task;
using eddy::net::ConstBuffer;
using eddy::net::MutableBuffer;
using eddy::net::TcpListener;
using eddy::net::TcpStream;
using namespace std::chrono_literals;
using eddy_test::pattern;
using eddy_test::uring_rt;

namespace {

std::error_code sys(int e) { return {e, std::system_category()}; }

}  // namespace

// --- the backend choice --------------------------------------------------------------------

TEST(UringSockets, BackendChoiceAndWhatEachRuntimeReports) {
  {
    auto rt = eddy::Builder::new_current_thread().enable_all().build();
    ASSERT_TRUE(rt);
    EXPECT_EQ(rt->handle().io_backend(), IoBackend::epoll);  // the default
  }
  {
    auto rt = eddy::Builder::new_current_thread().enable_all().io_backend(IoBackend::automatic).build();
    ASSERT_TRUE(rt);
    // Either the kernel allows it, or the refusal was said.
    if (rt->handle().io_backend() == IoBackend::epoll) {
      EXPECT_TRUE(rt->handle().uring_refusal());
    }
  }
  {
    auto rt = eddy::Builder::new_multi_thread().worker_threads(1).enable_all().io_backend(IoBackend::automatic).build();
    ASSERT_TRUE(rt);
    // automatic is epoll on the multi-thread runtime (its shared rings measured slower).
    EXPECT_EQ(rt->handle().io_backend(), IoBackend::epoll);
  }
  {
    // The multi-thread runtime's rings run sockets too (shared rings, net/uring_socket.hpp).
    auto mt = eddy::Builder::new_multi_thread().worker_threads(1).enable_all().io_backend(IoBackend::io_uring).build();
    ASSERT_TRUE(mt) << mt.error().message();
    EXPECT_EQ(mt->handle().io_backend(), IoBackend::io_uring);
  }
  auto no_io = eddy::Builder::new_current_thread().enable_time().io_backend(IoBackend::io_uring).build();
  ASSERT_FALSE(no_io);
  EXPECT_EQ(no_io.error(), std::errc::invalid_argument);
  auto bad_bufs = eddy::Builder::new_current_thread().enable_all().io_backend(IoBackend::io_uring)
                      .uring_recv_buffers(1000, 4096).build();  // not a power of two
  ASSERT_FALSE(bad_bufs);
}

TEST(UringSockets, AMissingSocketOpcodeFallsBackToEpollOnceAndFilesKeepTheRing) {
  // SEND_ZC stands for multishot recv (kernel 6.0), which has no opcode of its own to probe.
  for (int op : {IORING_OP_RECV, IORING_OP_SEND, IORING_OP_ACCEPT, IORING_OP_SEND_ZC}) {
    SCOPED_TRACE(op);
    int calls = 0;
    std::error_code seen;
    auto rt = eddy::Builder::new_current_thread()
                  .enable_all()
                  .io_backend(IoBackend::automatic)
                  .uring_refuse_opcode_for_test(op)
                  .on_uring_fallback([&](std::error_code ec) {
                    ++calls;
                    seen = ec;
                  })
                  .build();
    ASSERT_TRUE(rt);
    EXPECT_EQ(rt->handle().io_backend(), IoBackend::epoll);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(seen, sys(ENOSYS));
    EXPECT_EQ(rt->handle().io_metrics()->uring_fallback_count(), 1u);
    // The sockets work on epoll.
    rt->block_on([]() -> Task<void> {
      auto p = co_await eddy_test::tcp_pair();
      CO_ASSERT_OK(p);
      CO_ASSERT_OK(co_await p->client.write_all(std::string_view("ping")));
      char b[4];
      CO_ASSERT_OK(co_await p->server.read_exact(MutableBuffer(b, 4)));
      EXPECT_EQ(std::string(b, 4), "ping");
    }());
    // Required: build fails with the refusal.
    auto req = eddy::Builder::new_current_thread().enable_all().io_backend(IoBackend::io_uring)
                   .uring_refuse_opcode_for_test(op).build();
    ASSERT_FALSE(req);
    EXPECT_EQ(req.error(), sys(ENOSYS));
  }
}

TEST(UringSockets, EachSetupRefusalFallsBackUnderAutomaticAndFailsWhenRequired) {
  for (int err : {ENOSYS, EPERM, ENOMEM}) {
    SCOPED_TRACE(err);
    int calls = 0;
    auto rt = eddy::Builder::new_current_thread()
                  .enable_all()
                  .io_backend(IoBackend::automatic)
                  .uring_refuse_setup_for_test(err)
                  .on_uring_fallback([&](std::error_code) { ++calls; })
                  .build();
    ASSERT_TRUE(rt);
    EXPECT_EQ(rt->handle().io_backend(), IoBackend::epoll);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(rt->handle().uring_refusal(), sys(err));
    auto req = eddy::Builder::new_current_thread().enable_all().io_backend(IoBackend::io_uring)
                   .uring_refuse_setup_for_test(err).build();
    ASSERT_FALSE(req);
    EXPECT_EQ(req.error(), sys(err));
  }
}

TEST(UringSockets, SocketsOnlyRingLeavesFilesOnThePool) {
  auto rt = uring_rt(std::move(eddy::Builder::new_current_thread().file_backend(eddy::FileBackend::blocking_pool)));
  SKIP_IF_NO_URING(rt);
  EXPECT_EQ(rt->handle().io_backend(), IoBackend::io_uring);
  EXPECT_EQ(rt->handle().file_backend(), eddy::FileBackend::blocking_pool);
}

// --- the same behaviours on each kind of runtime ---------------------------------------------

// Kinds the tests below run on: the current-thread runtime (its owner-mode ring), and the
// multi-thread runtime with one shared ring (the default) and with a ring per worker (where a
// socket's task often runs on a worker whose ring is not the socket's).
enum class UringKind { current_thread, multi_thread, multi_thread_ring_per_worker };

class UringSocketKinds : public ::testing::TestWithParam<UringKind> {
 protected:
  static eddy::Builder kind_builder() {
    switch (GetParam()) {
      case UringKind::current_thread: break;
      case UringKind::multi_thread: return eddy::Builder::new_multi_thread().worker_threads(2);
      case UringKind::multi_thread_ring_per_worker:
        return eddy::Builder::new_multi_thread().worker_threads(2).uring_rings(2);
    }
    return eddy::Builder::new_current_thread();
  }
  static bool multi_thread() { return GetParam() != UringKind::current_thread; }
};

INSTANTIATE_TEST_SUITE_P(Kinds, UringSocketKinds,
                         ::testing::Values(UringKind::current_thread, UringKind::multi_thread,
                                           UringKind::multi_thread_ring_per_worker),
                         [](const ::testing::TestParamInfo<UringKind>& i) -> std::string {
                           switch (i.param) {
                             case UringKind::current_thread: break;
                             case UringKind::multi_thread: return "multi_thread";
                             case UringKind::multi_thread_ring_per_worker: return "ring_per_worker";
                           }
                           return "current_thread";
                         });

// --- what a destroyed read or write leaves ---------------------------------------------------

// Completion-mode sockets take no readiness events: the listener, the accepted stream and the
// connected stream (which waited for writability in epoll, then left it) hold no epoll
// registration, yet echo both ways. Asking for a stream's readiness registers it then (once),
// and closing it deregisters it.
TEST_P(UringSocketKinds, SocketsLeaveEpollUntilTheirReadinessIsAskedFor) {
  auto rt = uring_rt(kind_builder());
  SKIP_IF_NO_URING(rt);
  rt->block_on([](eddy::RuntimeHandle h) -> Task<void> {
    co_await eddy::time::sleep(2ms);  // a driver turn: registrations left behind are gone
    const std::size_t base = h.io_registration_count();
    {
      auto p = co_await eddy_test::tcp_pair();
      CO_ASSERT_OK(p);
      co_await eddy::time::sleep(2ms);  // the connect's registration leaves at a turn
      EXPECT_EQ(h.io_registration_count(), base);
      char b[16];
      CO_ASSERT_OK(co_await p->client.write_all(std::string_view("ping")));
      CO_ASSERT_OK(co_await p->server.read_exact(MutableBuffer(b, 4)));
      EXPECT_EQ(std::string_view(b, 4), "ping");
      CO_ASSERT_OK(co_await p->server.write_all(std::string_view("pong")));
      CO_ASSERT_OK(co_await p->client.read_exact(MutableBuffer(b, 4)));
      EXPECT_EQ(std::string_view(b, 4), "pong");
      EXPECT_EQ(h.io_registration_count(), base);
      // Readiness: the stream joins epoll now, and sees what it waits for.
      auto w = co_await p->client.writable();
      CO_ASSERT_OK(w);
      EXPECT_TRUE(w->is_writable());
      EXPECT_EQ(h.io_registration_count(), base + 1);
      auto again = co_await p->client.ready(eddy::Interest::WRITABLE);
      CO_ASSERT_OK(again);
      EXPECT_EQ(h.io_registration_count(), base + 1);  // once
    }
    co_await eddy::time::sleep(2ms);
    EXPECT_EQ(h.io_registration_count(), base);
  }(rt->handle()));
}

TEST_P(UringSocketKinds, ADestroyedReadLosesNoDataAndSmallReadsLeaveTheRestQueued) {
  auto rt = uring_rt(kind_builder());
  SKIP_IF_NO_URING(rt);
  rt->block_on([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    char b[64];
    // A read that times out (destroyed while waiting: the multishot recv stays armed).
    auto t = co_await eddy::time::timeout(10ms, p->server.read(MutableBuffer(b, sizeof b)));
    EXPECT_FALSE(t);
    CO_ASSERT_OK(co_await p->client.write_all(std::string_view("hello world")));
    co_await eddy::time::sleep(5ms);  // the bytes reach the stream's queue
    // One byte at a time: the rest stays queued on the stream.
    std::string got;
    for (int i = 0; i < 5; ++i) {
      auto n = co_await p->server.read(MutableBuffer(b, 1));
      CO_ASSERT_OK(n);
      EXPECT_EQ(*n, 1u);
      got.append(b, 1);
    }
    // A destroyed read of what is queued: it completes at once, so abort a task that has not
    // run yet; nothing is consumed. (On the multi-thread runtime the other worker may run the
    // task before the abort: that is a read, not a destroyed one.)
    if (!UringSocketKinds::multi_thread()) {
    auto h = eddy::spawn([](TcpStream& s) -> Task<void> {
      char x[64];
      (void)co_await s.read(MutableBuffer(x, sizeof x));
      ADD_FAILURE() << "aborted before it ran";
    }(p->server));
    h.abort();
    (void)co_await h;
    }
    while (got.size() < 11) {
      auto n = co_await p->server.read(MutableBuffer(b, sizeof b));
      CO_ASSERT_OK(n);
      if (*n == 0) break;
      got.append(b, *n);
    }
    EXPECT_EQ(got, "hello world");
  }());
  // The accept, the reads and the write above went through the ring: one multishot accept,
  // one multishot recv (armed once, by the read that timed out), one send.
  EXPECT_GE(rt->handle().io_metrics()->uring_submitted_count(), 3u);
}

TEST_P(UringSocketKinds, ReaderAbortedAroundItsCompletionLosesNothing) {
  auto rt = uring_rt(kind_builder());
  SKIP_IF_NO_URING(rt);
  rt->block_on([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    std::mt19937 rng(7);
    std::string sent, got;
    for (int round = 0; round < 100; ++round) {
      auto got_ptr = &got;
      auto h = eddy::spawn([](TcpStream& s, std::string* out) -> Task<void> {
        char x[32];
        auto n = co_await s.read(MutableBuffer(x, sizeof x));
        if (n && *n > 0) out->append(x, *n);
      }(p->server, got_ptr));
      for (unsigned y = rng() % 4; y > 0; --y) co_await eddy::yield_now();
      const std::string msg = pattern(1 + rng() % 40, static_cast<unsigned>(round));
      CO_ASSERT_OK(co_await p->client.write_all(ConstBuffer(msg.data(), msg.size())));
      sent += msg;
      for (unsigned y = rng() % 4; y > 0; --y) co_await eddy::yield_now();
      h.abort();
      (void)co_await h;
    }
    CO_ASSERT_OK(p->client.shutdown());
    char b[256];
    for (;;) {
      auto n = co_await p->server.read(MutableBuffer(b, sizeof b));
      CO_ASSERT_OK(n);
      if (*n == 0) break;
      got.append(b, *n);
    }
    EXPECT_EQ(got, sent);
  }());
}

TEST_P(UringSocketKinds, ADestroyedWriteStillSendsItsBytesInOrderBeforeTheNextWrite) {
  auto rt = uring_rt(kind_builder());
  SKIP_IF_NO_URING(rt);
  rt->block_on([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    const std::string big = pattern(8 << 20, 1);  // far more than the socket buffers hold
    auto t = co_await eddy::time::timeout(20ms, p->client.write_all(ConstBuffer(big.data(), big.size())));
    EXPECT_FALSE(t);  // the peer does not read: the write is destroyed with a send in flight
    auto reader = eddy::spawn([](TcpStream& s) -> Task<std::string> {
      std::string all;
      std::vector<char> b(65536);
      for (;;) {
        auto n = co_await s.read(MutableBuffer(b.data(), b.size()));
        if (!n || *n == 0) break;
        all.append(b.data(), *n);
      }
      co_return all;
    }(p->server));
    CO_ASSERT_OK(co_await p->client.write_all(std::string_view("END")));
    CO_ASSERT_OK(p->client.shutdown());
    auto all = co_await reader;
    CO_ASSERT_OK(all);
    CO_ASSERT_TRUE(all->size() >= 3);
    EXPECT_EQ(all->substr(all->size() - 3), "END");
    const std::string prefix = all->substr(0, all->size() - 3);
    EXPECT_GT(prefix.size(), 0u);
    EXPECT_EQ(prefix, big.substr(0, prefix.size()));  // whole sends of the destroyed write, in order
  }());
}

// --- provided buffers ------------------------------------------------------------------------

TEST_P(UringSocketKinds, WaitingReadsPinNoBufferAndRunningOutLosesNothing) {
  // 8 buffers of 512 bytes for 64 connections, each with a read waiting; then every client
  // sends 2 KiB at once (more than all buffers hold) and every server side reads it all.
  auto rt = uring_rt(kind_builder().uring_recv_buffers(8, 512));
  SKIP_IF_NO_URING(rt);
  rt->block_on([]() -> Task<void> {
    constexpr int kConns = 64;
    std::vector<eddy_test::TcpPair> pairs;
    for (int i = 0; i < kConns; ++i) {
      auto p = co_await eddy_test::tcp_pair();
      CO_ASSERT_OK(p);
      pairs.push_back(std::move(*p));
    }
    std::vector<eddy::JoinHandle<std::string>> readers;
    for (auto& p : pairs) {
      readers.push_back(eddy::spawn([](TcpStream& s) -> Task<std::string> {
        std::string all;
        char b[300];
        while (all.size() < 2048) {
          auto n = co_await s.read(MutableBuffer(b, sizeof b));
          if (!n || *n == 0) break;
          all.append(b, *n);
        }
        co_return all;
      }(p.server)));
    }
    co_await eddy::time::sleep(5ms);  // every read is waiting, with the recv armed
    for (int i = 0; i < kConns; ++i) {
      const std::string msg = pattern(2048, static_cast<unsigned>(i));
      CO_ASSERT_OK(co_await pairs[static_cast<std::size_t>(i)].client.write_all(ConstBuffer(msg.data(), msg.size())));
    }
    for (int i = 0; i < kConns; ++i) {
      auto got = co_await readers[static_cast<std::size_t>(i)];
      CO_ASSERT_OK(got);
      EXPECT_EQ(*got, pattern(2048, static_cast<unsigned>(i)));
    }
  }());
}

TEST_P(UringSocketKinds, LargeTransfersBothWaysKeepEveryByte) {
  auto rt = uring_rt(kind_builder());
  SKIP_IF_NO_URING(rt);
  rt->block_on([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    const std::string a = pattern(3 << 20, 2), b = pattern((2 << 20) + 17, 3);
    auto w1 = eddy::spawn([](TcpStream& s, const std::string& d) -> Task<bool> {
      co_return (co_await s.write_all(ConstBuffer(d.data(), d.size()))).has_value();
    }(p->client, a));
    auto w2 = eddy::spawn([](TcpStream& s, const std::string& d) -> Task<bool> {
      co_return (co_await s.write_all(ConstBuffer(d.data(), d.size()))).has_value();
    }(p->server, b));
    std::string ra(a.size(), '\0'), rb(b.size(), '\0');
    CO_ASSERT_OK(co_await p->server.read_exact(MutableBuffer(ra.data(), ra.size())));
    CO_ASSERT_OK(co_await p->client.read_exact(MutableBuffer(rb.data(), rb.size())));
    EXPECT_TRUE(*co_await w1);
    EXPECT_TRUE(*co_await w2);
    EXPECT_EQ(ra, a);
    EXPECT_EQ(rb, b);
  }());
}

// --- shutdown and stress -----------------------------------------------------------------------

TEST_P(UringSocketKinds, ShutdownWithAcceptsReadsAndSendsInFlightLeaksNoFd) {
  const int fds_before = eddy_test::open_fd_count();
  {
    auto rt = uring_rt(kind_builder());
    SKIP_IF_NO_URING(rt);
    rt->block_on([]() -> Task<void> {
      auto l = TcpListener::bind(eddy_test::loopback_any_port());
      CO_ASSERT_OK(l);
      auto addr = *l->local_addr();
      auto listener = std::make_shared<TcpListener>(std::move(*l));
      (void)eddy::spawn([](std::shared_ptr<TcpListener> ln) -> Task<void> {
        for (;;) {
          auto c = co_await ln->accept();
          if (!c) co_return;
          (void)eddy::spawn([](TcpStream s) -> Task<void> {
            const std::string big = pattern(4 << 20, 9);
            // A read waits (armed recv) while a big send stays in flight: the peer never reads.
            auto r = eddy::spawn([](TcpStream& st) -> Task<void> {
              char b[16];
              (void)co_await st.read(MutableBuffer(b, sizeof b));
            }(s));
            (void)co_await s.write_all(ConstBuffer(big.data(), big.size()));
            (void)co_await r;
          }(std::move(c->first)));
        }
      }(listener));
      std::vector<TcpStream> clients;
      for (int i = 0; i < 8; ++i) {
        auto c = co_await TcpStream::connect(addr);
        CO_ASSERT_OK(c);
        clients.push_back(std::move(*c));
      }
      co_await eddy::time::sleep(20ms);
      // Returning leaves the accept loop, 8 reads and 8 sends in flight.
    }());
    EXPECT_GT(rt->handle().io_metrics()->uring_in_flight(), 0u);
  }
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}

TEST_P(UringSocketKinds, StressDestroysReadersAndWritersAtRandomPoints) {
  const int fds_before = eddy_test::open_fd_count();
  {
    auto rt = uring_rt(kind_builder().uring_recv_buffers(64, 1024));
    SKIP_IF_NO_URING(rt);
    rt->block_on([]() -> Task<void> {
      std::mt19937 rng(2026);
      const auto deadline = std::chrono::steady_clock::now() + 3s;
      for (int round = 0; round < 60 && std::chrono::steady_clock::now() < deadline; ++round) {
        auto p = co_await eddy_test::tcp_pair();
        CO_ASSERT_OK(p);
        auto pair = std::make_shared<eddy_test::TcpPair>(std::move(*p));
        std::vector<eddy::JoinHandle<void>> tasks;
        for (int k = 0; k < 6; ++k) {
          const bool client = (k & 1) != 0;
          const std::size_t len = 1 + rng() % 200000;
          tasks.push_back(eddy::spawn([](std::shared_ptr<eddy_test::TcpPair> pr, bool c, std::size_t n) -> Task<void> {
            TcpStream& s = c ? pr->client : pr->server;
            std::string buf(n, 'x');
            for (int i = 0; i < 4; ++i) {
              auto w = co_await s.write(ConstBuffer(buf.data(), buf.size()));
              if (!w) co_return;
              auto r = co_await s.read(MutableBuffer(buf.data(), buf.size()));
              if (!r || *r == 0) co_return;
            }
          }(pair, client, len)));
        }
        for (unsigned y = rng() % 8; y > 0; --y) co_await eddy::yield_now();
        if (rng() % 2 == 0) co_await eddy::time::sleep(std::chrono::microseconds(rng() % 2000));
        for (auto& t : tasks) {
          if (rng() % 3 != 0) t.abort();
        }
        if (rng() % 2 == 0) {
          // Drop the streams with whatever is in flight; the tasks still hold them.
          pair.reset();
        }
        for (auto& t : tasks) t.abort();
        for (auto& t : tasks) (void)co_await t;
      }
    }());
  }
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}

// --- the multi-thread runtime: which sockets join a ring -------------------------------------

// On the multi-thread runtime a socket made on a worker joins that worker's ring (no epoll
// registration; its I/O is submitted to the ring), while one made on a thread without a core
// (the blocking side of block_in_place) stays in readiness mode; both serve in one runtime.
TEST(UringSocketsMt, WorkersSocketsJoinTheRingAndACorelessThreadsStayOnEpoll) {
  auto rt = uring_rt(eddy::Builder::new_multi_thread().worker_threads(2));
  SKIP_IF_NO_URING(rt);
  rt->block_on([](eddy::RuntimeHandle h) -> Task<void> {
    co_await eddy::time::sleep(2ms);
    const std::size_t base = h.io_registration_count();
    const std::uint64_t submitted = h.io_metrics()->uring_submitted_count();
    {
      auto p = co_await eddy_test::tcp_pair();  // made on a worker
      CO_ASSERT_OK(p);
      CO_ASSERT_OK(co_await p->client.write_all(std::string_view("ring")));
      char b[4];
      CO_ASSERT_OK(co_await p->server.read_exact(MutableBuffer(b, 4)));
      EXPECT_EQ(std::string_view(b, 4), "ring");
      co_await eddy::time::sleep(2ms);  // the connect's registration leaves at a turn
      EXPECT_EQ(h.io_registration_count(), base);
      EXPECT_GE(h.io_metrics()->uring_submitted_count(), submitted + 3);  // accept, recv, send
    }
    // A listener bound inside block_in_place: this thread has no core now.
    auto l = eddy::block_in_place([] { return TcpListener::bind(eddy_test::loopback_any_port()); });
    CO_ASSERT_OK(l);
    EXPECT_EQ(h.io_registration_count(), base + 1);  // in epoll: readiness mode
    auto addr = l->local_addr();
    CO_ASSERT_OK(addr);
    auto c = co_await TcpStream::connect(*addr);
    CO_ASSERT_OK(c);
    auto a = co_await l->accept();  // by readiness; the accepted stream is made on a worker
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(co_await c->write_all(std::string_view("mixed")));
    char b[5];
    CO_ASSERT_OK(co_await a->first.read_exact(MutableBuffer(b, 5)));
    EXPECT_EQ(std::string_view(b, 5), "mixed");
  }(rt->handle()));
}

// A stream's two halves on two workers at once, with a ring per worker: reads and writes of one
// socket race on its ring's lock from both threads, and each side's SQEs often land in the
// other worker's ring (flushed at once). Every byte arrives, in order, both ways.
TEST(UringSocketsMt, HalvesOnTwoWorkersMoveEveryByteWithARingPerWorker) {
  auto rt = uring_rt(eddy::Builder::new_multi_thread().worker_threads(2).uring_rings(2).uring_recv_buffers(16, 1024));
  SKIP_IF_NO_URING(rt);
  rt->block_on([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    auto [cr, cw] = std::move(p->client).into_split();
    auto [sr, sw] = std::move(p->server).into_split();
    const std::string up = pattern(1 << 20, 11), down = pattern((1 << 20) + 333, 12);
    auto writer = [](eddy::net::OwnedWriteHalf<TcpStream> w, const std::string& d) -> Task<bool> {
      std::size_t off = 0;
      unsigned step = 1;
      while (off < d.size()) {
        const std::size_t n = std::min<std::size_t>(d.size() - off, 1 + (step++ * 7919) % 20000);
        if (!co_await w.write_all(ConstBuffer(d.data() + off, n))) co_return false;
        off += n;
      }
      co_return true;
    };
    auto reader = [](eddy::net::OwnedReadHalf<TcpStream> r, std::size_t len) -> Task<std::string> {
      std::string all;
      std::vector<char> b(3000);
      while (all.size() < len) {
        auto n = co_await r.read(MutableBuffer(b.data(), b.size()));
        if (!n || *n == 0) break;
        all.append(b.data(), *n);
      }
      co_return all;
    };
    auto w1 = eddy::spawn(writer(std::move(cw), up));
    auto w2 = eddy::spawn(writer(std::move(sw), down));
    auto r1 = eddy::spawn(reader(std::move(sr), up.size()));
    auto r2 = eddy::spawn(reader(std::move(cr), down.size()));
    EXPECT_TRUE(*co_await w1);
    EXPECT_TRUE(*co_await w2);
    auto got_up = co_await r1;
    auto got_down = co_await r2;
    CO_ASSERT_OK(got_up);
    CO_ASSERT_OK(got_down);
    EXPECT_TRUE(*got_up == up);
    EXPECT_TRUE(*got_down == down);
  }());
}
