#include "io/detail/epoll_selector.hpp"

#include <gtest/gtest.h>
#include <sys/epoll.h>

#include <cstdint>

#include "io/detail/selector.hpp"

namespace {

using eddy::Interest;
using eddy::Ready;
using eddy::io::detail::EpollSelector;

TEST(EpollSelector, EventsForInterestAreEdgeTriggered) {
  EXPECT_EQ(EpollSelector::events_for(Interest::READABLE), static_cast<std::uint32_t>(EPOLLET | EPOLLIN | EPOLLRDHUP));
  EXPECT_EQ(EpollSelector::events_for(Interest::WRITABLE), static_cast<std::uint32_t>(EPOLLET | EPOLLOUT));
  EXPECT_EQ(EpollSelector::events_for(Interest::PRIORITY), static_cast<std::uint32_t>(EPOLLET | EPOLLPRI));
  // ERROR alone still registers something: reads, filtered out again by the waiter's interest.
  EXPECT_EQ(EpollSelector::events_for(Interest::ERROR), static_cast<std::uint32_t>(EPOLLET | EPOLLIN | EPOLLRDHUP));
  EXPECT_EQ(EpollSelector::events_for((Interest::READABLE | Interest::WRITABLE)),
            static_cast<std::uint32_t>(EPOLLET | EPOLLIN | EPOLLRDHUP | EPOLLOUT));
}

TEST(EpollSelector, ReadyFromEpoll) {
  EXPECT_EQ(EpollSelector::ready_from_epoll(EPOLLIN), Ready::READABLE);
  EXPECT_EQ(EpollSelector::ready_from_epoll(EPOLLOUT), Ready::WRITABLE);
  EXPECT_EQ(EpollSelector::ready_from_epoll(EPOLLIN | EPOLLRDHUP), Ready::READABLE | Ready::READ_CLOSED);
  // RDHUP without IN is not a closed read side.
  EXPECT_EQ(EpollSelector::ready_from_epoll(EPOLLRDHUP), Ready::EMPTY);
  EXPECT_EQ(EpollSelector::ready_from_epoll(EPOLLPRI), Ready::READABLE | Ready::PRIORITY);
  EXPECT_EQ(EpollSelector::ready_from_epoll(EPOLLHUP), Ready::READ_CLOSED | Ready::WRITE_CLOSED);
  // A lone EPOLLERR: the write side of a pipe whose reader went away.
  EXPECT_EQ(EpollSelector::ready_from_epoll(EPOLLERR), Ready::WRITE_CLOSED | Ready::ERROR);
  EXPECT_EQ(EpollSelector::ready_from_epoll(EPOLLOUT | EPOLLERR), Ready::WRITABLE | Ready::WRITE_CLOSED | Ready::ERROR);
  EXPECT_EQ(EpollSelector::ready_from_epoll(EPOLLIN | EPOLLERR), Ready::READABLE | Ready::ERROR);
}

TEST(EpollSelector, ReservedTokensCannotBeScheduledIoAddresses) {
  // Every reserved token is below the ScheduledIo alignment, so no object address is one.
  EXPECT_LE(eddy::io::detail::kReservedTokens, alignof(eddy::io::ScheduledIo));
  EXPECT_EQ(eddy::io::detail::token(eddy::io::detail::ReservedToken::wakeup), 0u);
  EXPECT_EQ(eddy::io::detail::token(eddy::io::detail::ReservedToken::signal), 1u);
}

}  // namespace
