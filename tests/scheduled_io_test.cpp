#include "eddy/io/detail/scheduled_io.hpp"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "eddy/detail/ref_ptr.hpp"
#include "support/test_waker.hpp"

using eddy::Interest;
using eddy::Ready;
using eddy::detail::RefPtr;
using eddy::io::Direction;
using eddy::io::Readiness;
using eddy::io::ReadyEvent;
using eddy::io::ScheduledIo;
using eddy::io::Tick;
using eddy_test::TestWaker;

namespace {

RefPtr<ScheduledIo> make_io() { return RefPtr<ScheduledIo>::adopt(ScheduledIo::create(false)); }

Ready ready_bits(const ScheduledIo& io) { return ScheduledIo::ready_of(io.readiness_word()); }
std::uint32_t tick(const ScheduledIo& io) { return ScheduledIo::tick_of(io.readiness_word()); }

void set(ScheduledIo& io, Ready r) {
  ASSERT_TRUE(io.set_readiness(Tick::set(), [r](Ready curr) { return curr | r; }));
}

}  // namespace

// --- the readiness word ----------------------------------------------------------------------

TEST(ScheduledIo, StartsEmptyWithTickZero) {
  auto io = make_io();
  EXPECT_EQ(ready_bits(*io), Ready::EMPTY);
  EXPECT_EQ(tick(*io), 0u);
  EXPECT_FALSE(io->is_shutdown());
  EXPECT_EQ(io->use_count(), 1u);
}

TEST(ScheduledIo, TokenRoundTripsAndIsNeverReserved) {
  auto io = make_io();
  EXPECT_EQ(ScheduledIo::from_token(io->token()), io.get());
  EXPECT_GT(io->token(), 1u);
  EXPECT_EQ(io->token() % alignof(ScheduledIo), 0u);
}

// The multi-thread runtime's resources are padded against false sharing; the current-thread
// runtime's are plain allocations. Both kinds are freed by the last unref (ASan checks that the
// deallocation matches the allocation's size and alignment).
TEST(ScheduledIo, PaddedAndPlainAllocationsAreEachFreedTheirOwnWay) {
  auto padded = RefPtr<ScheduledIo>::adopt(ScheduledIo::create(true));
  auto plain = RefPtr<ScheduledIo>::adopt(ScheduledIo::create(false));
  ASSERT_TRUE(padded && plain);
  EXPECT_EQ(padded->token() % eddy::io::kPaddedScheduledIoSize, 0u);
  EXPECT_EQ(plain->token() % alignof(ScheduledIo), 0u);
  padded->ref();
  padded->unref();
  EXPECT_EQ(padded->use_count(), 1u);
}


TEST(ScheduledIo, SetBumpsTickEvenWhenBitsDoNotChange) {
  auto io = make_io();
  set(*io, Ready::READABLE);
  EXPECT_EQ(tick(*io), 1u);
  EXPECT_EQ(ready_bits(*io), Ready::READABLE);
  set(*io, Ready::READABLE);
  EXPECT_EQ(tick(*io), 2u);
  io->dispatch(Ready::WRITABLE);
  EXPECT_EQ(tick(*io), 3u);
  EXPECT_EQ(ready_bits(*io), Ready::READABLE | Ready::WRITABLE);
}

TEST(ScheduledIo, ClearWithCurrentTickClears) {
  auto io = make_io();
  io->dispatch(Ready::READABLE | Ready::WRITABLE);
  const ReadyEvent ev = io->ready_event(Interest::READABLE);
  EXPECT_EQ(ev.tick, 1u);
  EXPECT_EQ(ev.ready, Ready::READABLE);
  io->clear_readiness(ev);
  EXPECT_EQ(ready_bits(*io), Ready::WRITABLE);  // only what the event named
  EXPECT_EQ(tick(*io), 1u);                     // a clear does not bump the tick
}

TEST(ScheduledIo, ClearWithStaleTickIsANoOp) {
  auto io = make_io();
  io->dispatch(Ready::READABLE);
  const ReadyEvent stale = io->ready_event(Interest::READABLE);
  io->dispatch(Ready::READABLE);  // a new edge after the event was taken
  EXPECT_FALSE(io->set_readiness(Tick::clear(stale.tick), [](Ready) { return Ready::EMPTY; }));
  io->clear_readiness(stale);
  EXPECT_EQ(ready_bits(*io), Ready::READABLE);
}

// tokio compares only the low 8 bits of the tick, so an event exactly 256 Sets old (or 32768,
// the width of its stored tick) matches again and erases fresh readiness. We carry 32 bits.
TEST(ScheduledIo, StaleClearAfter256SetsDoesNotEraseReadiness) {
  auto io = make_io();
  io->dispatch(Ready::READABLE);
  const ReadyEvent stale = io->ready_event(Interest::READABLE);
  for (int i = 0; i < 256; ++i) set(*io, Ready::READABLE);
  EXPECT_EQ(tick(*io) & 0xff, stale.tick & 0xff);  // the case an 8-bit tick gets wrong
  io->clear_readiness(stale);
  EXPECT_EQ(ready_bits(*io), Ready::READABLE);
}

TEST(ScheduledIo, StaleClearAfter32768SetsDoesNotEraseReadiness) {
  auto io = make_io();
  io->dispatch(Ready::READABLE);
  const ReadyEvent stale = io->ready_event(Interest::READABLE);
  for (int i = 0; i < 32768; ++i) set(*io, Ready::READABLE);
  EXPECT_EQ(tick(*io) & 0x7fff, stale.tick & 0x7fff);  // what a 15-bit tick gets wrong
  io->clear_readiness(stale);
  EXPECT_EQ(ready_bits(*io), Ready::READABLE);
  // A fresh event still clears.
  io->clear_readiness(io->ready_event(Interest::READABLE));
  EXPECT_EQ(ready_bits(*io), Ready::EMPTY);
}

TEST(ScheduledIo, ClearNeverClearsClosedBits) {
  auto io = make_io();
  const Ready all_four = Ready::READABLE | Ready::WRITABLE | Ready::READ_CLOSED | Ready::WRITE_CLOSED;
  io->dispatch(all_four | Ready::PRIORITY | Ready::ERROR);
  const ReadyEvent ev = io->ready_event(Interest::READABLE | Interest::WRITABLE);
  EXPECT_EQ(ev.ready, all_four);
  io->clear_readiness(ev);
  EXPECT_EQ(ready_bits(*io), Ready::READ_CLOSED | Ready::WRITE_CLOSED | Ready::PRIORITY | Ready::ERROR);
  io->clear_readiness(ReadyEvent{tick(*io), Ready::ALL, false});
  EXPECT_EQ(ready_bits(*io), Ready::READ_CLOSED | Ready::WRITE_CLOSED);
}

TEST(ScheduledIo, ReadyEventSingleInterests) {
  auto io = make_io();
  io->dispatch(Ready::READABLE | Ready::WRITE_CLOSED | Ready::ERROR);
  EXPECT_EQ(io->ready_event(Interest::READABLE).ready, Ready::READABLE);
  EXPECT_EQ(io->ready_event(Interest::WRITABLE).ready, Ready::WRITE_CLOSED);
  EXPECT_EQ(io->ready_event(Interest::ERROR).ready, Ready::ERROR);
  EXPECT_EQ(io->ready_event(Interest::PRIORITY).ready, Ready::EMPTY);
  EXPECT_EQ(io->ready_event(Interest::READABLE).tick, 1u);
  EXPECT_FALSE(io->ready_event(Interest::READABLE).is_shutdown);
}

TEST(ScheduledIo, ShutdownIsStickyThroughSets) {
  auto io = make_io();
  io->shutdown();
  EXPECT_TRUE(io->is_shutdown());
  io->dispatch(Ready::READABLE);
  EXPECT_TRUE(io->is_shutdown());
  EXPECT_TRUE(io->ready_event(Interest::READABLE).is_shutdown);
}

// --- poll_readiness (slot waiters) -----------------------------------------------------------

TEST(ScheduledIo, PollReadinessReadyAtOnce) {
  auto io = make_io();
  io->dispatch(Ready::READABLE | Ready::WRITABLE);
  TestWaker tw;
  auto ev = io->poll_readiness(tw.waker(), Direction::Read);
  ASSERT_TRUE(ev.is_ready());
  EXPECT_EQ(ev->ready, Ready::READABLE);  // masked to the direction
  EXPECT_EQ(ev->tick, 1u);
  EXPECT_FALSE(ev->is_shutdown);
  EXPECT_EQ(tw.outstanding(), 0);  // not stored
}

TEST(ScheduledIo, PollReadinessPendingThenWoken) {
  auto io = make_io();
  TestWaker tw;
  EXPECT_FALSE(io->poll_readiness(tw.waker(), Direction::Read).is_ready());
  EXPECT_EQ(tw.outstanding(), 1);
  io->dispatch(Ready::WRITABLE);  // the other direction
  EXPECT_EQ(tw.woken(), 0);
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(tw.wakes(), 1);
  EXPECT_EQ(tw.outstanding(), 0);
  auto ev = io->poll_readiness(tw.waker(), Direction::Read);
  ASSERT_TRUE(ev.is_ready());
  EXPECT_EQ(ev->ready, Ready::READABLE);
}

TEST(ScheduledIo, ReadClosedWakesTheReaderSlot) {
  auto io = make_io();
  TestWaker tw;
  EXPECT_FALSE(io->poll_readiness(tw.waker(), Direction::Read).is_ready());
  io->dispatch(Ready::READ_CLOSED);
  EXPECT_EQ(tw.wakes(), 1);
  auto ev = io->poll_readiness(tw.waker(), Direction::Read);
  ASSERT_TRUE(ev.is_ready());
  EXPECT_EQ(ev->ready, Ready::READ_CLOSED);
}

TEST(ScheduledIo, PollSlotKeepsOnlyTheLastWaker) {
  auto io = make_io();
  TestWaker first, second;
  EXPECT_FALSE(io->poll_readiness(first.waker(), Direction::Read).is_ready());
  EXPECT_FALSE(io->poll_readiness(second.waker(), Direction::Read).is_ready());
  EXPECT_EQ(first.outstanding(), 0);  // replaced and dropped
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(first.woken(), 0);
  EXPECT_EQ(second.wakes(), 1);
}

TEST(ScheduledIo, RepollWithTheSameWakerDoesNotClone) {
  auto io = make_io();
  TestWaker tw;
  eddy::Waker w = tw.waker();
  EXPECT_FALSE(io->poll_readiness(w, Direction::Read).is_ready());
  const int clones = tw.clones();
  EXPECT_FALSE(io->poll_readiness(w, Direction::Read).is_ready());
  EXPECT_FALSE(io->poll_readiness(w, Direction::Read).is_ready());
  EXPECT_EQ(tw.clones(), clones);
  EXPECT_EQ(tw.outstanding(), 2);  // ours and the slot's
}

TEST(ScheduledIo, ReadAndWriteSlotsAreIndependent) {
  auto io = make_io();
  TestWaker reader, writer;
  EXPECT_FALSE(io->poll_readiness(reader.waker(), Direction::Read).is_ready());
  EXPECT_FALSE(io->poll_readiness(writer.waker(), Direction::Write).is_ready());
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(reader.wakes(), 1);
  EXPECT_EQ(writer.woken(), 0);
  EXPECT_EQ(writer.outstanding(), 1);
  io->dispatch(Ready::WRITABLE);
  EXPECT_EQ(writer.wakes(), 1);
  EXPECT_EQ(reader.wakes(), 1);
}

TEST(ScheduledIo, ClearWakersDropsSlotsWithoutWaking) {
  auto io = make_io();
  TestWaker reader, writer;
  EXPECT_FALSE(io->poll_readiness(reader.waker(), Direction::Read).is_ready());
  EXPECT_FALSE(io->poll_readiness(writer.waker(), Direction::Write).is_ready());
  io->clear_wakers();
  EXPECT_EQ(reader.outstanding(), 0);
  EXPECT_EQ(writer.outstanding(), 0);
  io->dispatch(Ready::READABLE | Ready::WRITABLE);
  EXPECT_EQ(reader.woken() + writer.woken(), 0);
}

TEST(ScheduledIo, DestructionWakesSlotWaiters) {
  TestWaker tw;
  {
    auto io = make_io();
    EXPECT_FALSE(io->poll_readiness(tw.waker(), Direction::Write).is_ready());
  }
  EXPECT_EQ(tw.wakes(), 1);
  EXPECT_EQ(tw.outstanding(), 0);
}

// --- Readiness (list waiters) ----------------------------------------------------------------

TEST(Readiness, ReadyAtOnceDoesNotStoreTheWaker) {
  auto io = make_io();
  io->dispatch(Ready::WRITABLE);
  TestWaker tw;
  Readiness r(*io, Interest::WRITABLE);
  auto ev = r.poll(tw.waker());
  ASSERT_TRUE(ev.is_ready());
  EXPECT_EQ(ev->ready, Ready::WRITABLE);
  EXPECT_EQ(ev->tick, 1u);
  EXPECT_EQ(tw.outstanding(), 0);
}

TEST(Readiness, PendingThenWokenByMatchingReadinessOnly) {
  auto io = make_io();
  TestWaker tw;
  Readiness r(*io, Interest::READABLE);
  EXPECT_FALSE(r.poll(tw.waker()).is_ready());
  EXPECT_EQ(tw.outstanding(), 1);
  io->dispatch(Ready::WRITABLE);
  EXPECT_EQ(tw.woken(), 0);
  EXPECT_FALSE(r.poll(tw.waker()).is_ready());
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(tw.wakes(), 1);
  auto ev = r.poll(tw.waker());
  ASSERT_TRUE(ev.is_ready());
  EXPECT_EQ(ev->ready, Ready::READABLE);
  EXPECT_EQ(ev->tick, 2u);
  EXPECT_EQ(tw.outstanding(), 0);
}

TEST(Readiness, DoneReportsCurrentReadinessAndTick) {
  auto io = make_io();
  TestWaker tw;
  Readiness r(*io, Interest::READABLE);
  EXPECT_FALSE(r.poll(tw.waker()).is_ready());
  io->dispatch(Ready::READABLE);
  io->dispatch(Ready::READ_CLOSED);  // after the wake, before the re-poll
  auto ev = r.poll(tw.waker());
  ASSERT_TRUE(ev.is_ready());
  EXPECT_EQ(ev->tick, 2u);
  EXPECT_EQ(ev->ready, Ready::READABLE | Ready::READ_CLOSED);
  // Cleared in between: the set may be empty, the caller simply tries its operation.
  io->clear_readiness(*ev);
  auto again = r.poll(tw.waker());
  ASSERT_TRUE(again.is_ready());
  EXPECT_EQ(again->ready, Ready::READ_CLOSED);
}

TEST(Readiness, WaitingRepollReplacesTheWaker) {
  auto io = make_io();
  TestWaker first, second;
  Readiness r(*io, Interest::READABLE);
  EXPECT_FALSE(r.poll(first.waker()).is_ready());
  EXPECT_FALSE(r.poll(second.waker()).is_ready());
  EXPECT_EQ(first.outstanding(), 0);
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(first.woken(), 0);
  EXPECT_EQ(second.wakes(), 1);
}

TEST(Readiness, CombinedInterestIsWokenByEither) {
  auto io = make_io();
  TestWaker tw;
  Readiness r(*io, Interest::READABLE | Interest::WRITABLE);
  EXPECT_FALSE(r.poll(tw.waker()).is_ready());
  io->dispatch(Ready::WRITABLE);
  EXPECT_EQ(tw.wakes(), 1);
  auto ev = r.poll(tw.waker());
  ASSERT_TRUE(ev.is_ready());
  EXPECT_EQ(ev->ready, Ready::WRITABLE);
}

TEST(Readiness, PriorityWaiterIsWokenByPriority) {
  auto io = make_io();
  TestWaker pri, reader;
  Readiness r(*io, Interest::PRIORITY);
  EXPECT_FALSE(r.poll(pri.waker()).is_ready());
  EXPECT_FALSE(io->poll_readiness(reader.waker(), Direction::Read).is_ready());
  io->dispatch(Ready::PRIORITY);
  EXPECT_EQ(pri.wakes(), 1);
  // PRIORITY alone is not "readable": the read slot stays put (epoll reports PRI as readable
  // too, so a real event wakes both).
  EXPECT_EQ(reader.woken(), 0);
}

TEST(Readiness, FutureWaiterAndSlotWaiterAreBothWoken) {
  auto io = make_io();
  TestWaker future_w, slot_w;
  Readiness r(*io, Interest::READABLE);
  EXPECT_FALSE(r.poll(future_w.waker()).is_ready());
  EXPECT_FALSE(io->poll_readiness(slot_w.waker(), Direction::Read).is_ready());
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(future_w.wakes(), 1);
  EXPECT_EQ(slot_w.wakes(), 1);
}

TEST(Readiness, DestroyedWhileWaitingUnlinks) {
  auto io = make_io();
  TestWaker tw;
  {
    // On the heap, so that a later wake touching it is a use-after-free ASan reports.
    auto r = std::make_unique<Readiness>(*io, Interest::READABLE);
    EXPECT_FALSE(r->poll(tw.waker()).is_ready());
    EXPECT_EQ(tw.outstanding(), 1);
  }
  EXPECT_EQ(tw.outstanding(), 0);  // its waker went with it
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(tw.woken(), 0);
  // The resource still works for a new waiter.
  TestWaker later;
  Readiness r2(*io, Interest::WRITABLE);
  EXPECT_FALSE(r2.poll(later.waker()).is_ready());
  io->dispatch(Ready::WRITABLE);
  EXPECT_EQ(later.wakes(), 1);
}

TEST(Readiness, DestroyedAfterBeingWokenButBeforeRepoll) {
  auto io = make_io();
  TestWaker tw;
  {
    auto r = std::make_unique<Readiness>(*io, Interest::READABLE);
    EXPECT_FALSE(r->poll(tw.waker()).is_ready());
    io->dispatch(Ready::READABLE);
    EXPECT_EQ(tw.wakes(), 1);
  }
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(tw.wakes(), 1);
}

TEST(Readiness, ManyWaitersMoreThanOneBatchAreAllWoken) {
  constexpr int kWaiters = 100;  // three full batches of 32 and a partial one
  auto io = make_io();
  std::vector<std::unique_ptr<TestWaker>> wakers;
  std::vector<std::unique_ptr<Readiness>> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    wakers.push_back(std::make_unique<TestWaker>());
    waiters.push_back(std::make_unique<Readiness>(*io, Interest::READABLE));
    ASSERT_FALSE(waiters.back()->poll(wakers.back()->waker()).is_ready());
  }
  TestWaker slot;
  ASSERT_FALSE(io->poll_readiness(slot.waker(), Direction::Read).is_ready());
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(slot.wakes(), 1);
  for (int i = 0; i < kWaiters; ++i) {
    EXPECT_EQ(wakers[i]->wakes(), 1) << "waiter " << i;
    auto ev = waiters[i]->poll(wakers[i]->waker());
    ASSERT_TRUE(ev.is_ready());
    EXPECT_EQ(ev->ready, Ready::READABLE);
  }
}

TEST(Readiness, OnlyMatchingWaitersAreWokenAcrossBatches) {
  constexpr int kWaiters = 90;
  auto io = make_io();
  std::vector<std::unique_ptr<TestWaker>> wakers;
  std::vector<std::unique_ptr<Readiness>> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    wakers.push_back(std::make_unique<TestWaker>());
    const Interest in = i % 3 == 0 ? Interest::WRITABLE : Interest::READABLE;
    waiters.push_back(std::make_unique<Readiness>(*io, in));
    ASSERT_FALSE(waiters.back()->poll(wakers.back()->waker()).is_ready());
  }
  io->dispatch(Ready::READABLE);
  for (int i = 0; i < kWaiters; ++i) EXPECT_EQ(wakers[i]->wakes(), i % 3 == 0 ? 0 : 1) << i;
  io->dispatch(Ready::WRITABLE);
  for (int i = 0; i < kWaiters; ++i) EXPECT_EQ(wakers[i]->wakes(), 1) << i;
}

// A woken task may destroy waiters (its own, or another task's) while wake() is between
// batches; wake() must not hold the lock while waking (deadlock) nor touch a destroyed node
// (use-after-free, which ASan reports).
TEST(Readiness, WakerDestroyingOtherWaitersDuringTheBatch) {
  constexpr int kWaiters = 100;
  auto io = make_io();
  std::vector<std::unique_ptr<TestWaker>> wakers;
  std::vector<std::unique_ptr<Readiness>> waiters(kWaiters);
  for (int i = 0; i < kWaiters; ++i) wakers.push_back(std::make_unique<TestWaker>());
  for (int i = 0; i < kWaiters; ++i) {
    waiters[i] = std::make_unique<Readiness>(*io, Interest::READABLE);
    ASSERT_FALSE(waiters[i]->poll(wakers[i]->waker()).is_ready());
    // Waiter i, when woken, destroys waiter (i + 50) % 100: with push_front order, a node that is
    // still linked (a later batch) or one already unlinked into the current batch.
    const int victim = (i + 50) % kWaiters;
    wakers[i]->on_wake([&waiters, victim] { waiters[victim].reset(); });
  }
  io->dispatch(Ready::READABLE);
  int woken = 0;
  for (int i = 0; i < kWaiters; ++i) {
    woken += wakers[i]->wakes();
    // Every waiter is either woken or was destroyed while still linked (never both pending).
    EXPECT_TRUE(wakers[i]->wakes() == 1 || waiters[i] == nullptr) << i;
    EXPECT_EQ(wakers[i]->outstanding(), 0) << i;
  }
  EXPECT_GE(woken, kWaiters / 2);
  // Nothing is left linked: another wake finds no one.
  io->dispatch(Ready::READABLE);
  int after = 0;
  for (int i = 0; i < kWaiters; ++i) after += wakers[i]->wakes();
  EXPECT_EQ(after, woken);
}

TEST(Readiness, WakerDestroyingItsOwnWaiterDuringTheBatch) {
  constexpr int kWaiters = 70;
  auto io = make_io();
  std::vector<std::unique_ptr<TestWaker>> wakers;
  std::vector<std::unique_ptr<Readiness>> waiters(kWaiters);
  for (int i = 0; i < kWaiters; ++i) wakers.push_back(std::make_unique<TestWaker>());
  for (int i = 0; i < kWaiters; ++i) {
    waiters[i] = std::make_unique<Readiness>(*io, Interest::READABLE);
    ASSERT_FALSE(waiters[i]->poll(wakers[i]->waker()).is_ready());
    wakers[i]->on_wake([&waiters, i] { waiters[i].reset(); });
  }
  io->dispatch(Ready::READABLE);
  for (int i = 0; i < kWaiters; ++i) {
    EXPECT_EQ(wakers[i]->wakes(), 1) << i;
    EXPECT_EQ(waiters[i], nullptr) << i;
  }
}

// A woken waker that re-registers (polls a new waiter on the same resource) during the batch
// must not deadlock either.
TEST(Readiness, WakerAddingANewWaiterDuringTheBatch) {
  constexpr int kWaiters = 40;
  auto io = make_io();
  std::vector<std::unique_ptr<TestWaker>> wakers;
  std::vector<std::unique_ptr<Readiness>> waiters(kWaiters);
  std::vector<std::unique_ptr<Readiness>> second(kWaiters);
  TestWaker late;
  for (int i = 0; i < kWaiters; ++i) wakers.push_back(std::make_unique<TestWaker>());
  for (int i = 0; i < kWaiters; ++i) {
    waiters[i] = std::make_unique<Readiness>(*io, Interest::WRITABLE);
    ASSERT_FALSE(waiters[i]->poll(wakers[i]->waker()).is_ready());
    wakers[i]->on_wake([&, i] {
      second[i] = std::make_unique<Readiness>(*io, Interest::READABLE);
      EXPECT_FALSE(second[i]->poll(late.waker()).is_ready());
    });
  }
  io->dispatch(Ready::WRITABLE);
  for (int i = 0; i < kWaiters; ++i) EXPECT_EQ(wakers[i]->wakes(), 1) << i;
  EXPECT_EQ(late.woken(), 0);
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(late.wakes(), kWaiters);
}

TEST(Readiness, ShutdownWakesEveryWaiterAndLaterPollsSeeIt) {
  auto io = make_io();
  TestWaker list_w, reader, writer;
  Readiness r(*io, Interest::READABLE);
  EXPECT_FALSE(r.poll(list_w.waker()).is_ready());
  EXPECT_FALSE(io->poll_readiness(reader.waker(), Direction::Read).is_ready());
  EXPECT_FALSE(io->poll_readiness(writer.waker(), Direction::Write).is_ready());
  io->shutdown();
  EXPECT_EQ(list_w.wakes(), 1);
  EXPECT_EQ(reader.wakes(), 1);
  EXPECT_EQ(writer.wakes(), 1);
  auto ev = r.poll(list_w.waker());
  ASSERT_TRUE(ev.is_ready());
  EXPECT_TRUE(ev->is_shutdown);
  // Created after the shutdown: ready at once, with is_shutdown.
  Readiness late(*io, Interest::WRITABLE);
  auto late_ev = late.poll(list_w.waker());
  ASSERT_TRUE(late_ev.is_ready());
  EXPECT_TRUE(late_ev->is_shutdown);
  auto slot_ev = io->poll_readiness(reader.waker(), Direction::Read);
  ASSERT_TRUE(slot_ev.is_ready());
  EXPECT_TRUE(slot_ev->is_shutdown);
  EXPECT_EQ(list_w.outstanding() + reader.outstanding() + writer.outstanding(), 0);
}

// --- the inline fast paths of the socket hot path ----------------------------------------------

TEST(ScheduledIo, WaitIfPendingRegistersTheWakerWhenNotReady) {
  auto io = make_io();
  TestWaker tw;
  EXPECT_TRUE(io->wait_if_pending(tw.waker(), Direction::Read));
  EXPECT_EQ(tw.outstanding(), 1);  // stored in the reader slot
  io->dispatch(Ready::WRITABLE);
  EXPECT_EQ(tw.woken(), 0);
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(tw.wakes(), 1);
  EXPECT_EQ(tw.outstanding(), 0);
}

TEST(ScheduledIo, WaitIfPendingIsFalseWhenReadyAndStoresNothing) {
  auto io = make_io();
  io->dispatch(Ready::READ_CLOSED);  // closed counts as readable
  TestWaker tw;
  EXPECT_FALSE(io->wait_if_pending(tw.waker(), Direction::Read));
  EXPECT_EQ(tw.outstanding(), 0);
  EXPECT_TRUE(io->wait_if_pending(tw.waker(), Direction::Write));
  EXPECT_EQ(tw.outstanding(), 1);
}

TEST(ScheduledIo, WaitIfPendingIsFalseAfterShutdown) {
  auto io = make_io();
  io->shutdown();
  TestWaker tw;
  EXPECT_FALSE(io->wait_if_pending(tw.waker(), Direction::Read));
  EXPECT_FALSE(io->wait_if_pending(tw.waker(), Direction::Write));
}

// A different waker in the slot is replaced (and released), the same one is kept as is.
TEST(ScheduledIo, WaitIfPendingReplacesAnotherWakerInTheSlot) {
  auto io = make_io();
  TestWaker first, second;
  EXPECT_TRUE(io->wait_if_pending(first.waker(), Direction::Read));
  EXPECT_TRUE(io->wait_if_pending(second.waker(), Direction::Read));
  EXPECT_EQ(first.outstanding(), 0);
  EXPECT_EQ(second.outstanding(), 1);
  EXPECT_TRUE(io->wait_if_pending(second.waker(), Direction::Read));
  EXPECT_EQ(second.outstanding(), 1);
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(first.woken(), 0);
  EXPECT_EQ(second.wakes(), 1);
}

namespace {
// A waker whose clone makes the resource readable, as if an event arrived between the first
// look at the readiness word and the re-check under the lock.
struct RacingWaker {
  ScheduledIo* io;
  int refs = 0;
};
void* racing_clone(void* d) noexcept {
  auto* r = static_cast<RacingWaker*>(d);
  ++r->refs;
  // An event's update of the word, without the wake (whose lock the caller holds right now).
  r->io->set_readiness(eddy::io::Tick::set(), [](Ready ready) { return ready | Ready::READABLE; });
  return d;
}
void racing_drop(void* d) noexcept { --static_cast<RacingWaker*>(d)->refs; }
void racing_wake(void* d) noexcept { racing_drop(d); }
void racing_wake_by_ref(void*) noexcept {}
constexpr eddy::WakerVTable kRacingVTable{&racing_clone, &racing_wake, &racing_wake_by_ref, &racing_drop};
}  // namespace

// When readiness arrives while the waker is being stored, the poll is ready and the waker it
// stored is taken back: nothing of the caller stays in the slot (a finished task's waker left
// there would keep its frame, and the socket in it, alive).
TEST(ScheduledIo, ReadinessDuringRegistrationLeavesNoWakerBehind) {
  auto io = make_io();
  RacingWaker rw{io.get()};
  const eddy::Waker w = eddy::Waker::from_raw(&rw, &kRacingVTable);
  auto ev = io->poll_readiness(w, Direction::Read);
  ASSERT_TRUE(ev.is_ready());
  EXPECT_EQ(ev->ready, Ready::READABLE);
  EXPECT_EQ(rw.refs, 0) << "the stored clone was dropped again";

  io->clear_readiness(*ev);
  EXPECT_FALSE(io->wait_if_pending(w, Direction::Read)) << "readable again by the time of the re-check";
  EXPECT_EQ(rw.refs, 0);
}
