#include "io/driver.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <vector>

#include <gtest/gtest.h>

#include "eddy/error.hpp"
#include "eddy/io/detail/registration.hpp"
#include "support/driver_helpers.hpp"
#include "support/fds.hpp"
#include "support/test_waker.hpp"

using namespace std::chrono_literals;
using eddy::Interest;
using eddy::Ready;
using eddy::detail::RefPtr;
using eddy::io::Direction;
using eddy::io::Driver;
using eddy::io::Readiness;
using eddy::io::ScheduledIo;
using eddy_test::Fd;
using eddy_test::ParkWatchdog;
using eddy_test::TestWaker;

namespace {

Driver make_driver(std::size_t nevents = Driver::kDefaultEvents) {
  auto d = Driver::create(nevents);
  if (!d) ADD_FAILURE() << "Driver::create: " << d.error().message();
  return std::move(*d);
}

}  // namespace

// --- creation and timeouts -------------------------------------------------------------------

TEST(Driver, CreateRejectsZeroEvents) {
  auto d = Driver::create(0);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error(), std::errc::invalid_argument);
}

TEST(Driver, TimeoutRounding) {
  EXPECT_EQ(Driver::timeout_ms(std::nullopt), -1);
  EXPECT_EQ(Driver::timeout_ms(0ns), 0);
  EXPECT_EQ(Driver::timeout_ms(1ns), 1);  // a sub-millisecond wait never becomes a poll
  EXPECT_EQ(Driver::timeout_ms(999'999ns), 1);
  EXPECT_EQ(Driver::timeout_ms(1ms), 1);
  EXPECT_EQ(Driver::timeout_ms(1ms + 1ns), 2);
  EXPECT_EQ(Driver::timeout_ms(1500ms), 1500);
  EXPECT_EQ(Driver::timeout_ms(std::chrono::milliseconds(INT_MAX)), INT_MAX);
  EXPECT_EQ(Driver::timeout_ms(std::chrono::milliseconds(INT_MAX) + 1ns), INT_MAX);
  EXPECT_EQ(Driver::timeout_ms(std::chrono::hours(24 * 365 * 100)), INT_MAX);
  EXPECT_EQ(Driver::timeout_ms(std::chrono::nanoseconds::max()), INT_MAX);
  EXPECT_EQ(Driver::timeout_ms(-5ms), 0);
}

// --- dispatch --------------------------------------------------------------------------------

TEST(Driver, ReadablePipeDispatchesReadableAndWakesAWaiter) {
  Driver driver = make_driver();
  auto h = driver.handle();
  auto p = eddy_test::make_pipe();
  auto io = h->add_source(p.read.get(), Interest::READABLE);
  ASSERT_TRUE(io.has_value());
  EXPECT_EQ(h->registration_count(), 1u);

  TestWaker tw, slot;
  Readiness r(**io, Interest::READABLE);
  ASSERT_FALSE(r.poll(tw.waker()).is_ready());
  ASSERT_FALSE((*io)->poll_readiness(slot.waker(), Direction::Read).is_ready());
  driver.park_timeout(0ns);  // nothing yet
  EXPECT_EQ(tw.woken(), 0);

  eddy_test::write_byte(p.write.get());
  ASSERT_TRUE(eddy_test::turn_until(driver, [&] { return tw.woken() > 0; }));
  EXPECT_EQ(tw.wakes(), 1);
  EXPECT_EQ(slot.wakes(), 1);
  auto ev = r.poll(tw.waker());
  ASSERT_TRUE(ev.is_ready());
  EXPECT_EQ(ev->ready, Ready::READABLE);
  EXPECT_GE(ev->tick, 1u);
  EXPECT_EQ(h->metrics().ready_count(), 1u);
  EXPECT_TRUE(h->deregister_source(**io, p.read.get()).has_value());
}

TEST(Driver, FreshSocketIsWritableNotReadable) {
  Driver driver = make_driver();
  auto h = driver.handle();
  auto [a, b] = eddy_test::make_socketpair();
  auto io = h->add_source(a.get(), Interest::READABLE | Interest::WRITABLE);
  ASSERT_TRUE(io.has_value());
  ASSERT_TRUE(eddy_test::turn_until(driver, [&] { return !(*io)->ready_event(Interest::WRITABLE).ready.is_empty(); }));
  EXPECT_EQ((*io)->ready_event(Interest::WRITABLE).ready, Ready::WRITABLE);
  EXPECT_TRUE((*io)->ready_event(Interest::READABLE).ready.is_empty());
  EXPECT_TRUE(h->deregister_source(**io, a.get()).has_value());
}

TEST(Driver, PeerCloseReportsReadClosed) {
  Driver driver = make_driver();
  auto h = driver.handle();
  auto p = eddy_test::make_pipe();
  auto io = h->add_source(p.read.get(), Interest::READABLE);
  ASSERT_TRUE(io.has_value());
  p.write.close();
  ASSERT_TRUE(eddy_test::turn_until(driver, [&] { return (*io)->ready_event(Interest::READABLE).ready.is_read_closed(); }));
  // Closed is final: clearing leaves it.
  (*io)->clear_readiness((*io)->ready_event(Interest::READABLE));
  EXPECT_TRUE((*io)->ready_event(Interest::READABLE).ready.is_read_closed());
  EXPECT_TRUE(h->deregister_source(**io, p.read.get()).has_value());
}

TEST(Driver, EdgeTriggeredEachWriteIsANewEdge) {
  Driver driver = make_driver();
  auto h = driver.handle();
  Fd efd = eddy_test::make_eventfd();
  auto io = h->add_source(efd.get(), Interest::READABLE);
  ASSERT_TRUE(io.has_value());
  for (int i = 1; i <= 3; ++i) {
    eddy_test::signal_eventfd(efd.get());
    ASSERT_TRUE(eddy_test::turn_until(driver, [&] { return h->metrics().ready_count() == static_cast<std::uint64_t>(i); }));
  }
  EXPECT_EQ(ScheduledIo::tick_of((*io)->readiness_word()), 3u);
  // No new edge: a turn dispatches nothing.
  driver.park_timeout(0ns);
  EXPECT_EQ(h->metrics().ready_count(), 3u);
  EXPECT_TRUE(h->deregister_source(**io, efd.get()).has_value());
}

TEST(Driver, EventsBeyondCapacityWaitForTheNextTurn) {
  Driver driver = make_driver(2);
  auto h = driver.handle();
  std::vector<Fd> fds;
  std::vector<RefPtr<ScheduledIo>> ios;
  for (int i = 0; i < 5; ++i) {
    fds.push_back(eddy_test::make_eventfd());
    ios.push_back(*h->add_source(fds.back().get(), Interest::READABLE));
    eddy_test::signal_eventfd(fds.back().get());
  }
  driver.park_timeout(0ns);
  EXPECT_LE(h->metrics().ready_count(), 2u);
  ASSERT_TRUE(eddy_test::turn_until(driver, [&] { return h->metrics().ready_count() == 5u; }));
  for (auto& io : ios) EXPECT_EQ(io->ready_event(Interest::READABLE).ready, Ready::READABLE);
  for (std::size_t i = 0; i < ios.size(); ++i) (void)h->deregister_source(*ios[i], fds[i].get());
}

TEST(Driver, DeregisteredFdIsNoLongerDispatched) {
  Driver driver = make_driver();
  auto h = driver.handle();
  Fd efd = eddy_test::make_eventfd();
  auto io = *h->add_source(efd.get(), Interest::READABLE);
  ASSERT_TRUE(h->deregister_source(*io, efd.get()).has_value());
  eddy_test::signal_eventfd(efd.get());
  driver.park_timeout(0ns);
  driver.park_timeout(0ns);
  EXPECT_EQ(h->metrics().ready_count(), 0u);
  EXPECT_EQ(ScheduledIo::tick_of(io->readiness_word()), 0u);
}

// --- park / unpark ---------------------------------------------------------------------------

TEST(Driver, UnparkBeforeParkMakesParkReturnAtOnce) {
  Driver driver = make_driver();
  driver.handle()->unpark();
  ParkWatchdog dog(driver.handle());
  driver.park();
  EXPECT_FALSE(dog.fired()) << "park() did not return after an earlier unpark()";
}

TEST(Driver, UnparkFromAnotherThreadEndsAPark) {
  Driver driver = make_driver();
  auto h = driver.handle();
  ParkWatchdog dog(h);
  std::thread t([h] {
    std::this_thread::sleep_for(20ms);
    h->unpark();
  });
  driver.park();
  t.join();
  EXPECT_FALSE(dog.fired());
}

TEST(Driver, ManyUnparksNeverBlock) {
  Driver driver = make_driver();
  auto h = driver.handle();
  // The eventfd counter is never drained by the driver; a blocking write would hang here.
  for (int i = 0; i < 1'000'000; ++i) h->unpark();
  ParkWatchdog dog(h);
  driver.park();
  EXPECT_FALSE(dog.fired());
  // The edge was consumed: a zero-timeout turn still returns, and unpark keeps working.
  driver.park_timeout(0ns);
  h->unpark();
  driver.park();
  EXPECT_FALSE(dog.fired());
}

TEST(Driver, ParkTimeoutZeroDoesNotBlock) {
  Driver driver = make_driver();
  ParkWatchdog dog(driver.handle());
  for (int i = 0; i < 100; ++i) driver.park_timeout(0ns);
  EXPECT_FALSE(dog.fired());
}

TEST(Driver, ParkTimeoutReturnsWithNoEvents) {
  Driver driver = make_driver();
  ParkWatchdog dog(driver.handle());
  driver.park_timeout(1ns);  // rounds up to 1 ms, not to "forever"
  driver.park_timeout(2ms);
  EXPECT_FALSE(dog.fired());
}

TEST(Driver, ParkTimeoutWithAHugeDurationStillWakesOnUnpark) {
  Driver driver = make_driver();
  auto h = driver.handle();
  ParkWatchdog dog(h);
  h->unpark();
  // The deadline arithmetic must not overflow (UBSan) and the wait must still end on unpark.
  driver.park_timeout(std::chrono::nanoseconds::max());
  EXPECT_FALSE(dog.fired());
}

// --- add_source / deregister_source ----------------------------------------------------------

TEST(Driver, AddSourceOnABadFdFailsAndLeavesNothing) {
  Driver driver = make_driver();
  auto h = driver.handle();
  auto bad = h->add_source(-1, Interest::READABLE);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error(), std::errc::bad_file_descriptor);
  auto closed = h->add_source(eddy_test::closed_fd_number(), Interest::READABLE);
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(h->registration_count(), 0u);
  EXPECT_EQ(h->metrics().fd_registered_count(), 0u);
}

TEST(Driver, AddSourceTwiceFailsTheSecondTime) {
  Driver driver = make_driver();
  auto h = driver.handle();
  Fd efd = eddy_test::make_eventfd();
  auto first = h->add_source(efd.get(), Interest::READABLE);
  ASSERT_TRUE(first.has_value());
  auto second = h->add_source(efd.get(), Interest::READABLE);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error(), std::errc::file_exists);
  EXPECT_EQ(h->registration_count(), 1u);
  EXPECT_EQ(h->metrics().fd_registered_count(), 1u);
  (void)h->deregister_source(**first, efd.get());
}

TEST(Driver, AddSourceOfARegularFileFails) {
  Driver driver = make_driver();
  auto h = driver.handle();
  char path[] = "/tmp/eddy_driver_test_XXXXXX";
  Fd file(::mkstemp(path));
  ASSERT_GE(file.get(), 0);
  ::unlink(path);
  auto io = h->add_source(file.get(), Interest::READABLE);
  ASSERT_FALSE(io.has_value());
  EXPECT_EQ(io.error(), std::errc::operation_not_permitted);
  EXPECT_EQ(h->registration_count(), 0u);
}

TEST(Driver, DeregisterFreesAtTheNextTurn) {
  Driver driver = make_driver();
  auto h = driver.handle();
  Fd efd = eddy_test::make_eventfd();
  TestWaker tw;  // woken by ~ScheduledIo
  {
    auto io = *h->add_source(efd.get(), Interest::READABLE);
    ASSERT_FALSE(io->poll_readiness(tw.waker(), Direction::Read).is_ready());
    ASSERT_TRUE(h->deregister_source(*io, efd.get()).has_value());
  }
  EXPECT_EQ(tw.woken(), 0);
  EXPECT_EQ(h->registration_count(), 1u);
  driver.park_timeout(0ns);
  EXPECT_EQ(tw.wakes(), 1);
  EXPECT_EQ(h->registration_count(), 0u);
}

TEST(Driver, SixteenthDeregistrationUnparksTheDriver) {
  Driver driver = make_driver();
  auto h = driver.handle();
  for (int batch = 0; batch < 2; ++batch) {
    std::vector<Fd> fds;
    std::vector<RefPtr<ScheduledIo>> ios;
    for (int i = 0; i < 16; ++i) {
      fds.push_back(eddy_test::make_eventfd());
      ios.push_back(*h->add_source(fds.back().get(), Interest::READABLE));
    }
    driver.park_timeout(0ns);  // nothing pending, no stale wake-up edge
    for (int i = 0; i < 16; ++i) ASSERT_TRUE(h->deregister_source(*ios[i], fds[i].get()).has_value());
    EXPECT_EQ(h->registration_count(), 16u);
    ParkWatchdog dog(h);
    driver.park();  // no timeout: only the 16th deregistration's unpark can end it
    EXPECT_FALSE(dog.fired()) << "batch " << batch;
    EXPECT_EQ(h->registration_count(), 0u);
  }
}

// --- shutdown --------------------------------------------------------------------------------

TEST(Driver, AddSourceAfterShutdownFails) {
  Driver driver = make_driver();
  auto h = driver.handle();
  driver.shutdown();
  EXPECT_TRUE(h->is_shutdown());
  Fd efd = eddy_test::make_eventfd();
  auto io = h->add_source(efd.get(), Interest::READABLE);
  ASSERT_FALSE(io.has_value());
  EXPECT_EQ(io.error(), eddy::Error::shutdown);
  EXPECT_EQ(h->registration_count(), 0u);
  EXPECT_EQ(h->metrics().fd_registered_count(), 0u);
  driver.shutdown();  // idempotent
}

TEST(Driver, ShutdownWakesPendingWaitersAndLaterOnesSeeIt) {
  Driver driver = make_driver();
  auto h = driver.handle();
  Fd efd = eddy_test::make_eventfd();
  auto reg = eddy::io::Registration::create(h, efd.get(), Interest::READABLE);
  ASSERT_TRUE(reg.has_value());
  TestWaker future_w, slot_w;
  Readiness r = reg->readiness(Interest::READABLE);
  ASSERT_FALSE(r.poll(future_w.waker()).is_ready());
  ASSERT_FALSE(reg->poll_read_ready(slot_w.waker()).is_ready());

  driver.shutdown();
  EXPECT_EQ(future_w.wakes(), 1);
  EXPECT_EQ(slot_w.wakes(), 1);
  auto ev = r.poll(future_w.waker());
  ASSERT_TRUE(ev.is_ready());
  EXPECT_TRUE(ev->is_shutdown);
  auto polled = reg->poll_read_ready(slot_w.waker());
  ASSERT_TRUE(polled.is_ready());
  ASSERT_FALSE(polled->has_value());
  EXPECT_EQ(polled->error(), eddy::Error::shutdown);
  // Waits begun after the shutdown fail too.
  Readiness late = reg->readiness(Interest::WRITABLE);
  auto late_ev = late.poll(future_w.waker());
  ASSERT_TRUE(late_ev.is_ready());
  EXPECT_TRUE(late_ev->is_shutdown);
  auto write_polled = reg->poll_write_ready(slot_w.waker());
  ASSERT_TRUE(write_polled.is_ready());
  EXPECT_EQ(write_polled->error(), eddy::Error::shutdown);
  (void)reg->deregister(efd.get());
}

TEST(Driver, DestroyingTheDriverShutsDown) {
  TestWaker tw;
  std::shared_ptr<eddy::io::Handle> h;
  Fd efd = eddy_test::make_eventfd();
  RefPtr<ScheduledIo> io;
  {
    Driver driver = make_driver();
    h = driver.handle();
    io = *h->add_source(efd.get(), Interest::READABLE);
    ASSERT_FALSE(io->poll_readiness(tw.waker(), Direction::Read).is_ready());
  }
  EXPECT_EQ(tw.wakes(), 1);
  EXPECT_TRUE(io->is_shutdown());
  EXPECT_TRUE(h->is_shutdown());
  EXPECT_FALSE(h->add_source(efd.get(), Interest::READABLE).has_value());
  // Deregistering after shutdown is still fine (the entry is freed with the handle).
  EXPECT_TRUE(h->deregister_source(*io, efd.get()).has_value());
}

// --- signal token and metrics ----------------------------------------------------------------

TEST(Driver, SignalTokenIsReportedOnce) {
  Driver driver = make_driver();
  auto h = driver.handle();
  auto p = eddy_test::make_pipe();
  ASSERT_TRUE(h->register_signal_receiver(p.read.get()).has_value());
  EXPECT_FALSE(driver.park_timeout(std::chrono::nanoseconds(0)).signal);
  eddy_test::write_byte(p.write.get());
  ParkWatchdog dog(h);
  const eddy::io::TurnReport report = driver.park();
  EXPECT_FALSE(dog.fired());
  EXPECT_TRUE(report.signal);
  // Not a resource event.
  EXPECT_EQ(report.events, 0u);
  EXPECT_TRUE(report.delivered());
  // Edge-triggered: the undrained byte makes no new report.
  EXPECT_FALSE(driver.park_timeout(std::chrono::nanoseconds(0)).signal);
  EXPECT_EQ(h->metrics().ready_count(), 0u);
}

TEST(Driver, MetricsCountRegistrationsDeregistrationsAndEvents) {
  Driver driver = make_driver();
  auto h = driver.handle();
  Fd a = eddy_test::make_eventfd();
  Fd b = eddy_test::make_eventfd();
  auto io_a = *h->add_source(a.get(), Interest::READABLE);
  auto io_b = *h->add_source(b.get(), Interest::READABLE);
  (void)h->add_source(-1, Interest::READABLE);  // fails: not counted
  EXPECT_EQ(h->metrics().fd_registered_count(), 2u);
  EXPECT_EQ(h->metrics().fd_count(), 2u);

  eddy_test::signal_eventfd(a.get());
  eddy_test::signal_eventfd(b.get());
  h->unpark();  // the wake-up token is not counted
  ASSERT_TRUE(eddy_test::turn_until(driver, [&] { return h->metrics().ready_count() >= 2u; }));
  driver.park_timeout(0ns);
  EXPECT_EQ(h->metrics().ready_count(), 2u);

  EXPECT_TRUE(h->deregister_source(*io_a, a.get()).has_value());
  b.close();
  EXPECT_FALSE(h->deregister_source(*io_b, eddy_test::closed_fd_number()).has_value());
  EXPECT_EQ(h->metrics().fd_deregistered_count(), 2u);  // failed ones count too
  EXPECT_EQ(h->metrics().fd_count(), 0u);
}
