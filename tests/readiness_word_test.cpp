// The readiness word's transitions, tested through the very functions ScheduledIo's CAS loops
// use (ReadinessWord), at the places a live resource takes billions of events to reach.
#include "eddy/io/detail/readiness_word.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "eddy/io/detail/scheduled_io.hpp"

namespace {

using eddy::Ready;
using Word = eddy::io::detail::ReadinessWord;

constexpr std::uint32_t kLastTick = 0xffffffffu;

// dispatch() bumps the tick with an add on the whole word: at the 2^32 wrap the carry must not
// leak into the bits above the tick, and SHUTDOWN and the ready bits must survive it.
TEST(ReadinessWord, DispatchWrapsTheTickWithoutTouchingOtherBits) {
  const std::uint64_t w = Word::pack(kLastTick, Ready::WRITABLE, true);
  const std::uint64_t next = Word::dispatch(w, Ready::READABLE);
  EXPECT_EQ(Word::tick_of(next), 0u);
  EXPECT_EQ(Word::ready_of(next), Ready::READABLE | Ready::WRITABLE);
  EXPECT_TRUE(Word::is_shutdown(next));
  EXPECT_EQ(next & ~Word::kKeep, 0u) << "bits 48..62 stay zero";
  EXPECT_EQ(Word::tick_of(Word::dispatch(next, Ready::READABLE)), 1u);
}

TEST(ReadinessWord, DispatchWrapsTheTickWithoutShutdown) {
  EXPECT_EQ(Word::dispatch(Word::pack(kLastTick, Ready::EMPTY, false), Ready::WRITABLE),
            std::uint64_t{Ready::WRITABLE.bits()});
}

TEST(ReadinessWord, ClearNeverRemovesClosedBitsNorShutdown) {
  const std::uint64_t w = Word::pack(7, Ready::ALL, true);
  const std::uint64_t next = Word::clear(w, Word::clear_bits(Ready::ALL));
  EXPECT_EQ(Word::ready_of(next), Ready::READ_CLOSED | Ready::WRITE_CLOSED);
  EXPECT_TRUE(Word::is_shutdown(next));
  EXPECT_EQ(Word::tick_of(next), 7u);
}

TEST(ReadinessWord, UpdateKeepsShutdown) {
  const std::uint64_t next = Word::update(Word::pack(3, Ready::READABLE, true), 4, Ready::EMPTY);
  EXPECT_TRUE(Word::is_shutdown(next));
  EXPECT_EQ(Word::tick_of(next), 4u);
  EXPECT_TRUE(Word::ready_of(next).is_empty());
}

TEST(ReadinessWord, AnySeesReadinessOrShutdown) {
  EXPECT_FALSE(Word::any(Word::pack(1, Ready::WRITABLE, false), Ready::READABLE));
  EXPECT_TRUE(Word::any(Word::pack(1, Ready::READABLE, false), Ready::READABLE));
  EXPECT_TRUE(Word::any(Word::pack(1, Ready::EMPTY, true), Ready::READABLE));
}

// A clear taken before the wrap must not erase readiness set after it: a ScheduledIo's clear
// applies only while the word's tick is still the event's. The tick values around the wrap are
// close; what protects the newer readiness is that they are not equal.
TEST(ReadinessWord, ClearWithTheTickBeforeAWrapIsStale) {
  const std::uint64_t after_wrap = Word::dispatch(Word::pack(kLastTick, Ready::EMPTY, false), Ready::READABLE);
  EXPECT_NE(Word::tick_of(after_wrap), kLastTick) << "a clear with the old tick does not apply";
  EXPECT_EQ(Word::tick_of(after_wrap), 0u);
}

// The ScheduledIo uses the same layout (its constants are the word's).
TEST(ReadinessWord, ScheduledIoUsesTheWord) {
  eddy::io::ScheduledIo io;
  io.dispatch(Ready::READABLE);
  EXPECT_EQ(io.readiness_word(), Word::pack(1, Ready::READABLE, false));
  io.clear_readiness(eddy::io::ReadyEvent{1, Ready::READABLE, false});
  EXPECT_EQ(io.readiness_word(), Word::pack(1, Ready::EMPTY, false));
  io.shutdown();
  EXPECT_TRUE(Word::is_shutdown(io.readiness_word()));
}

}  // namespace
