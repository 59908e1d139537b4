// Concurrency stress for the I/O driver: many interleavings of its races (wake vs. register,
// clear vs. dispatch, deregister vs. turn), each bounded in iterations and in wall time so that
// the suite stays fast under TSan.
// Sanitizers do the heavy lifting: ASan reports a use-after-free, TSan a data race; the tests
// themselves check that no wake-up is ever lost and that nothing hangs (bounded waits).
#include "io/driver.hpp"

#include <atomic>
#include <barrier>
#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "eddy/error.hpp"
#include "eddy/io/detail/scheduled_io.hpp"
#include "support/fds.hpp"
#include "support/test_waker.hpp"

using namespace std::chrono_literals;
using eddy::Interest;
using eddy::Ready;
using eddy::detail::RefPtr;
using eddy::io::Direction;
using eddy::io::Driver;
using eddy::io::Readiness;
using eddy::io::ReadyEvent;
using eddy::io::ScheduledIo;
using eddy_test::Fd;
using eddy_test::TestWaker;

namespace {

// Stops a loop after `max_iterations` or `max_time`, whichever comes first.
class Budget {
 public:
  Budget(int max_iterations, std::chrono::milliseconds max_time)
      : max_(max_iterations), deadline_(std::chrono::steady_clock::now() + max_time) {}
  bool next() {
    if (done_ >= max_) return false;
    // Checking the clock every iteration would dominate the cheap loops.
    if (done_ % 64 == 0 && std::chrono::steady_clock::now() > deadline_) return false;
    ++done_;
    return true;
  }
  int done() const { return done_; }

 private:
  int max_;
  int done_ = 0;
  std::chrono::steady_clock::time_point deadline_;
};

// Busy-waits a little, so that the two sides of a race start at varied offsets.
void jitter(unsigned spins) {
  for (unsigned i = 0; i < spins; ++i) std::atomic_signal_fence(std::memory_order_seq_cst);
}

RefPtr<ScheduledIo> make_io() { return RefPtr<ScheduledIo>::adopt(ScheduledIo::create(false)); }

}  // namespace

// (1) Thread U registers, makes ready, deregisters and drops resources while the driver thread
// is dispatching their tokens. The deferred release must keep every token in a batch alive.
TEST(DriverStress, DeregisterAndDropWhileTheDriverDispatches) {
  auto driver = std::move(*Driver::create(64));
  auto h = driver.handle();
  std::atomic<bool> stop{false};
  std::thread driver_thread([&] {
    while (!stop.load(std::memory_order_acquire)) driver.park_timeout(1ms);
  });

  Budget budget(4000, 2000ms);
  std::minstd_rand rng(1);
  std::vector<std::unique_ptr<TestWaker>> freed;  // each woken only by its ScheduledIo's destructor
  bool ok = true;  // no ASSERT in the loop: leaving early would strand the driver thread
  while (ok && budget.next()) {
    // A few resources at a time, so one epoll batch holds several tokens being dropped.
    constexpr int kBatch = 4;
    Fd fds[kBatch];
    RefPtr<ScheduledIo> ios[kBatch];
    std::unique_ptr<Readiness> waiters[kBatch];
    TestWaker list_waker;
    for (int k = 0; k < kBatch; ++k) {
      fds[k] = eddy_test::make_eventfd();
      auto io = h->add_source(fds[k].get(), Interest::READABLE);
      if (!io) {
        ADD_FAILURE() << "add_source: " << io.error().message();
        ok = false;
        break;
      }
      ios[k] = std::move(*io);
      freed.push_back(std::make_unique<TestWaker>());
      // The write slot: READABLE events never wake it, only ~ScheduledIo does.
      EXPECT_FALSE(ios[k]->poll_readiness(freed.back()->waker(), Direction::Write).is_ready());
      waiters[k] = std::make_unique<Readiness>(*ios[k], Interest::READABLE);
      (void)waiters[k]->poll(list_waker.waker());
    }
    for (auto& fd : fds) {
      if (fd.get() >= 0) eddy_test::signal_eventfd(fd.get());
    }
    jitter(rng() % 2000);
    for (int k = 0; k < kBatch; ++k) {
      if (!ios[k]) continue;
      EXPECT_TRUE(h->deregister_source(*ios[k], fds[k].get()).has_value());
      waiters[k].reset();
      ios[k].reset();
      fds[k].close();
    }
  }
  stop.store(true, std::memory_order_release);
  h->unpark();
  driver_thread.join();

  driver.park_timeout(0ns);  // releases whatever the last turns left pending
  EXPECT_EQ(h->registration_count(), 0u);
  EXPECT_EQ(h->metrics().fd_registered_count(), h->metrics().fd_deregistered_count());
  int destroyed = 0;
  for (auto& tw : freed) destroyed += tw->wakes() > 0 ? 1 : 0;
  EXPECT_EQ(destroyed, static_cast<int>(freed.size()));
  RecordProperty("iterations", budget.done());
}

namespace {

// One round of "driver sets readiness and wakes" against "a task polls": the poller must either
// see readiness at once or be woken; a poll that returns pending and is never woken is a lost
// wake-up. `use_future` picks the Readiness future (list waiter) or poll_readiness (slot).
void race_set_against_poll(bool use_future) {
  // Many rounds: the window (between the poller's first load and its taking the lock) is a few
  // instructions wide, so only a large number of start offsets lands a wake inside it.
  Budget budget(20000, 2000ms);
  std::barrier sync(2);
  RefPtr<ScheduledIo> io;
  std::atomic<bool> done{false};
  std::minstd_rand rng(2);
  std::atomic<unsigned> setter_jitter{0};

  std::thread setter([&] {
    for (;;) {
      sync.arrive_and_wait();  // a round starts (io is set) or the test ends
      if (done.load(std::memory_order_acquire)) return;
      jitter(setter_jitter.load(std::memory_order_relaxed));
      io->dispatch(Ready::READABLE);
      sync.arrive_and_wait();  // the round is over
    }
  });

  while (budget.next()) {
    io = make_io();
    const unsigned spin = rng() % 512;
    setter_jitter.store(rng() % 512, std::memory_order_relaxed);
    TestWaker tw;
    sync.arrive_and_wait();
    jitter(spin);
    // No ASSERT between the barriers: leaving early would strand the setter thread.
    bool woken_or_ready = true;
    Ready seen;
    if (use_future) {
      Readiness r(*io, Interest::READABLE);
      auto ev = r.poll(tw.waker());
      if (!ev && tw.wait_woken_past(0)) ev = r.poll(tw.waker());
      woken_or_ready = ev.is_ready();
      if (ev) seen = ev->ready;
    } else {
      auto ev = io->poll_readiness(tw.waker(), Direction::Read);
      if (!ev && tw.wait_woken_past(0)) ev = io->poll_readiness(tw.waker(), Direction::Read);
      woken_or_ready = ev.is_ready();
      if (ev) seen = ev->ready;
    }
    sync.arrive_and_wait();
    if (!woken_or_ready) {
      ADD_FAILURE() << "lost wake-up (" << (use_future ? "future" : "slot") << ") in round " << budget.done();
      break;
    }
    if (seen != Ready::READABLE) {
      ADD_FAILURE() << "woken without readiness in round " << budget.done();
      break;
    }
  }
  done.store(true, std::memory_order_release);
  sync.arrive_and_wait();
  setter.join();
}

}  // namespace

// (2) set_readiness(Set) + wake on one thread against poll on another: never a lost wake-up.
TEST(DriverStress, SetAndWakeAgainstReadinessFutureNeverLosesAWakeup) { race_set_against_poll(true); }
TEST(DriverStress, SetAndWakeAgainstPollReadinessNeverLosesAWakeup) { race_set_against_poll(false); }

// (3) A stale clear racing with a Set: whatever the order, the newly set bits survive.
TEST(DriverStress, StaleClearRacingWithSetKeepsTheNewBits) {
  Budget budget(5000, 2000ms);
  std::barrier sync(2);
  RefPtr<ScheduledIo> io;
  ReadyEvent stale;
  std::atomic<bool> done{false};
  std::atomic<unsigned> round_no{0};
  std::minstd_rand rng(3);

  std::thread setter([&] {
    std::minstd_rand local(4);
    for (;;) {
      sync.arrive_and_wait();
      if (done.load(std::memory_order_acquire)) return;
      jitter(local() % 256);
      // Alternate: the same bits the clear removes (the hard case), and a new one besides.
      const bool same = round_no.load(std::memory_order_relaxed) % 2 == 0;
      io->dispatch(same ? Ready::READABLE : (Ready::READABLE | Ready::WRITABLE));
      sync.arrive_and_wait();
    }
  });

  while (budget.next()) {
    io = make_io();
    io->dispatch(Ready::READABLE);
    stale = io->ready_event(Interest::READABLE | Interest::WRITABLE);
    round_no.store(static_cast<unsigned>(budget.done()), std::memory_order_relaxed);
    const bool same = budget.done() % 2 == 0;
    sync.arrive_and_wait();
    jitter(rng() % 256);
    io->clear_readiness(stale);
    sync.arrive_and_wait();
    const Ready expect = same ? Ready::READABLE : (Ready::READABLE | Ready::WRITABLE);
    const std::uint64_t word = io->readiness_word();
    if (ScheduledIo::ready_of(word) != expect || ScheduledIo::tick_of(word) != 2u) {
      ADD_FAILURE() << "round " << budget.done() << ": new bits lost, ready=0x" << std::hex
                    << ScheduledIo::ready_of(word).bits() << std::dec << " tick=" << ScheduledIo::tick_of(word);
      break;
    }
  }
  done.store(true, std::memory_order_release);
  sync.arrive_and_wait();
  setter.join();
}

// (3b) A stream of Sets against a stream of clears, each taken from a snapshot that may be stale
// by the time it is applied. Invariant at the end: the readiness bit is absent only if the last
// successful clear carried the final tick (no Set after it); any Set after it must have stuck.
TEST(DriverStress, ContinuousSetsAgainstStaleClears) {
  auto io = make_io();
  std::atomic<bool> stop{false};
  std::atomic<std::uint32_t> last_cleared_tick{0};
  std::atomic<bool> any_cleared{false};
  std::thread clearer([&] {
    while (!stop.load(std::memory_order_acquire)) {
      const ReadyEvent ev = io->ready_event(Interest::READABLE);
      jitter(17);
      if (io->set_readiness(eddy::io::Tick::clear(ev.tick), [&ev](Ready curr) { return curr - ev.ready; })) {
        last_cleared_tick.store(ev.tick, std::memory_order_relaxed);
        any_cleared.store(true, std::memory_order_relaxed);
      }
    }
  });
  Budget budget(200000, 1500ms);
  std::uint32_t expected_tick = 0;
  while (budget.next()) {
    io->dispatch(Ready::READABLE);
    ++expected_tick;
    // Only this thread bumps the tick (a clear never does).
    const std::uint32_t t = ScheduledIo::tick_of(io->readiness_word());
    if (t != expected_tick) {
      ADD_FAILURE() << "tick " << t << " after " << expected_tick << " Sets";
      break;
    }
  }
  stop.store(true, std::memory_order_release);
  clearer.join();
  const std::uint64_t word = io->readiness_word();
  const bool cleared_last = any_cleared.load() && last_cleared_tick.load() == ScheduledIo::tick_of(word);
  EXPECT_EQ(ScheduledIo::ready_of(word).is_empty(), cleared_last);
  io->dispatch(Ready::READABLE);
  EXPECT_EQ(io->ready_event(Interest::READABLE).ready, Ready::READABLE);
}

// (4) Shutdown racing with add_source and with waiters (futures and slots, before and while
// they register): every waiter ends with readiness or shutdown, none hangs; every successful
// registration is shut down.
TEST(DriverStress, ShutdownRacingWithAddSourceAndWaiters) {
  Budget budget(300, 3000ms);
  std::minstd_rand rng(5);
  int partial_rounds = 0;  // rounds where the shutdown landed between two registrations
  while (budget.next()) {
    auto driver = std::move(*Driver::create(16));
    auto h = driver.handle();
    const unsigned turns = rng() % 4;
    const unsigned spin = rng() % 400000;
    std::atomic<bool> failed{false};
    std::atomic<bool> started{false};
    std::atomic<int> registered{0};

    std::thread worker([h, &failed, &started, &registered, round = budget.done()] {
      started.store(true, std::memory_order_release);
      struct Entry {
        Fd fd;
        RefPtr<ScheduledIo> io;
        std::unique_ptr<TestWaker> future_w, slot_w;
        std::unique_ptr<Readiness> fut;
      };
      std::vector<Entry> entries;
      for (int i = 0; i < 24; ++i) {
        Entry e;
        e.fd = eddy_test::make_eventfd();
        auto io = h->add_source(e.fd.get(), Interest::READABLE);
        if (!io) {
          if (io.error() != eddy::make_error_code(eddy::Error::shutdown)) failed = true;
          break;
        }
        e.io = std::move(*io);
        registered.fetch_add(1, std::memory_order_relaxed);
        if (i % 2 == 0) eddy_test::signal_eventfd(e.fd.get());  // some end with readiness
        e.future_w = std::make_unique<TestWaker>();
        e.slot_w = std::make_unique<TestWaker>();
        e.fut = std::make_unique<Readiness>(*e.io, Interest::READABLE);
        entries.push_back(std::move(e));
        Entry& b = entries.back();
        (void)b.fut->poll(b.future_w->waker());
        (void)b.io->poll_readiness(b.slot_w->waker(), Direction::Read);
      }
      for (Entry& e : entries) {
        // A waiter that is pending must be woken (by its event or by the shutdown).
        auto ev = e.fut->poll(e.future_w->waker());
        if (!ev) {
          if (!e.future_w->wait_woken_past(0)) {
            ADD_FAILURE() << "future waiter never woken, round " << round;
            failed = true;
            continue;
          }
          ev = e.fut->poll(e.future_w->waker());
        }
        if (!ev || (ev->ready.is_empty() && !ev->is_shutdown)) failed = true;
        auto slot = e.io->poll_readiness(e.slot_w->waker(), Direction::Read);
        if (!slot) {
          if (!e.slot_w->wait_woken_past(0)) {
            ADD_FAILURE() << "slot waiter never woken, round " << round;
            failed = true;
            continue;
          }
          slot = e.io->poll_readiness(e.slot_w->waker(), Direction::Read);
        }
        if (!slot || (slot->ready.is_empty() && !slot->is_shutdown)) failed = true;
      }
      // The driver shuts down in this round in any case: every registration sees it.
      for (Entry& e : entries) {
        for (int spins = 0; !e.io->is_shutdown() && spins < 10'000'000; ++spins) std::this_thread::yield();
        if (!e.io->is_shutdown()) failed = true;
        (void)h->deregister_source(*e.io, e.fd.get());
      }
    });

    // Shut down while the worker is registering (not before its thread even runs).
    while (!started.load(std::memory_order_acquire)) std::this_thread::yield();
    for (unsigned t = 0; t < turns; ++t) driver.park_timeout(0ns);
    jitter(spin);
    driver.shutdown();
    worker.join();
    const int n = registered.load();
    partial_rounds += n > 0 && n < 24 ? 1 : 0;
    ASSERT_FALSE(failed.load()) << "round " << budget.done();
    EXPECT_EQ(h->registration_count(), 0u);
  }
  RecordProperty("rounds", budget.done());
  RecordProperty("partial_rounds", partial_rounds);
}
