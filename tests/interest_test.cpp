#include "eddy/interest.hpp"

#include <sys/epoll.h>

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

TEST(Interest, EpollMaskIsEdgeTriggered) {
  EXPECT_EQ(Interest::READABLE.to_epoll(), static_cast<std::uint32_t>(EPOLLET | EPOLLIN | EPOLLRDHUP));
  EXPECT_EQ(Interest::WRITABLE.to_epoll(), static_cast<std::uint32_t>(EPOLLET | EPOLLOUT));
  EXPECT_EQ(Interest::PRIORITY.to_epoll(), static_cast<std::uint32_t>(EPOLLET | EPOLLPRI));
  // ERROR alone still registers something: reads, filtered out again by the waiter's interest.
  EXPECT_EQ(Interest::ERROR.to_epoll(), static_cast<std::uint32_t>(EPOLLET | EPOLLIN | EPOLLRDHUP));
  EXPECT_EQ((Interest::READABLE | Interest::WRITABLE).to_epoll(),
            static_cast<std::uint32_t>(EPOLLET | EPOLLIN | EPOLLRDHUP | EPOLLOUT));
}
