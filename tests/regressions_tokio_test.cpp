// Regression tests for the places where tokio's I/O driver is wrong and eddy must not be. Each
// test is named after what it fixes (the tokio issue or PR, or the defect itself when it was
// found by reading tokio's source).
#include "io/driver.hpp"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "eddy/error.hpp"
#include "eddy/io/detail/registration.hpp"
#include "eddy/io/detail/scheduled_io.hpp"
#include "support/driver_helpers.hpp"
#include "support/fds.hpp"
#include "support/test_waker.hpp"

using namespace std::chrono_literals;
using eddy::Interest;
using eddy::Ready;
using eddy::Result;
using eddy::detail::RefPtr;
using eddy::io::Direction;
using eddy::io::Driver;
using eddy::io::Readiness;
using eddy::io::ReadyEvent;
using eddy::io::Registration;
using eddy::io::ScheduledIo;
using eddy_test::Fd;
using eddy_test::TestWaker;

// Reference §3.2: tokio rebuilds the word from the readiness bits alone, so a successful
// clear_readiness after shutdown erases SHUTDOWN and every later wait hangs.
TEST(TokioRegression, ShutdownBitSurvivesASuccessfulClear) {
  auto io = RefPtr<ScheduledIo>::adopt(ScheduledIo::create(false));
  io->dispatch(Ready::READABLE);
  TestWaker tw;
  Readiness before(*io, Interest::READABLE);
  auto ev = before.poll(tw.waker());
  ASSERT_TRUE(ev.is_ready());
  ASSERT_FALSE(ev->is_shutdown);

  io->shutdown();
  // The event's tick still matches (shutdown does not bump it), so this clear succeeds.
  io->clear_readiness(*ev);
  EXPECT_TRUE(ScheduledIo::ready_of(io->readiness_word()).is_empty());
  EXPECT_TRUE(io->is_shutdown());

  Readiness after(*io, Interest::READABLE);
  auto again = after.poll(tw.waker());
  ASSERT_TRUE(again.is_ready()) << "a wait after shutdown + clear must not hang";
  EXPECT_TRUE(again->is_shutdown);
  auto polled = io->poll_readiness(tw.waker(), Direction::Read);
  ASSERT_TRUE(polled.is_ready());
  EXPECT_TRUE(polled->is_shutdown);
}

// The same defect through the driver and a Registration (tokio's
// driver_shutdown_then_clear_readiness only checks for no panic, #6066).
TEST(TokioRegression, ClearAfterDriverShutdownStillReportsShutdown) {
  auto driver = std::move(*Driver::create());
  auto p = eddy_test::make_pipe();
  auto reg = *Registration::create(driver.handle(), p.read.get(), Interest::READABLE);
  eddy_test::write_byte(p.write.get());
  ASSERT_TRUE(eddy_test::turn_until(driver, [&] { return !reg.scheduled_io().ready_event(Interest::READABLE).ready.is_empty(); }));
  TestWaker tw;
  auto guard = reg.poll_read_ready(tw.waker());
  ASSERT_TRUE(guard.is_ready() && guard->has_value());

  driver.shutdown();
  reg.clear_readiness(**guard);

  auto after = reg.poll_read_ready(tw.waker());
  ASSERT_TRUE(after.is_ready()) << "poll_read_ready pending forever after shutdown + clear";
  ASSERT_FALSE(after->has_value());
  EXPECT_EQ(after->error(), eddy::Error::shutdown);
  auto fut = reg.readiness(Interest::READABLE);
  auto fut_ev = fut.poll(tw.waker());
  ASSERT_TRUE(fut_ev.is_ready());
  EXPECT_TRUE(fut_ev->is_shutdown);
  (void)reg.deregister(p.read.get());
}

// tokio#5214 (PR #5222 only documented it): ready_event / try_io with a combined interest used an
// exact-match mask and so always reported nothing.
TEST(TokioRegression, Issue5214ReadyEventWithCombinedInterest) {
  auto io = RefPtr<ScheduledIo>::adopt(ScheduledIo::create(false));
  io->dispatch(Ready::WRITABLE);
  const ReadyEvent ev = io->ready_event(Interest::READABLE | Interest::WRITABLE);
  EXPECT_EQ(ev.ready, Ready::WRITABLE);
  io->dispatch(Ready::READABLE | Ready::READ_CLOSED);
  EXPECT_EQ(io->ready_event(Interest::READABLE | Interest::WRITABLE).ready,
            Ready::READABLE | Ready::READ_CLOSED | Ready::WRITABLE);
  EXPECT_EQ(io->ready_event(Interest::WRITABLE | Interest::ERROR).ready, Ready::WRITABLE);
}

TEST(TokioRegression, Issue5214TryIoWithCombinedInterestRunsTheClosure) {
  auto driver = std::move(*Driver::create());
  auto p = eddy_test::make_pipe();
  auto reg = *Registration::create(driver.handle(), p.read.get(), Interest::READABLE);
  eddy_test::write_byte(p.write.get());
  ASSERT_TRUE(eddy_test::turn_until(driver, [&] { return !reg.scheduled_io().ready_event(Interest::READABLE).ready.is_empty(); }));
  bool ran = false;
  auto r = reg.try_io(Interest::READABLE | Interest::WRITABLE, [&]() -> Result<int> {
    ran = true;
    return 7;
  });
  EXPECT_TRUE(ran);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 7);
  (void)reg.deregister(p.read.get());
}

// tokio#6133 / PR #8331: ReadyEvent kept only 8 bits of the tick, so an event 256 Sets old
// matched and erased readiness that arrived after it (a lost wake-up: the task sleeps forever).
TEST(TokioRegression, Pr8331ReadyEventCarriesTheFullTick) {
  auto io = RefPtr<ScheduledIo>::adopt(ScheduledIo::create(false));
  for (int i = 0; i < 300; ++i) io->dispatch(Ready::READABLE);
  EXPECT_EQ(io->ready_event(Interest::READABLE).tick, 300u);
  TestWaker tw;
  Readiness r(*io, Interest::READABLE);
  auto ev = r.poll(tw.waker());
  ASSERT_TRUE(ev.is_ready());
  EXPECT_EQ(ev->tick, 300u);
  auto slot = io->poll_readiness(tw.waker(), Direction::Read);
  ASSERT_TRUE(slot.is_ready());
  EXPECT_EQ(slot->tick, 300u);
}

TEST(TokioRegression, Issue6133StaleClearAcrossTickWrapOfEightAndFifteenBits) {
  for (int sets : {256, 512, 32768}) {
    auto io = RefPtr<ScheduledIo>::adopt(ScheduledIo::create(false));
    io->dispatch(Ready::READABLE);
    const ReadyEvent stale = io->ready_event(Interest::READABLE);
    for (int i = 0; i < sets; ++i) io->dispatch(Ready::READABLE);
    io->clear_readiness(stale);
    EXPECT_EQ(ScheduledIo::ready_of(io->readiness_word()), Ready::READABLE) << sets << " sets";
  }
}

// tokio#7563 (PR #7773): closing the fd before deregistering made epoll_ctl(DEL) fail, the
// error returned early and the ScheduledIo leaked. The bookkeeping must run anyway.
TEST(TokioRegression, Issue7563DeregisterAfterCloseStillReleases) {
  auto driver = std::move(*Driver::create());
  auto h = driver.handle();
  constexpr int kRounds = 300;
  std::vector<std::unique_ptr<TestWaker>> freed;  // woken by ~ScheduledIo
  for (int i = 0; i < kRounds; ++i) {
    freed.push_back(std::make_unique<TestWaker>());
    Fd efd = eddy_test::make_eventfd();
    const int fd = efd.get();
    auto io = *h->add_source(fd, Interest::READABLE);
    ASSERT_FALSE(io->poll_readiness(freed.back()->waker(), Direction::Read).is_ready());
    efd.close();
    auto r = h->deregister_source(*io, fd);
    EXPECT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), std::errc::bad_file_descriptor);
    if (i % 3 == 0) driver.park_timeout(0ns);
  }
  EXPECT_EQ(h->metrics().fd_deregistered_count(), static_cast<std::uint64_t>(kRounds));
  driver.park_timeout(0ns);
  EXPECT_EQ(h->registration_count(), 0u);
  for (int i = 0; i < kRounds; ++i) EXPECT_EQ(freed[i]->wakes(), 1) << "leaked registration " << i;
}

// PR #6329: a failed epoll_ctl(ADD) left the fresh entry in the registration list.
TEST(TokioRegression, Pr6329FailedAddSourceDoesNotLeak) {
  auto driver = std::move(*Driver::create());
  auto h = driver.handle();
  Fd efd = eddy_test::make_eventfd();
  auto first = *h->add_source(efd.get(), Interest::READABLE);
  for (int i = 0; i < 100; ++i) {
    auto again = h->add_source(efd.get(), Interest::READABLE);  // EEXIST
    ASSERT_FALSE(again.has_value());
    auto bad = h->add_source(-1, Interest::READABLE);  // EBADF
    ASSERT_FALSE(bad.has_value());
  }
  EXPECT_EQ(h->registration_count(), 1u);
  EXPECT_EQ(first->use_count(), 2u);
  (void)h->deregister_source(*first, efd.get());
}

// tokio's io_driver.rs test_drop_on_notify: a task woken by the driver drops its resource
// (deregisters, frees its Registration) from inside the wake. Wakers must run with no lock
// held (else deadlock) and the freed resource must outlive the batch being dispatched.
TEST(TokioRegression, DropOnNotifyDoesNotDeadlockOrUseAfterFree) {
  auto driver = std::move(*Driver::create());
  auto h = driver.handle();
  auto p = eddy_test::make_pipe();
  auto reg = std::make_unique<Registration>(*Registration::create(h, p.read.get(), Interest::READABLE));
  TestWaker tw;
  const int fd = p.read.get();
  tw.on_wake([&] {
    if (reg) {
      (void)reg->deregister(fd);
      reg.reset();
    }
  });
  auto fut = std::make_unique<Readiness>(reg->scheduled_io(), Interest::READABLE);
  ASSERT_FALSE(fut->poll(tw.waker()).is_ready());
  ASSERT_FALSE(reg->poll_read_ready(tw.waker()).is_ready());
  eddy_test::write_byte(p.write.get());
  ASSERT_TRUE(eddy_test::turn_until(driver, [&] { return reg == nullptr; }));
  EXPECT_GE(tw.wakes(), 1);
  fut.reset();  // already woken and unlinked; its ScheduledIo is still alive (pending release)
  driver.park_timeout(0ns);
  EXPECT_EQ(h->registration_count(), 0u);
}

// tokio#3473/#3481 (PR #3477): a slot waker holding the runtime kept the resource alive in a
// cycle; dropping the Registration must drop the slot wakers.
TEST(TokioRegression, Issue3473RegistrationDropClearsWakers) {
  auto driver = std::move(*Driver::create());
  auto p = eddy_test::make_pipe();
  TestWaker tw;
  RefPtr<ScheduledIo> keep;
  {
    auto reg = *Registration::create(driver.handle(), p.read.get(), Interest::READABLE);
    keep = RefPtr<ScheduledIo>::share(&reg.scheduled_io());
    ASSERT_FALSE(reg.poll_read_ready(tw.waker()).is_ready());
    (void)reg.deregister(p.read.get());
  }
  EXPECT_EQ(tw.outstanding(), 0);
  EXPECT_EQ(tw.woken(), 0);
}

// tokio#5098 (PR #5231): a readiness future reported stale closed bits; it must report the
// resource's current readiness at the time it completes.
TEST(TokioRegression, Issue5098ReadinessReportsCurrentState) {
  auto io = RefPtr<ScheduledIo>::adopt(ScheduledIo::create(false));
  TestWaker tw;
  Readiness r(*io, Interest::READABLE);
  ASSERT_FALSE(r.poll(tw.waker()).is_ready());
  io->dispatch(Ready::READABLE);
  io->clear_readiness(io->ready_event(Interest::READABLE));
  auto ev = r.poll(tw.waker());
  ASSERT_TRUE(ev.is_ready());
  EXPECT_TRUE(ev->ready.is_empty());  // not a made-up READABLE
  EXPECT_FALSE(ev->ready.is_read_closed());
}
