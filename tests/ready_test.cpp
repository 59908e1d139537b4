#include "eddy/ready.hpp"


#include <gtest/gtest.h>

using eddy::Interest;
using eddy::Ready;

TEST(Ready, ClosedBitsCountAsReadableAndWritable) {
  EXPECT_TRUE(Ready::READ_CLOSED.is_readable());
  EXPECT_TRUE(Ready::WRITE_CLOSED.is_writable());
  EXPECT_FALSE(Ready::READ_CLOSED.is_writable());
  EXPECT_FALSE(Ready::PRIORITY.is_readable());
  EXPECT_TRUE(Ready::EMPTY.is_empty());
}

TEST(Ready, FromInterest) {
  EXPECT_EQ(Ready::from_interest(Interest::READABLE), Ready::READABLE | Ready::READ_CLOSED);
  EXPECT_EQ(Ready::from_interest(Interest::WRITABLE), Ready::WRITABLE | Ready::WRITE_CLOSED);
  EXPECT_EQ(Ready::from_interest(Interest::PRIORITY), Ready::PRIORITY | Ready::READ_CLOSED);
  EXPECT_EQ(Ready::from_interest(Interest::ERROR), Ready::ERROR);
}

TEST(Ready, SatisfiesMeansAnyOverlap) {
  EXPECT_TRUE((Ready::READABLE | Ready::WRITABLE).satisfies(Interest::WRITABLE));
  EXPECT_FALSE(Ready::WRITABLE.satisfies(Interest::READABLE));
  EXPECT_TRUE(Ready::READ_CLOSED.satisfies(Interest::PRIORITY));
  EXPECT_FALSE(Ready::READABLE.satisfies(Interest::ERROR));
}

TEST(Ready, Operators) {
  const Ready rw = Ready::READABLE | Ready::WRITABLE;
  EXPECT_EQ(rw - Ready::READABLE, Ready::WRITABLE);
  EXPECT_EQ(rw & Ready::WRITABLE, Ready::WRITABLE);
  EXPECT_TRUE(rw.contains(Ready::READABLE));
  EXPECT_FALSE(rw.contains(Ready::ERROR));
  EXPECT_EQ(Ready::from_bits(0xffff), Ready::ALL);
}
