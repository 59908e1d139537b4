#include "eddy/waker.hpp"

#include <utility>

#include <gtest/gtest.h>

#include "support/test_waker.hpp"

using eddy::Waker;
using eddy_test::TestWaker;

TEST(Waker, DefaultIsEmptyAndWakingItDoesNothing) {
  Waker w;
  EXPECT_FALSE(w);
  w.wake_by_ref();
  w.wake();
  Waker copy = w;
  EXPECT_FALSE(copy);
  EXPECT_TRUE(w.will_wake(copy));
}

TEST(Waker, CopyClonesAndDestructionDrops) {
  TestWaker tw;
  {
    Waker a = tw.waker();
    EXPECT_EQ(tw.clones(), 0);
    EXPECT_EQ(tw.outstanding(), 1);
    {
      Waker b = a;
      EXPECT_TRUE(b);
      EXPECT_EQ(tw.clones(), 1);
      EXPECT_EQ(tw.outstanding(), 2);
    }
    EXPECT_EQ(tw.drops(), 1);
    EXPECT_EQ(tw.outstanding(), 1);
  }
  EXPECT_EQ(tw.drops(), 2);
  EXPECT_EQ(tw.outstanding(), 0);
  EXPECT_EQ(tw.woken(), 0);
}

TEST(Waker, MoveTransfersWithoutCloneOrDrop) {
  TestWaker tw;
  Waker a = tw.waker();
  Waker b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): a moved-from waker is specified empty
  EXPECT_TRUE(b);
  Waker c;
  c = std::move(b);
  EXPECT_EQ(tw.clones(), 0);
  EXPECT_EQ(tw.drops(), 0);
  EXPECT_EQ(tw.outstanding(), 1);
}

TEST(Waker, MoveAssignmentDropsThePreviousWaker) {
  TestWaker first, second;
  Waker w = first.waker();
  w = second.waker();
  EXPECT_EQ(first.drops(), 1);
  EXPECT_EQ(first.outstanding(), 0);
  EXPECT_EQ(second.outstanding(), 1);
}

TEST(Waker, WakeConsumes) {
  TestWaker tw;
  Waker w = tw.waker();
  w.wake();
  EXPECT_EQ(tw.wakes(), 1);
  EXPECT_EQ(tw.drops(), 0);  // the wake itself released the reference
  EXPECT_EQ(tw.outstanding(), 0);
  EXPECT_FALSE(w);
  w.wake();  // empty now: nothing happens
  EXPECT_EQ(tw.wakes(), 1);
}

TEST(Waker, WakeByRefDoesNotConsume) {
  TestWaker tw;
  Waker w = tw.waker();
  w.wake_by_ref();
  w.wake_by_ref();
  EXPECT_EQ(tw.wakes_by_ref(), 2);
  EXPECT_EQ(tw.wakes(), 0);
  EXPECT_TRUE(w);
  EXPECT_EQ(tw.outstanding(), 1);
}

TEST(Waker, WillWakeComparesTarget) {
  TestWaker tw, other;
  Waker a = tw.waker();
  Waker b = tw.waker();
  Waker c = other.waker();
  EXPECT_TRUE(a.will_wake(b));
  EXPECT_TRUE(a.will_wake(a));
  EXPECT_FALSE(a.will_wake(c));
  EXPECT_FALSE(a.will_wake(Waker()));
}

TEST(Waker, CloneFromSkipsTheCloneWhenWillWake) {
  TestWaker tw;
  Waker a = tw.waker();
  Waker b = tw.waker();
  b.clone_from(a);
  EXPECT_EQ(tw.clones(), 0);
  EXPECT_EQ(tw.drops(), 0);
  // Copy assignment goes through clone_from too.
  b = a;
  EXPECT_EQ(tw.clones(), 0);
  EXPECT_EQ(tw.drops(), 0);
}

TEST(Waker, CloneFromReplacesADifferentWaker) {
  TestWaker tw, other;
  Waker a = tw.waker();
  Waker c = other.waker();
  c.clone_from(a);
  EXPECT_TRUE(c.will_wake(a));
  EXPECT_EQ(tw.clones(), 1);
  EXPECT_EQ(other.drops(), 1);
  EXPECT_EQ(other.outstanding(), 0);
  c.wake();
  EXPECT_EQ(tw.wakes(), 1);
  EXPECT_EQ(other.woken(), 0);
}

TEST(Waker, CloneFromIntoEmpty) {
  TestWaker tw;
  Waker a = tw.waker();
  Waker e;
  e.clone_from(a);
  EXPECT_TRUE(e);
  EXPECT_EQ(tw.clones(), 1);
  EXPECT_EQ(tw.outstanding(), 2);
}

TEST(Waker, SelfCopyAssignmentIsHarmless) {
  TestWaker tw;
  Waker a = tw.waker();
  Waker& alias = a;
  a = alias;
  EXPECT_TRUE(a);
  EXPECT_EQ(tw.clones(), 0);
  EXPECT_EQ(tw.drops(), 0);
}

TEST(Waker, ResetDropsWithoutWaking) {
  TestWaker tw;
  Waker a = tw.waker();
  a.reset();
  EXPECT_FALSE(a);
  EXPECT_EQ(tw.drops(), 1);
  EXPECT_EQ(tw.woken(), 0);
  EXPECT_EQ(tw.outstanding(), 0);
}
