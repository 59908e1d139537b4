#include "eddy/time/detail/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <vector>

namespace {

using eddy::detail::TimerEntry;
using eddy::detail::TimerWheel;

constexpr std::uint64_t kSpan = TimerWheel::kMaxSpan;

// Drains every entry due at `now`, checking that each is due and that they come in order.
std::vector<TimerEntry*> drain(TimerWheel& w, std::uint64_t now) {
  std::vector<TimerEntry*> out;
  while (TimerEntry* e = w.poll(now)) {
    EXPECT_LE(e->when, now);
    if (!out.empty()) {
      EXPECT_LE(out.back()->when, e->when);
    }
    out.push_back(e);
  }
  return out;
}

}  // namespace

TEST(TimeWheel, LevelForDeadlinesInEachLevel) {
  EXPECT_EQ(TimerWheel::level_for(0, 1), 0u);
  EXPECT_EQ(TimerWheel::level_for(0, 63), 0u);
  EXPECT_EQ(TimerWheel::level_for(0, 64), 1u);
  EXPECT_EQ(TimerWheel::level_for(0, 4095), 1u);
  EXPECT_EQ(TimerWheel::level_for(0, 4096), 2u);
  EXPECT_EQ(TimerWheel::level_for(0, (1u << 18) - 1), 2u);
  EXPECT_EQ(TimerWheel::level_for(0, 1u << 18), 3u);
  EXPECT_EQ(TimerWheel::level_for(0, std::uint64_t{1} << 24), 4u);
  EXPECT_EQ(TimerWheel::level_for(0, std::uint64_t{1} << 30), 5u);
  EXPECT_EQ(TimerWheel::level_for(0, kSpan - 1), 5u);
}

TEST(TimeWheel, LevelForDependsOnElapsedNotOnDistance) {
  // 4 ticks apart but across a 64-tick boundary: level 1.
  EXPECT_EQ(TimerWheel::level_for(62, 66), 1u);
  // 20 ticks apart inside one 64-tick block: level 0.
  EXPECT_EQ(TimerWheel::level_for(100, 120), 0u);
  // Across a 4096 boundary.
  EXPECT_EQ(TimerWheel::level_for(4095, 4096), 2u);
}

TEST(TimeWheel, LevelForBeyondTheSpanIsTheTopLevel) {
  EXPECT_EQ(TimerWheel::level_for(0, kSpan), 5u);
  EXPECT_EQ(TimerWheel::level_for(0, kSpan * 1000), 5u);
  EXPECT_EQ(TimerWheel::level_for(kSpan - 1, kSpan + 1), 5u);
}

TEST(TimeWheel, SlotForTakesTheLevelsBits) {
  EXPECT_EQ(TimerWheel::slot_for(5, 0), 5u);
  EXPECT_EQ(TimerWheel::slot_for(64 + 5, 0), 5u);
  EXPECT_EQ(TimerWheel::slot_for(3 * 64 + 5, 1), 3u);
  EXPECT_EQ(TimerWheel::slot_for(std::uint64_t{7} << 30, 5), 7u);
}

TEST(TimeWheel, InsertRecordsLevelAndSlot) {
  TimerWheel w;
  TimerEntry a, b, c;
  a.when = 10;
  b.when = 64 * 3 + 1;
  c.when = std::uint64_t{5} << 24;
  w.insert(a);
  w.insert(b);
  w.insert(c);
  EXPECT_EQ(a.level, 0);
  EXPECT_EQ(a.slot, 10);
  EXPECT_EQ(b.level, 1);
  EXPECT_EQ(b.slot, 3);
  EXPECT_EQ(c.level, 4);
  EXPECT_EQ(c.slot, 5);
  EXPECT_EQ(w.size(), 3u);
  w.remove(a);
  w.remove(b);
  w.remove(c);
  EXPECT_TRUE(w.empty());
}

TEST(TimeWheel, NextExpirationIsTheEarliestSlot) {
  TimerWheel w;
  EXPECT_FALSE(w.next_expiration());
  TimerEntry a, b;
  a.when = 5000;  // level 2, slot start 4096
  b.when = 70;    // level 1, slot start 64
  w.insert(a);
  EXPECT_EQ(w.next_expiration(), 4096u);
  w.insert(b);
  EXPECT_EQ(w.next_expiration(), 64u);
  w.remove(b);
  EXPECT_EQ(w.next_expiration(), 4096u);
  w.remove(a);
  EXPECT_FALSE(w.next_expiration());
}

TEST(TimeWheel, PollReturnsNothingBeforeTheDeadline) {
  TimerWheel w;
  TimerEntry a;
  a.when = 100;
  w.insert(a);
  EXPECT_EQ(w.poll(99), nullptr);
  EXPECT_EQ(w.elapsed(), 99u);
  EXPECT_EQ(w.poll(100), &a);
  EXPECT_FALSE(a.is_linked());
  EXPECT_TRUE(w.empty());
}

TEST(TimeWheel, CascadeMovesEntriesDown) {
  TimerWheel w;
  TimerEntry a;
  a.when = 5000;
  w.insert(a);
  ASSERT_EQ(a.level, 2);
  // Processing up to the level-2 slot's start re-inserts it lower.
  EXPECT_EQ(w.poll(4096), nullptr);
  EXPECT_TRUE(a.is_linked());
  EXPECT_LT(a.level, 2);
  EXPECT_EQ(w.poll(4999), nullptr);
  EXPECT_EQ(w.poll(5000), &a);
}

TEST(TimeWheel, RemoveClearsTheOccupiedBit) {
  TimerWheel w;
  TimerEntry a, b;
  a.when = b.when = 30;
  w.insert(a);
  w.insert(b);
  w.remove(a);
  EXPECT_EQ(w.next_expiration(), 30u);
  w.remove(b);
  EXPECT_FALSE(w.next_expiration());
  // Removing an entry that is not linked is a no-op.
  w.remove(a);
  EXPECT_TRUE(w.empty());
}

TEST(TimeWheel, RemoveAnEntryThatIsAlreadyDue) {
  TimerWheel w;
  TimerEntry a, b;
  a.when = 5000;
  b.when = 5000;
  w.insert(a);
  w.insert(b);
  // Both cascade into the due list when the wheel reaches 5000; pop one, cancel the other.
  TimerEntry* first = w.poll(5000);
  ASSERT_NE(first, nullptr);
  TimerEntry& other = first == &a ? b : a;
  EXPECT_TRUE(other.is_linked());
  w.remove(other);
  EXPECT_EQ(w.poll(5000), nullptr);
  EXPECT_TRUE(w.empty());
}

TEST(TimeWheel, FarFutureBeyondTheTopLevelSpan) {
  TimerWheel w;
  TimerEntry a;
  a.when = kSpan * 3 + 12345;
  w.insert(a);
  // Follow next_expiration like the driver does: never handed out early, never skipped.
  int steps = 0;
  for (;;) {
    auto next = w.next_expiration();
    ASSERT_TRUE(next);
    ASSERT_LE(*next, a.when);
    TimerEntry* e = w.poll(*next);
    ++steps;
    ASSERT_LT(steps, 1000);
    if (e != nullptr) {
      EXPECT_EQ(e, &a);
      EXPECT_EQ(*next, a.when);
      break;
    }
  }
}

TEST(TimeWheel, FarFutureAfterElapsedCrossesAWrap) {
  TimerWheel w;
  EXPECT_EQ(w.poll(kSpan - 10), nullptr);
  TimerEntry a, b;
  a.when = kSpan + 10;         // just across a top-level block boundary
  b.when = kSpan - 10 + kSpan;  // exactly one span ahead
  w.insert(a);
  w.insert(b);
  EXPECT_LE(*w.next_expiration(), a.when);
  auto got = drain(w, kSpan + 9);
  EXPECT_TRUE(got.empty());
  got = drain(w, kSpan + 10);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], &a);
  got = drain(w, b.when - 1);
  EXPECT_TRUE(got.empty());
  got = drain(w, b.when);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], &b);
}

TEST(TimeWheel, PopAnyEmptiesEverything) {
  TimerWheel w;
  std::vector<TimerEntry> entries(200);
  std::uint64_t when = 1;
  for (auto& e : entries) {
    e.when = when;
    when = when * 3 + 1;
    if (when >= kSpan * 4) when = 7;
    w.insert(e);
  }
  std::size_t n = 0;
  while (w.pop_any() != nullptr) ++n;
  EXPECT_EQ(n, entries.size());
  EXPECT_TRUE(w.empty());
  for (auto& e : entries) EXPECT_FALSE(e.is_linked());
}

// A randomized comparison against a sorted reference: inserts, cancels and polls at random,
// checking that exactly the due entries come out, in deadline order.
TEST(TimeWheel, MatchesAReferenceModel) {
  std::mt19937_64 rng(12345);
  TimerWheel w;
  std::vector<std::unique_ptr<TimerEntry>> pool;
  std::multiset<std::pair<std::uint64_t, TimerEntry*>> model;
  std::uint64_t now = 0;
  for (int step = 0; step < 20000; ++step) {
    const auto op = rng() % 10;
    if (op < 5) {
      auto e = std::make_unique<TimerEntry>();
      // Mostly near, sometimes far, rarely beyond the span.
      const auto r = rng() % 100;
      const std::uint64_t delta = r < 70 ? 1 + rng() % 200 : r < 97 ? 1 + rng() % 5'000'000 : 1 + rng() % (kSpan * 2);
      e->when = now + delta;
      w.insert(*e);
      model.emplace(e->when, e.get());
      pool.push_back(std::move(e));
    } else if (op < 7 && !model.empty()) {
      auto it = model.begin();
      std::advance(it, static_cast<long>(rng() % model.size()));
      w.remove(*it->second);
      EXPECT_FALSE(it->second->is_linked());
      model.erase(it);
    } else {
      // Jump to the next expiration, or by a random amount.
      auto next = w.next_expiration();
      if (!model.empty()) {
        ASSERT_TRUE(next);
        ASSERT_LE(*next, model.begin()->first);
      }
      const std::uint64_t target = (next && rng() % 2 == 0) ? std::max(*next, now) : now + rng() % 300;
      now = target;
      auto got = drain(w, now);
      std::vector<TimerEntry*> expected;
      while (!model.empty() && model.begin()->first <= now) {
        expected.push_back(model.begin()->second);
        model.erase(model.begin());
      }
      ASSERT_EQ(got.size(), expected.size()) << "at step " << step;
      for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i]->when, expected[i]->when);
    }
    ASSERT_EQ(w.size(), model.size());
  }
  while (w.pop_any() != nullptr) {
  }
}
