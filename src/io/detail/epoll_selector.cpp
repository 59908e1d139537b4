#include "io/detail/epoll_selector.hpp"

#include <unistd.h>

#include <utility>

namespace eddy::io::detail {

Result<EpollSelector> EpollSelector::create() noexcept {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return last_error();
  return EpollSelector(fd);
}

EpollSelector::EpollSelector(EpollSelector&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

EpollSelector::~EpollSelector() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> EpollSelector::register_source(int fd, std::uint64_t token, Interest interest) const noexcept {
  ::epoll_event ev{};
  ev.events = events_for(interest);
  ev.data.u64 = token;
  if (::epoll_ctl(fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return last_error();
  return {};
}

Result<void> EpollSelector::reregister(int fd, std::uint64_t token, Interest interest) const noexcept {
  ::epoll_event ev{};
  ev.events = events_for(interest);
  ev.data.u64 = token;
  if (::epoll_ctl(fd_, EPOLL_CTL_MOD, fd, &ev) != 0) return last_error();
  return {};
}

Result<void> EpollSelector::deregister(int fd) const noexcept {
  // A non-null event pointer keeps pre-2.6.9 kernels happy; it is ignored otherwise.
  ::epoll_event ev{};
  if (::epoll_ctl(fd_, EPOLL_CTL_DEL, fd, &ev) != 0) return last_error();
  return {};
}

int EpollSelector::select(Event* events, int capacity, int timeout_ms) const noexcept {
  return ::epoll_wait(fd_, events, capacity, timeout_ms);
}

}  // namespace eddy::io::detail
