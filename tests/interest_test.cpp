#include "eddy/interest.hpp"


#include <gtest/gtest.h>

using eddy::Interest;

TEST(Interest, AddAndRemove) {
  const Interest rw = Interest::READABLE | Interest::WRITABLE;
  EXPECT_TRUE(rw.is_readable());
  EXPECT_TRUE(rw.is_writable());
  EXPECT_FALSE(rw.is_priority());
  ASSERT_TRUE(rw.remove(Interest::READABLE).has_value());
  EXPECT_EQ(*rw.remove(Interest::READABLE), Interest::WRITABLE);
  EXPECT_FALSE(Interest::READABLE.remove(Interest::READABLE).has_value());
}

