#include "io/registration_set.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "eddy/error.hpp"
#include "support/test_waker.hpp"

using eddy::detail::RefPtr;
using eddy::io::Direction;
using eddy::io::RegistrationSet;
using eddy::io::ScheduledIo;
using eddy_test::TestWaker;

namespace {

// A parked slot waker is woken by ~ScheduledIo, so a TestWaker whose wakes() turns 1 proves
// the resource was freed (and ASan proves it was freed only once).
void watch_destruction(ScheduledIo& io, const TestWaker& tw) {
  ASSERT_FALSE(io.poll_readiness(tw.waker(), Direction::Read).is_ready());
}

}  // namespace

TEST(RegistrationSet, AllocateLinksAndSharesOwnership) {
  RegistrationSet set;
  auto io = set.allocate();
  ASSERT_TRUE(io.has_value());
  EXPECT_EQ((*io)->use_count(), 2u);  // the set's and ours
  EXPECT_EQ(set.live_count(), 1u);
  auto io2 = set.allocate();
  ASSERT_TRUE(io2.has_value());
  EXPECT_NE(io->get(), io2->get());
  EXPECT_EQ(set.live_count(), 2u);
  EXPECT_FALSE(set.is_shutdown());
  EXPECT_FALSE(set.needs_release());
}

TEST(RegistrationSet, AllocateAfterShutdownFails) {
  RegistrationSet set;
  (void)set.shutdown();
  EXPECT_TRUE(set.is_shutdown());
  auto io = set.allocate();
  ASSERT_FALSE(io.has_value());
  EXPECT_EQ(io.error(), eddy::Error::shutdown);
  EXPECT_EQ(io.error(), eddy::make_error_code(eddy::Error::shutdown));
  EXPECT_EQ(set.live_count(), 0u);
}

TEST(RegistrationSet, ShutdownReturnsEveryLiveEntryOnce) {
  RegistrationSet set;
  std::vector<RefPtr<ScheduledIo>> ours;
  for (int i = 0; i < 5; ++i) ours.push_back(*set.allocate());
  // One deregistered and released: no longer live, so not returned.
  set.deregister(*ours[4]);
  set.release();
  auto all = set.shutdown();
  ASSERT_EQ(all.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    int found = 0;
    for (auto& p : all) found += p.get() == ours[i].get() ? 1 : 0;
    EXPECT_EQ(found, 1) << i;
    // The list's reference moved into the vector: still two owners.
    EXPECT_EQ(ours[i]->use_count(), 2u);
  }
  EXPECT_EQ(set.live_count(), 0u);
  EXPECT_TRUE(set.shutdown().empty());
}

TEST(RegistrationSet, DeregisterReportsExactlyTheSixteenthPending) {
  RegistrationSet set;
  std::vector<RefPtr<ScheduledIo>> ios;
  for (int i = 0; i < 40; ++i) ios.push_back(*set.allocate());
  for (int i = 1; i <= 32; ++i) {
    EXPECT_EQ(set.deregister(*ios[static_cast<std::size_t>(i - 1)]), i == 16) << "deregistration " << i;
  }
  EXPECT_TRUE(set.needs_release());
  set.release();
  EXPECT_FALSE(set.needs_release());
  EXPECT_EQ(set.live_count(), 8u);
  // A new batch: its 16th fires again.
  std::vector<RefPtr<ScheduledIo>> more;
  for (int i = 0; i < 8; ++i) more.push_back(*set.allocate());
  std::size_t n = 0;
  for (std::size_t i = 32; i < 40; ++i) EXPECT_EQ(set.deregister(*ios[i]), ++n == 16) << n;
  for (auto& io : more) EXPECT_EQ(set.deregister(*io), ++n == 16) << n;
  EXPECT_EQ(n, 16u);
}

TEST(RegistrationSet, ReleaseDropsBothReferencesButNotTheCallers) {
  RegistrationSet set;
  auto io = *set.allocate();
  EXPECT_FALSE(set.deregister(*io));
  EXPECT_EQ(io->use_count(), 3u);  // set, pending, ours
  EXPECT_EQ(set.live_count(), 1u);             // live until the driver's next turn
  set.release();
  EXPECT_EQ(io->use_count(), 1u);
  EXPECT_EQ(set.live_count(), 0u);
}

TEST(RegistrationSet, ReleaseFreesWhenTheCallerIsGone) {
  RegistrationSet set;
  TestWaker tw;
  {
    auto io = *set.allocate();
    watch_destruction(*io, tw);
    set.deregister(*io);
  }
  // The caller's reference is gone, but the kernel may still name the token: not freed yet.
  EXPECT_EQ(tw.woken(), 0);
  set.release();
  EXPECT_EQ(tw.wakes(), 1);
  EXPECT_EQ(tw.outstanding(), 0);
}

TEST(RegistrationSet, DeregisteringTwiceReleasesOnce) {
  RegistrationSet set;
  auto io = *set.allocate();
  set.deregister(*io);
  set.deregister(*io);
  EXPECT_EQ(io->use_count(), 4u);
  set.release();
  EXPECT_EQ(io->use_count(), 1u);
}

TEST(RegistrationSet, RemoveUnlinksAtOnce) {
  RegistrationSet set;
  auto io = *set.allocate();
  set.remove(*io);
  EXPECT_EQ(set.live_count(), 0u);
  EXPECT_EQ(io->use_count(), 1u);
  set.remove(*io);  // no longer linked: nothing happens
  EXPECT_EQ(io->use_count(), 1u);
}

TEST(RegistrationSet, DeregisterAfterShutdownThenReleaseDoesNotDoubleFree) {
  RegistrationSet set;
  TestWaker tw;
  {
    auto io = *set.allocate();
    watch_destruction(*io, tw);
    auto all = set.shutdown();
    ASSERT_EQ(all.size(), 1u);
    set.deregister(*io);
    EXPECT_EQ(io->use_count(), 3u);  // ours, the shutdown vector's, pending
  }
  EXPECT_EQ(tw.woken(), 0);  // pending still holds it
  set.release();
  EXPECT_EQ(tw.wakes(), 1);
}

TEST(RegistrationSet, DestructorFreesLiveAndPendingEntries) {
  TestWaker live_w, pending_w;
  {
    RegistrationSet set;
    {
      auto live = *set.allocate();
      auto pending = *set.allocate();
      watch_destruction(*live, live_w);
      watch_destruction(*pending, pending_w);
      set.deregister(*pending);
    }
    EXPECT_EQ(live_w.woken() + pending_w.woken(), 0);
  }
  EXPECT_EQ(live_w.wakes(), 1);
  EXPECT_EQ(pending_w.wakes(), 1);
}
