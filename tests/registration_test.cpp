#include "eddy/io/detail/registration.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include "eddy/error.hpp"
#include "support/driver_helpers.hpp"
#include "support/fds.hpp"
#include "support/test_waker.hpp"

using eddy::Interest;
using eddy::Ready;
using eddy::Result;
using eddy::io::Driver;
using eddy::io::Registration;
using eddy_test::TestWaker;

namespace {

struct Fixture {
  Driver driver = std::move(*Driver::create());
  std::shared_ptr<eddy::io::Handle> h = driver.handle();
};

Result<int> would_block() { return eddy::io::would_block_error(); }

}  // namespace

TEST(Registration, CreateOnABadFdFails) {
  Fixture f;
  auto reg = Registration::create(f.h, -1, Interest::READABLE);
  ASSERT_FALSE(reg.has_value());
  EXPECT_EQ(reg.error(), std::errc::bad_file_descriptor);
  EXPECT_EQ(f.h->registration_count(), 0u);
}

TEST(Registration, TryIoIsNotCalledWhenNotReady) {
  Fixture f;
  auto p = eddy_test::make_pipe();
  auto reg = *Registration::create(f.h, p.read.get(), Interest::READABLE);
  int calls = 0;
  auto r = reg.try_io(Interest::READABLE, [&]() -> Result<int> {
    ++calls;
    return 1;
  });
  EXPECT_EQ(calls, 0);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(eddy::io::is_would_block(r.error()));
  (void)reg.deregister(p.read.get());
}

TEST(Registration, TryIoIsCalledWhenReadyAndSuccessKeepsReadiness) {
  Fixture f;
  auto p = eddy_test::make_pipe();
  auto reg = *Registration::create(f.h, p.read.get(), Interest::READABLE);
  eddy_test::write_byte(p.write.get());
  ASSERT_TRUE(eddy_test::turn_until(f.driver, [&] { return reg.scheduled_io().ready_event(Interest::READABLE).ready.is_readable(); }));
  int calls = 0;
  auto r = reg.try_io(Interest::READABLE, [&]() -> Result<int> {
    ++calls;
    char c;
    const ssize_t n = ::read(p.read.get(), &c, 1);
    if (n < 0) return eddy::last_error();
    return static_cast<int>(n);
  });
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 1);
  // Success does not clear: edge-triggered readiness stays until a read would block.
  EXPECT_EQ(reg.scheduled_io().ready_event(Interest::READABLE).ready, Ready::READABLE);
  (void)reg.deregister(p.read.get());
}

TEST(Registration, WouldBlockFromTheClosureClearsReadiness) {
  Fixture f;
  auto p = eddy_test::make_pipe();
  auto reg = *Registration::create(f.h, p.read.get(), Interest::READABLE);
  eddy_test::write_byte(p.write.get());
  ASSERT_TRUE(eddy_test::turn_until(f.driver, [&] { return reg.scheduled_io().ready_event(Interest::READABLE).ready.is_readable(); }));
  eddy_test::drain(p.read.get());
  auto r = reg.try_io(Interest::READABLE, [&]() -> Result<int> {
    char c;
    const ssize_t n = ::read(p.read.get(), &c, 1);
    if (n < 0) return eddy::last_error();
    return static_cast<int>(n);
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(eddy::io::is_would_block(r.error()));
  EXPECT_TRUE(reg.scheduled_io().ready_event(Interest::READABLE).ready.is_empty());
  // Now a poll waits, and new data wakes it.
  TestWaker tw;
  ASSERT_FALSE(reg.poll_read_ready(tw.waker()).is_ready());
  eddy_test::write_byte(p.write.get());
  ASSERT_TRUE(eddy_test::turn_until(f.driver, [&] { return tw.woken() > 0; }));
  auto ev = reg.poll_read_ready(tw.waker());
  ASSERT_TRUE(ev.is_ready());
  ASSERT_TRUE(ev->has_value());
  EXPECT_EQ((*ev)->ready, Ready::READABLE);
  (void)reg.deregister(p.read.get());
}

TEST(Registration, OtherErrorsDoNotClearReadiness) {
  Fixture f;
  auto p = eddy_test::make_pipe();
  auto reg = *Registration::create(f.h, p.read.get(), Interest::READABLE);
  eddy_test::write_byte(p.write.get());
  ASSERT_TRUE(eddy_test::turn_until(f.driver, [&] { return reg.scheduled_io().ready_event(Interest::READABLE).ready.is_readable(); }));
  auto r = reg.try_io(Interest::READABLE, []() -> Result<int> { return std::make_error_code(std::errc::io_error); });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), std::errc::io_error);
  EXPECT_EQ(reg.scheduled_io().ready_event(Interest::READABLE).ready, Ready::READABLE);
  (void)reg.deregister(p.read.get());
}

TEST(Registration, StaleWouldBlockDoesNotEraseANewEdge) {
  Fixture f;
  auto p = eddy_test::make_pipe();
  auto reg = *Registration::create(f.h, p.read.get(), Interest::READABLE);
  eddy_test::write_byte(p.write.get());
  ASSERT_TRUE(eddy_test::turn_until(f.driver, [&] { return reg.scheduled_io().ready_event(Interest::READABLE).ready.is_readable(); }));
  // A new edge is dispatched while the closure runs (after its read saw nothing).
  auto r = reg.try_io(Interest::READABLE, [&]() -> Result<int> {
    reg.scheduled_io().dispatch(Ready::READABLE);
    return eddy::io::would_block_error();
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(reg.scheduled_io().ready_event(Interest::READABLE).ready, Ready::READABLE);
  (void)reg.deregister(p.read.get());
}

TEST(Registration, TryIoWithCombinedInterest) {
  Fixture f;
  auto [a, b] = eddy_test::make_socketpair();
  auto reg = *Registration::create(f.h, a.get(), Interest::READABLE | Interest::WRITABLE);
  ASSERT_TRUE(eddy_test::turn_until(f.driver, [&] { return reg.scheduled_io().ready_event(Interest::WRITABLE).ready.is_writable(); }));
  int calls = 0;
  auto r = reg.try_io(Interest::READABLE | Interest::WRITABLE, [&]() -> Result<int> {
    ++calls;
    return would_block();
  });
  EXPECT_EQ(calls, 1);  // tokio never calls it (#5214)
  ASSERT_FALSE(r.has_value());
  // The clear covered what the combined event held.
  EXPECT_TRUE(reg.scheduled_io().ready_event(Interest::READABLE | Interest::WRITABLE).ready.is_empty());
  (void)reg.deregister(a.get());
}

TEST(Registration, PollWriteReadyOnAFreshSocket) {
  Fixture f;
  auto [a, b] = eddy_test::make_socketpair();
  auto reg = *Registration::create(f.h, a.get(), Interest::READABLE | Interest::WRITABLE);
  TestWaker tw;
  auto first = reg.poll_write_ready(tw.waker());
  if (!first.is_ready()) {
    ASSERT_TRUE(eddy_test::turn_until(f.driver, [&] { return tw.woken() > 0; }));
    first = reg.poll_write_ready(tw.waker());
  }
  ASSERT_TRUE(first.is_ready());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->ready, Ready::WRITABLE);
  EXPECT_FALSE(reg.poll_read_ready(tw.waker()).is_ready());
  (void)reg.deregister(a.get());
}

TEST(Registration, ReadinessFutureThroughTheRegistration) {
  Fixture f;
  auto p = eddy_test::make_pipe();
  auto reg = *Registration::create(f.h, p.read.get(), Interest::READABLE);
  TestWaker tw;
  auto r = reg.readiness(Interest::READABLE);
  ASSERT_FALSE(r.poll(tw.waker()).is_ready());
  eddy_test::write_byte(p.write.get());
  ASSERT_TRUE(eddy_test::turn_until(f.driver, [&] { return tw.woken() > 0; }));
  auto ev = r.poll(tw.waker());
  ASSERT_TRUE(ev.is_ready());
  EXPECT_EQ(ev->ready, Ready::READABLE);
  reg.clear_readiness(*ev);
  EXPECT_TRUE(reg.scheduled_io().ready_event(Interest::READABLE).ready.is_empty());
  (void)reg.deregister(p.read.get());
}

TEST(Registration, DestructionDropsSlotWakersWithoutWaking) {
  Fixture f;
  auto p = eddy_test::make_pipe();
  TestWaker reader, writer;
  {
    auto reg = *Registration::create(f.h, p.read.get(), Interest::READABLE);
    ASSERT_FALSE(reg.poll_read_ready(reader.waker()).is_ready());
    ASSERT_FALSE(reg.poll_write_ready(writer.waker()).is_ready());
    EXPECT_EQ(reader.outstanding(), 1);
    (void)reg.deregister(p.read.get());
  }
  // Dropped at once (breaking the waker -> task -> runtime -> resource cycle), not woken.
  EXPECT_EQ(reader.outstanding(), 0);
  EXPECT_EQ(writer.outstanding(), 0);
  EXPECT_EQ(reader.woken() + writer.woken(), 0);
}

TEST(Registration, DeregisterCountsAndFreesAtTheNextTurn) {
  Fixture f;
  auto p = eddy_test::make_pipe();
  {
    auto reg = *Registration::create(f.h, p.read.get(), Interest::READABLE);
    EXPECT_EQ(f.h->metrics().fd_registered_count(), 1u);
    EXPECT_TRUE(reg.deregister(p.read.get()).has_value());
    EXPECT_EQ(f.h->metrics().fd_deregistered_count(), 1u);
  }
  EXPECT_EQ(f.h->registration_count(), 1u);
  f.driver.park_timeout(std::chrono::nanoseconds(0));
  EXPECT_EQ(f.h->registration_count(), 0u);
}

TEST(Registration, MovedFromRegistrationIsInert) {
  Fixture f;
  auto p = eddy_test::make_pipe();
  TestWaker tw;
  auto reg = *Registration::create(f.h, p.read.get(), Interest::READABLE);
  ASSERT_FALSE(reg.poll_read_ready(tw.waker()).is_ready());
  {
    Registration moved = std::move(reg);
    EXPECT_EQ(tw.outstanding(), 1);
    (void)moved.deregister(p.read.get());
  }
  EXPECT_EQ(tw.outstanding(), 0);
}

// A driver shared by threads (the multi-thread runtime calls pad_registrations) pads each
// resource to its own 128-byte block against false sharing; deregistration frees it (ASan
// checks the deallocation matches).
TEST(Registration, APaddedDriverGivesEachResourceItsOwnAlignedBlock) {
  Fixture f;
  f.h->pad_registrations();
  auto p = eddy_test::make_pipe();
  auto reg = *Registration::create(f.h, p.read.get(), Interest::READABLE);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&reg.scheduled_io()) % eddy::io::kPaddedScheduledIoSize, 0u);
  ASSERT_TRUE(reg.deregister(p.read.get()));
}
