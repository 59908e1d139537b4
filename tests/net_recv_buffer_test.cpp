// Owned-buffer reads (read_buf -> net::RecvBuffer) in both socket modes: order when mixed with
// read(), partial consumption, a lease outliving its stream (and, in completion mode, its
// runtime), leases held while more data arrives, a destroyed read_buf losing nothing, EOF and
// errors; in completion mode, a pool run dry by held leases (the recv waits, without spinning,
// and re-arms when a lease comes back, also from another thread).
#include <chrono>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "eddy/net.hpp"
#include "eddy/net/recv_buffer.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/time/timeout.hpp"
#include "eddy/yield_now.hpp"
#include "support/net_test_util.hpp"
#include "support/uring_net.hpp"
#include "support/test_waker.hpp"

using eddy::Task;
using eddy::net::ConstBuffer;
using eddy::net::MutableBuffer;
using eddy::net::RecvBuffer;
using eddy::net::TcpStream;
using eddy_test::run;
using eddy_test::pattern;
using eddy_test::TestWaker;
using eddy_test::tcp_pair;
using namespace std::chrono_literals;

namespace {

std::string text(const RecvBuffer& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

// Reads with read_buf until `want` bytes came (or EOF/error), appending to `out`.
Task<bool> read_buf_until(TcpStream& s, std::string& out, std::size_t want) {
  while (out.size() < want) {
    auto b = co_await s.read_buf();
    if (!b || b->empty()) co_return false;
    out += text(*b);
  }
  co_return true;
}

}  // namespace

EDDY_NET_SUITE(NetReadBufTest);

TEST_P(NetReadBufTest, MixedWithReadKeepsTheByteOrder) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;
    auto& server = p->server;
    const std::string sent = pattern(20000, 3);
    std::string got;
    std::size_t off = 0;
    for (int round = 0; off < sent.size() || got.size() < sent.size(); ++round) {
      if (off < sent.size()) {
        const std::size_t n = std::min<std::size_t>(700, sent.size() - off);
        CO_ASSERT_OK(co_await client.write_all(ConstBuffer(sent.data() + off, n)));
        off += n;
      }
      if (round % 2 == 0) {
        char b[5];  // small reads leave the rest of a queued buffer for read_buf to lend
        auto n = co_await server.read(MutableBuffer(b, sizeof b));
        CO_ASSERT_OK(n);
        CO_ASSERT_TRUE(*n > 0);
        got.append(b, *n);
      } else {
        auto b = co_await server.read_buf();
        CO_ASSERT_OK(b);
        CO_ASSERT_TRUE(!b->empty());
        CO_ASSERT_TRUE(b->size() <= eddy::net::kRecvBufferSize);
        got += text(*b);
      }
    }
    EXPECT_EQ(got, sent);
  }());
}

TEST_P(NetReadBufTest, PartialConsumptionAndInPlaceChanges) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    CO_ASSERT_OK(co_await p->client.write_all(std::string_view("header:payload")));
    std::string all;
    RecvBuffer b;
    while (all.size() < 14) {
      auto r = co_await p->server.read_buf();
      CO_ASSERT_OK(r);
      CO_ASSERT_TRUE(!r->empty());
      all += text(*r);
      b = std::move(*r);
    }
    EXPECT_EQ(all, "header:payload");
    EXPECT_TRUE(b.holds_buffer());
    // The last lease's bytes: consume from the front, change in place, truncate.
    const std::size_t before = b.size();
    b.consume(1);
    EXPECT_EQ(b.size(), before - 1);
    b.consume(1000);  // clamped
    EXPECT_TRUE(b.empty());
    EXPECT_TRUE(b.holds_buffer());  // still pinned until reset/destroyed
    b.reset();
    EXPECT_FALSE(b.holds_buffer());
  }());
}

TEST_P(NetReadBufTest, LeaseOutlivesItsStreamAndMoves) {
  run([]() -> Task<void> {
    RecvBuffer kept;
    {
      auto p = co_await tcp_pair();
      CO_ASSERT_OK(p);
      CO_ASSERT_OK(co_await p->client.write_all(std::string_view("survivor")));
      std::string got;
      while (got.size() < 8) {
        auto b = co_await p->server.read_buf();
        CO_ASSERT_OK(b);
        CO_ASSERT_TRUE(!b->empty());
        got += text(*b);
        if (got.size() == 8 && got == text(*b)) kept = std::move(*b);
      }
      CO_ASSERT_TRUE(got == "survivor");
    }  // both streams closed
    if (kept.holds_buffer()) {  // (arrived in one piece, as it does on loopback)
      RecvBuffer moved(std::move(kept));
      EXPECT_FALSE(kept.holds_buffer());
      EXPECT_EQ(text(moved), "survivor");
      moved.data()[0] = std::byte{'S'};
      EXPECT_EQ(text(moved), "Survivor");
    }
  }());
}

TEST_P(NetReadBufTest, LeasesHeldWhileMoreDataArrives) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    std::vector<RecvBuffer> held;
    std::string sent, got;
    for (int i = 0; i < 16; ++i) {
      const std::string msg = pattern(100 + static_cast<std::size_t>(i), static_cast<unsigned>(i));
      CO_ASSERT_OK(co_await p->client.write_all(ConstBuffer(msg.data(), msg.size())));
      sent += msg;
      while (got.size() < sent.size()) {
        auto b = co_await p->server.read_buf();
        CO_ASSERT_OK(b);
        CO_ASSERT_TRUE(!b->empty());
        got += text(*b);
        held.push_back(std::move(*b));
      }
    }
    EXPECT_EQ(got, sent);
    std::string again;  // every lease still holds exactly its bytes
    for (auto& b : held) again += text(b);
    EXPECT_EQ(again, sent);
  }());
}

TEST_P(NetReadBufTest, ADestroyedReadBufLosesNoBytes) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    // Destroyed while waiting (nothing has arrived).
    auto t = co_await eddy::time::timeout(10ms, p->server.read_buf());
    EXPECT_FALSE(t);
    std::mt19937 rng(11);
    std::string sent, got;
    for (int round = 0; round < 60; ++round) {
      auto h = eddy::spawn([](TcpStream& s, std::string* out) -> Task<void> {
        auto b = co_await s.read_buf();
        if (b && !b->empty()) *out += text(*b);
      }(p->server, &got));
      for (unsigned y = rng() % 4; y > 0; --y) co_await eddy::yield_now();
      const std::string msg = pattern(1 + rng() % 60, static_cast<unsigned>(round));
      CO_ASSERT_OK(co_await p->client.write_all(ConstBuffer(msg.data(), msg.size())));
      sent += msg;
      for (unsigned y = rng() % 4; y > 0; --y) co_await eddy::yield_now();
      h.abort();
      (void)co_await h;
    }
    CO_ASSERT_OK(p->client.shutdown());
    for (;;) {
      auto b = co_await p->server.read_buf();
      CO_ASSERT_OK(b);
      if (b->empty()) break;
      got += text(*b);
    }
    EXPECT_EQ(got, sent);
  }());
}

TEST_P(NetReadBufTest, EndOfStreamIsAnEmptyLeaseAndAResetIsAnError) {
  run([]() -> Task<void> {
    {
      auto p = co_await tcp_pair();
      CO_ASSERT_OK(p);
      CO_ASSERT_OK(co_await p->client.write_all(std::string_view("bye")));
      CO_ASSERT_OK(p->client.shutdown());
      std::string got;
      (void)co_await read_buf_until(p->server, got, 3);
      EXPECT_EQ(got, "bye");
      for (int i = 0; i < 2; ++i) {  // and again: EOF stays EOF
        auto b = co_await p->server.read_buf();
        CO_ASSERT_OK(b);
        EXPECT_TRUE(b->empty());
        EXPECT_FALSE(b->holds_buffer());
      }
    }
    {
      auto p = co_await tcp_pair();
      CO_ASSERT_OK(p);
      auto& client = p->client;
      CO_ASSERT_OK(client.set_linger(std::chrono::seconds(0)));
      client = TcpStream(eddy::net::detail::PollEvented());  // closed with a reset
      auto b = co_await p->server.read_buf();
      CO_ASSERT_TRUE(!b);
      EXPECT_EQ(b.error(), std::errc::connection_reset);
    }
  }());
}

TEST_P(NetReadBufTest, OwnedAndBorrowedReadHalves) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    {
      auto halves = p->server.split();
      CO_ASSERT_OK(co_await p->client.write_all(std::string_view("one")));
      std::string got;
      while (got.size() < 3) {
        auto b = co_await halves.first.read_buf();
        CO_ASSERT_OK(b);
        CO_ASSERT_TRUE(!b->empty());
        got += text(*b);
      }
      EXPECT_EQ(got, "one");
    }
    auto owned = std::move(p->server).into_split();
    CO_ASSERT_OK(co_await p->client.write_all(std::string_view("two")));
    std::string got;
    while (got.size() < 3) {
      auto b = co_await owned.first.read_buf();
      CO_ASSERT_OK(b);
      CO_ASSERT_TRUE(!b->empty());
      got += text(*b);
    }
    EXPECT_EQ(got, "two");
  }());
}

// try_read_buf never waits: nothing received is EAGAIN; bytes that arrived while the task did
// something else are all lent without a read_buf, in order; EOF is an empty lease, every time.
TEST_P(NetReadBufTest, TryReadBufLendsWhatArrivedWithoutWaiting) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& client = p->client;
    auto& server = p->server;
    auto none = server.try_read_buf();
    CO_ASSERT_TRUE(!none);
    EXPECT_EQ(none.error(), std::errc::resource_unavailable_try_again);

    CO_ASSERT_OK(co_await client.write_all(std::string_view("ab")));
    std::string got;
    CO_ASSERT_TRUE(co_await read_buf_until(server, got, 2));  // in completion mode: the recv is armed
    EXPECT_EQ(got, "ab");

    // Two sends, the driver turning between them (in completion mode: two completions, two
    // queued buffers); then only try_read_buf, with sleeps, until both are in.
    CO_ASSERT_OK(co_await client.write_all(std::string_view("cd")));
    co_await eddy::time::sleep(5ms);
    CO_ASSERT_OK(co_await client.write_all(std::string_view("ef")));
    got.clear();
    int would_block = 0;
    for (int i = 0; i < 400 && got.size() < 4; ++i) {
      auto b = server.try_read_buf();
      if (!b) {
        CO_ASSERT_TRUE(b.error() == std::errc::resource_unavailable_try_again);
        ++would_block;
        co_await eddy::time::sleep(5ms);
        continue;
      }
      CO_ASSERT_TRUE(!b->empty());
      got += text(*b);
    }
    EXPECT_EQ(got, "cdef");
    auto after = server.try_read_buf();  // all taken: would-block again, at once
    CO_ASSERT_TRUE(!after);
    EXPECT_EQ(after.error(), std::errc::resource_unavailable_try_again);

    CO_ASSERT_OK(client.shutdown());
    auto eof = co_await server.read_buf();
    CO_ASSERT_OK(eof);
    EXPECT_TRUE(eof->empty());
    for (int i = 0; i < 2; ++i) {  // EOF stays EOF for try_read_buf too
      auto again = server.try_read_buf();
      CO_ASSERT_OK(again);
      EXPECT_TRUE(again->empty());
    }
  }());
}

// poll_read_buf with a waker of the caller's own (no task waits): Pending keeps the waker, the
// bytes' arrival wakes it, and the next poll lends them; at end of stream an empty lease.
TEST_P(NetReadBufTest, PollReadBufWakesACallersWakerThenLends) {
  run([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    auto& server = p->server;
    TestWaker w;
    auto first = server.poll_read_buf(w.waker());
    CO_ASSERT_TRUE(first.is_pending());
    CO_ASSERT_OK(co_await p->client.write_all(std::string_view("wake")));
    for (int i = 0; i < 1000 && w.woken() == 0; ++i) co_await eddy::time::sleep(1ms);
    CO_ASSERT_TRUE(w.woken() > 0);
    std::string got;
    for (int i = 0; i < 1000 && got.size() < 4; ++i) {
      auto r = server.poll_read_buf(w.waker());
      if (r.is_pending()) {
        co_await eddy::time::sleep(1ms);
        continue;
      }
      CO_ASSERT_OK(*r);
      CO_ASSERT_TRUE(!(*r)->empty());
      got += text(**r);
    }
    EXPECT_EQ(got, "wake");
    CO_ASSERT_OK(p->client.shutdown());
    for (int i = 0; i < 1000; ++i) {
      auto r = server.poll_read_buf(w.waker());
      if (r.is_pending()) {
        co_await eddy::time::sleep(1ms);
        continue;
      }
      CO_ASSERT_OK(*r);
      EXPECT_TRUE((*r)->empty());
      co_return;
    }
    ADD_FAILURE() << "no end of stream";
  }());
}

// --- completion mode: the shared pool of provided buffers ------------------------------------

namespace {

std::unique_ptr<eddy::Runtime> uring_rt(unsigned buffers, unsigned size) {
  return eddy_test::uring_rt(std::move(eddy::Builder::new_current_thread().uring_recv_buffers(buffers, size)));
}

// Fills `held` with `n` leases of one message each (each its own provided buffer: the next
// message is sent only after the previous one was read).
Task<bool> hold_leases(eddy_test::TcpPair& p, std::vector<RecvBuffer>& held, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string msg = "lease" + std::to_string(i);
    if (!co_await p.client.write_all(ConstBuffer(msg.data(), msg.size()))) co_return false;
    auto b = co_await p.server.read_buf();
    if (!b || text(*b) != msg) co_return false;
    held.push_back(std::move(*b));
  }
  co_return true;
}

}  // namespace

TEST(UringReadBuf, HeldLeasesRunThePoolDryThenTheRecvReArmsWithoutSpinning) {
  auto rt = uring_rt(4, 512);
  SKIP_IF_NO_URING(rt);
  const auto* metrics = rt->handle().io_metrics();
  rt->block_on([](const eddy::io::IoDriverMetrics* m) -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    std::vector<RecvBuffer> held;
    CO_ASSERT_TRUE(co_await hold_leases(*p, held, 4));  // every provided buffer is lent
    CO_ASSERT_OK(co_await p->client.write_all(std::string_view("after")));
    // The recv finds no buffer (ENOBUFS ends it); the reader waits, and does not re-submit.
    auto t = co_await eddy::time::timeout(20ms, p->server.read_buf());
    EXPECT_FALSE(t);
    auto reader = eddy::spawn([](TcpStream& s) -> Task<std::string> {
      auto b = co_await s.read_buf();
      co_return b ? text(*b) : std::string("error");
    }(p->server));
    co_await eddy::time::sleep(5ms);
    const auto submitted = m->uring_submitted_count();
    co_await eddy::time::sleep(30ms);
    EXPECT_LE(m->uring_submitted_count() - submitted, 1u) << "a starved recv must wait, not spin";
    EXPECT_FALSE(reader.is_finished());
    held.erase(held.begin());  // one buffer back: the recv re-arms
    auto got = co_await reader;
    CO_ASSERT_OK(got);
    EXPECT_EQ(*got, "after");
    // The held leases kept their bytes through all this.
    for (std::size_t i = 0; i < held.size(); ++i) EXPECT_EQ(text(held[i]), "lease" + std::to_string(i + 1));
  }(metrics));
}

TEST(UringReadBuf, ALeaseReturnedOnAnotherThreadReArmsAStarvedRecv) {
  auto rt = uring_rt(2, 512);
  SKIP_IF_NO_URING(rt);
  rt->block_on([]() -> Task<void> {
    auto p = co_await tcp_pair();
    CO_ASSERT_OK(p);
    std::vector<RecvBuffer> held;
    CO_ASSERT_TRUE(co_await hold_leases(*p, held, 2));
    auto reader = eddy::spawn([](TcpStream& s) -> Task<std::string> {
      auto b = co_await s.read_buf();
      co_return b ? text(*b) : std::string("error");
    }(p->server));
    CO_ASSERT_OK(co_await p->client.write_all(std::string_view("late")));
    co_await eddy::time::sleep(10ms);
    EXPECT_FALSE(reader.is_finished());
    // Destroyed on another thread while the runtime's thread is parked in its driver.
    RecvBuffer away = std::move(held.back());
    held.pop_back();
    std::thread t([b = std::move(away)]() mutable {
      std::this_thread::sleep_for(5ms);
      b.reset();
    });
    auto got = co_await reader;
    t.join();
    CO_ASSERT_OK(got);
    EXPECT_EQ(*got, "late");
  }());
}

TEST(UringReadBuf, ALeaseOutlivesItsRuntime) {
  RecvBuffer kept;
  {
    auto rt = uring_rt(8, 512);
    SKIP_IF_NO_URING(rt);
    rt->block_on([](RecvBuffer* out) -> Task<void> {
      auto p = co_await tcp_pair();
      CO_ASSERT_OK(p);
      std::vector<RecvBuffer> held;
      CO_ASSERT_TRUE(co_await hold_leases(*p, held, 1));
      *out = std::move(held[0]);
    }(&kept));
  }  // the runtime, its ring and its buffer ring are gone; the lease keeps the memory
  ASSERT_TRUE(kept.holds_buffer());
  EXPECT_EQ(text(kept), "lease0");
  kept.data()[0] = std::byte{'L'};  // still writable memory
  EXPECT_EQ(text(kept), "Lease0");
  std::thread([b = std::move(kept)]() mutable { b.reset(); }).join();  // the last lease frees it
}
