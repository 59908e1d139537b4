// The owned-buffer write (write_owned, write_all_owned) on every TCP runtime kind, and its
// io_uring completion-mode specifics: SEND_ZC for large sends (and SEND when the kernel lacks
// it), a destroyed writer whose send is still in the ring, shutdown with a zero-copy send in
// flight. Under ASan every test also checks that no buffer leaks.
#include <liburing.h>

#include <chrono>
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
#include "support/fs_backends.hpp"
#include "support/net_test_util.hpp"
#include "support/uring_net.hpp"

using eddy::IoBackend;
using eddy::Task;
using eddy::net::ConstBuffer;
using eddy::net::MutableBuffer;
using eddy::net::OwnedBuffer;
using eddy::net::TcpStream;
using namespace std::chrono_literals;
using eddy_test::ForceSendZc;
using eddy_test::pattern;
using eddy_test::uring_rt;

namespace {

OwnedBuffer owned_copy(const std::string& s) { return OwnedBuffer::copy_of(std::string_view(s)); }

std::string as_string(const OwnedBuffer& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Reads exactly n bytes (or what comes before EOF / an error).
[[maybe_unused]] static Task<std::string> read_n(TcpStream& s, std::size_t n) {
  std::string all;
  std::vector<char> b(64 * 1024);
  while (all.size() < n) {
    auto r = co_await s.read(MutableBuffer(b.data(), std::min(b.size(), n - all.size())));
    if (!r || *r == 0) break;
    all.append(b.data(), *r);
  }
  co_return all;
}

bool kernel_has_send_zc() {
  io_uring_probe* p = io_uring_get_probe();
  if (p == nullptr) return false;
  const bool ok = io_uring_opcode_supported(p, IORING_OP_SEND_ZC) != 0;
  io_uring_free_probe(p);
  return ok;
}

}  // namespace

TEST(OwnedBuffer, OwnsItsBytesAndKeepsTheirAddressThroughMoves) {
  OwnedBuffer empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.data(), nullptr);

  OwnedBuffer z(5);
  ASSERT_EQ(z.size(), 5u);
  for (std::byte b : z.span()) EXPECT_EQ(b, std::byte{0});

  std::string s = pattern(100, 1);  // heap-allocated, and a short one (SSO) below
  const char* sp = s.data();
  OwnedBuffer from_string(std::move(s));
  EXPECT_EQ(reinterpret_cast<const char*>(from_string.data()), sp);  // adopted, not copied
  EXPECT_EQ(as_string(from_string), pattern(100, 1));
  OwnedBuffer small(std::string("hi"));
  const std::byte* small_at = small.data();
  OwnedBuffer moved(std::move(small));
  EXPECT_EQ(moved.data(), small_at);  // the string lives on the heap: no SSO move
  EXPECT_EQ(as_string(moved), "hi");
  EXPECT_TRUE(small.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty

  std::vector<std::byte> v(7, std::byte{9});
  const std::byte* vp = v.data();
  OwnedBuffer from_vec(std::move(v));
  EXPECT_EQ(from_vec.data(), vp);
  EXPECT_EQ(from_vec.size(), 7u);

  OwnedBuffer c = OwnedBuffer::copy_of(std::string_view("abc"));
  EXPECT_EQ(as_string(c), "abc");
  c.set_size(1);
  EXPECT_EQ(as_string(c), "a");
  c.set_size(99);  // at most the capacity
  EXPECT_EQ(c.size(), 3u);
  c = std::move(from_vec);  // frees c's own bytes (ASan: no leak)
  EXPECT_EQ(c.size(), 7u);
  c.reset();
  EXPECT_TRUE(c.empty());
}

EDDY_NET_SUITE(NetOwnedWrite);

// Owned writes of every size mixed with copying writes: every byte arrives, in order, and each
// buffer comes back (the same bytes at the same address).
TEST_P(NetOwnedWrite, MixedWithWritesArrivesInOrderAndTheBufferComesBack) {
  eddy_test::run([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    std::string expect;
    const std::vector<std::size_t> sizes = {1, 100, 4096, 20000, 64 * 1024, 1 << 20, 3};
    auto reader = eddy::spawn(
        [](TcpStream& s, std::size_t n) -> Task<std::string> { co_return co_await read_n(s, n); }(p->server, [&] {
          std::size_t n = 5;  // "split"
          for (std::size_t sz : sizes) n += sz + 5;
          return n;
        }()));
    for (unsigned i = 0; i < sizes.size(); ++i) {
      const std::string body = pattern(sizes[i], i);
      OwnedBuffer b = owned_copy(body);
      const std::byte* at = b.data();
      if (i % 2 == 0) {
        auto [res, back] = co_await p->client.write_all_owned(std::move(b));
        CO_ASSERT_OK(res);
        EXPECT_EQ(back.data(), at);
        EXPECT_EQ(as_string(back), body);
      } else {
        // write_owned may be short in readiness mode: the rest goes by write_all.
        auto [res, back] = co_await p->client.write_owned(std::move(b));
        CO_ASSERT_OK(res);
        EXPECT_EQ(back.data(), at);
        EXPECT_EQ(as_string(back), body);
        CO_ASSERT_TRUE(*res >= 1 && *res <= body.size());
        if (*res < body.size()) CO_ASSERT_OK(co_await p->client.write_all(ConstBuffer(body.data() + *res, body.size() - *res)));
      }
      expect += body;
      CO_ASSERT_OK(co_await p->client.write_all(std::string_view("|sep|")));
      expect += "|sep|";
    }
    // An empty buffer sends nothing and comes back.
    auto [r0, b0] = co_await p->client.write_owned(OwnedBuffer());
    CO_ASSERT_OK(r0);
    EXPECT_EQ(*r0, 0u);
    {
      auto [rh, wh] = p->client.split();  // the write half forwards owned writes
      auto [rs, bs] = co_await wh.write_all_owned(OwnedBuffer(std::string("split")));
      CO_ASSERT_OK(rs);
      EXPECT_EQ(as_string(bs), "split");
      expect += "split";
    }
    auto got = co_await reader;
    CO_ASSERT_OK(got);
    EXPECT_TRUE(*got == expect) << "got " << got->size() << " bytes of " << expect.size();
  }());
}

// A writer destroyed while its owned write is waiting (the peer reads nothing yet): nothing it
// handed over is lost or duplicated, the next write's bytes come after it, and its buffer is
// freed (ASan). In completion mode the whole buffer goes out (the send stays in the ring); in
// readiness mode a prefix of whole chunks does.
TEST_P(NetOwnedWrite, ADestroyedWriterLosesNothingAndKeepsTheOrder) {
  eddy_test::run([]() -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    const std::string big = pattern(8 << 20, 7);  // more than the socket buffers hold
    auto w = eddy::spawn([](TcpStream& s, OwnedBuffer b) -> Task<void> {
      (void)co_await s.write_all_owned(std::move(b));
      ADD_FAILURE() << "the write finished although the peer read nothing";
    }(p->client, owned_copy(big)));
    co_await eddy::time::sleep(20ms);
    w.abort();
    (void)co_await w;
    const std::string marker = "after the abandoned write";
    auto marker_write = eddy::spawn([](TcpStream& s, std::string m) -> Task<bool> {
      co_return (co_await s.write_all(ConstBuffer(m.data(), m.size()))).has_value();
    }(p->client, marker));
    // Read until the marker ends what came: a bound (the whole big buffer and the marker) and
    // a time limit, so that a lost byte fails instead of hanging.
    std::string got;
    std::vector<char> b(1 << 16);
    while (got.size() < big.size() + marker.size() &&
           !(got.size() >= marker.size() && got.compare(got.size() - marker.size(), marker.size(), marker) == 0)) {
      auto r = co_await eddy::time::timeout(10s, p->server.read(MutableBuffer(b.data(), b.size())));
      CO_ASSERT_OK(r);
      CO_ASSERT_OK(*r);
      CO_ASSERT_TRUE(**r != 0);
      got.append(b.data(), **r);
    }
    auto mw = co_await marker_write;
    CO_ASSERT_OK(mw);
    EXPECT_TRUE(*mw);
    CO_ASSERT_TRUE(got.size() >= marker.size());
    const std::size_t prefix = got.size() - marker.size();
    EXPECT_EQ(got.substr(prefix), marker);
    EXPECT_TRUE(got.compare(0, prefix, big, 0, prefix) == 0);
    if (EDDY_URING_KIND()) {
      EXPECT_EQ(prefix, big.size());
    }
  }());
}

// --- io_uring completion mode ---------------------------------------------------------------

// Sends, owned and copied, by SEND_ZC (forced, so that every one is zero-copy even on loopback)
// arrive intact and in order, the owned buffer reused from one write to the next.
TEST(UringSendZc, ZeroCopySendsArriveIntact) {
  if (!kernel_has_send_zc()) GTEST_SKIP() << "the kernel has no IORING_OP_SEND_ZC (6.0+)";
  ForceSendZc force;
  auto rt = uring_rt();
  if (!rt) GTEST_SKIP() << "the kernel refuses io_uring sockets here";
  const auto* m = rt->handle().io_metrics();
  rt->block_on([](const eddy::io::IoDriverMetrics* metrics) -> Task<void> {
    auto p = co_await eddy_test::tcp_pair();
    CO_ASSERT_OK(p);
    const std::uint64_t zc0 = metrics->uring_send_zc_count();
    const std::string one = pattern(1 << 20, 11), two = pattern(300000, 12), small = "small";
    auto reader = eddy::spawn([](TcpStream& s, std::size_t n) -> Task<std::string> {
      co_return co_await read_n(s, n);
    }(p->server, 3 * one.size() + two.size() + small.size()));
    OwnedBuffer b = owned_copy(one);
    for (int i = 0; i < 3; ++i) {  // the same buffer, reused
      auto [res, back] = co_await p->client.write_all_owned(std::move(b));
      CO_ASSERT_OK(res);
      b = std::move(back);
    }
    CO_ASSERT_OK(co_await p->client.write_all(ConstBuffer(two.data(), two.size())));  // copied, 256 KiB at a time
    CO_ASSERT_OK(co_await p->client.write_all(ConstBuffer(small.data(), small.size())));
    EXPECT_GE(metrics->uring_send_zc_count(), zc0 + 3 + 2 + 1);
    auto got = co_await reader;
    CO_ASSERT_OK(got);
    EXPECT_TRUE(*got == one + one + one + two + small);
  }(m));
}

// The default policy: a send below kSendZcMin (16 KiB) uses SEND; a large one uses SEND_ZC until
// a notification says the kernel copied the bytes (loopback does), and then that socket uses
// SEND; a new socket tries SEND_ZC again.
TEST(UringSendZc, LargeSendsUseSendZcUntilTheKernelSaysItCopied) {
  if (!kernel_has_send_zc()) GTEST_SKIP() << "the kernel has no IORING_OP_SEND_ZC (6.0+)";
  auto rt = uring_rt();
  if (!rt) GTEST_SKIP() << "the kernel refuses io_uring sockets here";
  const auto* m = rt->handle().io_metrics();
  rt->block_on([](const eddy::io::IoDriverMetrics* metrics) -> Task<void> {
    for (int conn = 0; conn < 2; ++conn) {
      auto p = co_await eddy_test::tcp_pair();
      CO_ASSERT_OK(p);
      const std::string big = pattern(1 << 20, 21);
      auto reader = eddy::spawn([](TcpStream& s, std::size_t n) -> Task<std::string> {
        co_return co_await read_n(s, n);
      }(p->server, 4096 + 3 * big.size()));
      const std::uint64_t zc0 = metrics->uring_send_zc_count();
      const std::uint64_t copied0 = metrics->uring_send_zc_copied_count();
      auto [r1, b1] = co_await p->client.write_all_owned(OwnedBuffer(4096));
      CO_ASSERT_OK(r1);
      EXPECT_EQ(metrics->uring_send_zc_count(), zc0);  // small: SEND
      OwnedBuffer b = owned_copy(big);
      auto [r2, b2] = co_await p->client.write_all_owned(std::move(b));
      CO_ASSERT_OK(r2);
      EXPECT_EQ(metrics->uring_send_zc_count(), zc0 + 1);
      const bool copied = metrics->uring_send_zc_copied_count() > copied0;
      auto [r3, b3] = co_await p->client.write_all_owned(std::move(b2));
      CO_ASSERT_OK(r3);
      CO_ASSERT_OK(co_await p->client.write_all(ConstBuffer(big.data(), big.size())));
      if (copied) {
        EXPECT_EQ(metrics->uring_send_zc_count(), zc0 + 1);  // SEND from then on
      } else {
        EXPECT_GT(metrics->uring_send_zc_count(), zc0 + 1);  // a real NIC path: zero copy goes on
      }
      auto got = co_await reader;
      CO_ASSERT_OK(got);
      EXPECT_TRUE(*got == std::string(4096, '\0') + big + big + big);
    }
  }(m));
}

// Shutdown with zero-copy sends in flight (the peers read nothing, so the sends cannot finish):
// the runtime cancels them and waits for both CQEs of each (the result, then the notification)
// before closing the ring; no fd and no buffer (ASan) is left behind.
TEST(UringSendZc, ShutdownWithZeroCopySendsInFlightWaitsForBothCqes) {
  if (!kernel_has_send_zc()) GTEST_SKIP() << "the kernel has no IORING_OP_SEND_ZC (6.0+)";
  const int fds_before = eddy_test::open_fd_count();
  ForceSendZc force;
  {
    auto rt = uring_rt();
    if (!rt) GTEST_SKIP() << "the kernel refuses io_uring sockets here";
    rt->block_on([]() -> Task<void> {
      for (int i = 0; i < 4; ++i) {
        auto p = co_await eddy_test::tcp_pair();
        CO_ASSERT_OK(p);
        auto pair = std::make_shared<eddy_test::TcpPair>(std::move(*p));
        // One owned and one copying writer per pair: both stay in flight or waiting.
        (void)eddy::spawn([](std::shared_ptr<eddy_test::TcpPair> pr) -> Task<void> {
          (void)co_await pr->client.write_all_owned(OwnedBuffer(8 << 20));
        }(pair));
        (void)eddy::spawn([](std::shared_ptr<eddy_test::TcpPair> pr) -> Task<void> {
          const std::string big(4 << 20, 'z');
          (void)co_await pr->server.write_all(ConstBuffer(big.data(), big.size()));
        }(pair));
      }
      co_await eddy::time::sleep(20ms);
      EXPECT_GT(eddy::RuntimeHandle::current().io_metrics()->uring_send_zc_count(), 0u);
      EXPECT_GT(eddy::RuntimeHandle::current().io_metrics()->uring_in_flight(), 0u);
      // Returning leaves the sends in flight.
    }());
  }
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}

// Owned writers destroyed at random points, with or without the stream dropped too, their sends
// by SEND_ZC (where the kernel has it): no fd and no buffer leaks, nothing hangs.
TEST(UringSendZc, StressDestroysOwnedWritersAtRandomPoints) {
  const int fds_before = eddy_test::open_fd_count();
  ForceSendZc force;  // the zero-copy path, where the kernel has it
  {
    auto rt = uring_rt();
    if (!rt) GTEST_SKIP() << "the kernel refuses io_uring sockets here";
    rt->block_on([]() -> Task<void> {
      std::mt19937 rng(12);
      const auto deadline = std::chrono::steady_clock::now() + 2s;
      for (int round = 0; round < 40 && std::chrono::steady_clock::now() < deadline; ++round) {
        auto p = co_await eddy_test::tcp_pair();
        CO_ASSERT_OK(p);
        auto pair = std::make_shared<eddy_test::TcpPair>(std::move(*p));
        std::vector<eddy::JoinHandle<void>> tasks;
        for (int k = 0; k < 4; ++k) {
          const std::size_t len = 1 + rng() % (2 << 20);
          tasks.push_back(eddy::spawn([](std::shared_ptr<eddy_test::TcpPair> pr, bool c, std::size_t n) -> Task<void> {
            TcpStream& s = c ? pr->client : pr->server;
            OwnedBuffer b(n);
            for (int i = 0; i < 3; ++i) {
              auto [res, back] = co_await s.write_all_owned(std::move(b));
              if (!res) co_return;
              b = std::move(back);
              std::vector<char> r(n);
              auto got = co_await s.read(MutableBuffer(r.data(), r.size()));
              if (!got || *got == 0) co_return;
            }
          }(pair, (k & 1) != 0, len)));
        }
        if (rng() % 2 == 0) co_await eddy::time::sleep(std::chrono::microseconds(rng() % 3000));
        for (auto& t : tasks) {
          if (rng() % 2 != 0) t.abort();
        }
        if (rng() % 2 == 0) pair.reset();
        for (auto& t : tasks) t.abort();
        for (auto& t : tasks) (void)co_await t;
      }
    }());
  }
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}
