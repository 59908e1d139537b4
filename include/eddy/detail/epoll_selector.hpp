// The epoll backend behind the driver's one seam: register, modify and remove fds under 64-bit
// tokens, and wait for a batch of events. A future backend (io_uring poll) implements the same
// members.
#pragma once

#include <sys/epoll.h>

#include <cstdint>

#include "eddy/interest.hpp"
#include "eddy/result.hpp"

namespace eddy::detail {

class EpollSelector {
 public:
  using Event = ::epoll_event;

  static Result<EpollSelector> create() noexcept;

  EpollSelector(EpollSelector&& other) noexcept;
  EpollSelector& operator=(EpollSelector&&) = delete;
  EpollSelector(const EpollSelector&) = delete;
  ~EpollSelector();

  // Edge-triggered registration of `fd` under `token`.
  Result<void> add(int fd, std::uint64_t token, Interest interest) const noexcept;
  Result<void> modify(int fd, std::uint64_t token, Interest interest) const noexcept;
  Result<void> remove(int fd) const noexcept;

  // epoll_wait: returns the number of events, or -1 with errno set (EINTR included).
  int select(Event* events, int capacity, int timeout_ms) const noexcept;

  static std::uint64_t token_of(const Event& e) noexcept { return e.data.u64; }
  static std::uint32_t events_of(const Event& e) noexcept { return e.events; }

  int fd() const noexcept { return fd_; }

 private:
  explicit EpollSelector(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace eddy::detail
