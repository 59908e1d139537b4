// The defensive token mode (EDDY_DEFENSIVE_TOKENS, src/io/token_slab.hpp): a token that comes
// back for a resource freed through a misuse is counted and dropped, never dereferenced. Built
// only with the option (in the default mode the same misuse is a use after free, which is what
// the mode exists to catch).
#if EDDY_DEFENSIVE_TOKENS

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "io/driver.hpp"
#include "io/token_slab.hpp"
#include "support/fds.hpp"
#include "support/test_waker.hpp"

using namespace std::chrono_literals;
using eddy::Interest;
using eddy::io::Direction;
using eddy::io::Driver;
using eddy::io::ScheduledIo;
using eddy::io::TokenSlab;
using eddy_test::Fd;
using eddy_test::TestWaker;

namespace {

void write_byte(int fd) {
  const char c = 'x';
  ASSERT_EQ(::write(fd, &c, 1), 1);
}

}  // namespace

// The misuse: an fd closed under its registration while a dup of it keeps the file open. The
// epoll item belongs to the (file, fd number) pair and lives as long as the file, so the
// deregistration's DEL cannot reach it (EBADF) and the kernel keeps returning the old token
// after the ScheduledIo has been released. With address tokens the driver would dispatch into
// freed memory; here the token names a freed slot and is dropped.
TEST(DefensiveTokens, ADupdFdThatOutlivesItsDeregistrationIsDropped) {
  auto d = Driver::create();
  ASSERT_TRUE(d) << d.error().message();
  auto h = d->handle();
  auto p = eddy_test::make_pipe();
  const int read_fd = p.read.get();
  Fd dup_fd(::fcntl(read_fd, F_DUPFD_CLOEXEC, 0));
  ASSERT_GE(dup_fd.get(), 0);
  {
    auto io = h->add_source(read_fd, Interest::READABLE);
    ASSERT_TRUE(io);
    p.read.close();  // the misuse
    EXPECT_FALSE(h->deregister_source(**io, read_fd)) << "DEL of a closed fd fails";
  }
  d->park_timeout(0ns);  // releases the ScheduledIo
  EXPECT_EQ(h->registration_count(), 0u);

  write_byte(p.write.get());  // readable through the dup: the old item fires
  auto report = d->park_timeout(100ms);
  EXPECT_EQ(report.events, 0u);
  EXPECT_EQ(h->stale_token_count(), 1u);

  // The freed slot is reused by the next registration, under a new generation: the old token
  // still finds nothing, and does not wake the new resource.
  auto q = eddy_test::make_pipe();
  auto fresh = h->add_source(q.read.get(), Interest::READABLE);
  ASSERT_TRUE(fresh);
  TestWaker tw;
  ASSERT_FALSE((*fresh)->poll_readiness(tw.waker(), Direction::Read).is_ready());
  write_byte(p.write.get());
  report = d->park_timeout(100ms);
  EXPECT_EQ(report.events, 0u);
  EXPECT_EQ(h->stale_token_count(), 2u);
  EXPECT_EQ(tw.woken(), 0);

  // And the new resource's own events still arrive.
  write_byte(q.write.get());
  report = d->park_timeout(100ms);
  EXPECT_EQ(report.events, 1u);
  EXPECT_EQ(tw.woken(), 1);
  EXPECT_EQ(h->stale_token_count(), 2u);
  EXPECT_TRUE(h->deregister_source(**fresh, q.read.get()));
}

// The slab itself: generations move on erase, erase is idempotent, reserved and foreign tokens
// find nothing, and a freed slot is reused first.
TEST(DefensiveTokens, SlabTokensAreSlotAndGeneration) {
  TokenSlab slab(3);
  ScheduledIo a, b;
  const std::uint64_t ta = slab.insert(&a);
  EXPECT_EQ(ta, 3u) << "first slot, generation 0";
  const std::uint64_t tb = slab.insert(&b);
  EXPECT_EQ(slab.find(ta), &a);
  EXPECT_EQ(slab.find(tb), &b);
  EXPECT_EQ(slab.find(0), nullptr);
  EXPECT_EQ(slab.find(2), nullptr);
  EXPECT_EQ(slab.find(std::uint64_t{1} << 31), nullptr) << "beyond every page";
  EXPECT_EQ(slab.find(reinterpret_cast<std::uintptr_t>(&a)), nullptr) << "an address token";

  EXPECT_TRUE(slab.erase(ta, &a));
  EXPECT_FALSE(slab.erase(ta, &a));
  EXPECT_EQ(slab.find(ta), nullptr);
  EXPECT_EQ(slab.live(), 1u);
  const std::uint64_t ta2 = slab.insert(&b);
  EXPECT_EQ(ta2 & 0xffffffffu, ta & 0xffffffffu) << "the freed slot first";
  EXPECT_EQ(ta2 >> 32, 1u) << "under the next generation";
  EXPECT_EQ(slab.find(ta), nullptr);
  EXPECT_EQ(slab.find(ta2), &b);
  EXPECT_FALSE(slab.erase(ta2, &a)) << "a token names one resource";

  // Past one page.
  std::vector<ScheduledIo> many(TokenSlab::kPageSize + 1);
  std::vector<std::uint64_t> tokens;
  for (auto& io : many) tokens.push_back(slab.insert(&io));
  for (std::size_t i = 0; i < many.size(); ++i) EXPECT_EQ(slab.find(tokens[i]), &many[i]);
  for (std::size_t i = 0; i < many.size(); ++i) EXPECT_TRUE(slab.erase(tokens[i], &many[i]));
  EXPECT_TRUE(slab.erase(tb, &b));
  EXPECT_TRUE(slab.erase(ta2, &b));
  EXPECT_EQ(slab.live(), 0u);
}

#endif  // EDDY_DEFENSIVE_TOKENS
