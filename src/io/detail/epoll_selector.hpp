// The epoll backend (see selector.hpp for the seam it implements): edge-triggered registrations
// under 64-bit tokens, batches of events, and the mapping between epoll's bits and Interest /
// Ready. Private to the io layer: <sys/epoll.h> goes no further than this header.
#pragma once

#include <sys/epoll.h>

#include <cstdint>

#include "eddy/interest.hpp"
#include "eddy/ready.hpp"
#include "eddy/result.hpp"

namespace eddy::io::detail {

class EpollSelector {
 public:
  using Event = ::epoll_event;

  static Result<EpollSelector> create() noexcept;

  EpollSelector(EpollSelector&& other) noexcept;
  EpollSelector& operator=(EpollSelector&&) = delete;
  EpollSelector(const EpollSelector&) = delete;
  ~EpollSelector();

  // Edge-triggered registration of `fd` under `token`.
  Result<void> register_source(int fd, std::uint64_t token, Interest interest) const noexcept;
  Result<void> reregister(int fd, std::uint64_t token, Interest interest) const noexcept;
  // EPOLL_CTL_DEL. Synchronous: once it returns, no later epoll_wait reports the fd's token.
  Result<void> deregister(int fd) const noexcept;

  // epoll_wait: returns the number of events, or -1 with errno set (EINTR included).
  int select(Event* events, int capacity, int timeout_ms) const noexcept;

  static std::uint64_t token_of(const Event& e) noexcept { return e.data.u64; }
  static Ready readiness_of(const Event& e) noexcept { return ready_from_epoll(e.events); }

  // The epoll mask for `interest`: always edge-triggered; readable adds EPOLLRDHUP so that a
  // peer's half-close is seen. ERROR alone registers reads (epoll reports errors whatever the
  // mask, but an fd needs some interest); a waiter's interest filters read readiness out again.
  static constexpr std::uint32_t events_for(Interest interest) noexcept {
    std::uint32_t ev = EPOLLET;
    if (interest.is_readable()) ev |= EPOLLIN | EPOLLRDHUP;
    if (interest.is_writable()) ev |= EPOLLOUT;
    if (interest.is_priority()) ev |= EPOLLPRI;
    if (!interest.is_readable() && !interest.is_writable() && !interest.is_priority()) ev |= EPOLLIN | EPOLLRDHUP;
    return ev;
  }

  // The Ready bits of one epoll event (as tokio maps them): EPOLLPRI also counts as
  // readable; EPOLLHUP closes both sides; a lone EPOLLERR (a pipe whose read end closed) closes
  // the write side.
  static constexpr Ready ready_from_epoll(std::uint32_t ev) noexcept {
    // Fast path for the events a healthy connection produces (only IN and/or OUT): EPOLLIN is
    // 0x1 -> READABLE 0x1, EPOLLOUT is 0x4 -> WRITABLE 0x2.
    static_assert(EPOLLIN == 0x1 && EPOLLOUT == 0x4 && Ready::READABLE.bits() == 0x1 && Ready::WRITABLE.bits() == 0x2);
    if ((ev & ~static_cast<std::uint32_t>(EPOLLIN | EPOLLOUT)) == 0) {
      return Ready::from_bits((ev & EPOLLIN) | ((ev & EPOLLOUT) >> 1));
    }
    Ready r;
    if ((ev & (EPOLLIN | EPOLLPRI)) != 0) r |= Ready::READABLE;
    if ((ev & EPOLLOUT) != 0) r |= Ready::WRITABLE;
    if ((ev & EPOLLHUP) != 0 || ((ev & EPOLLIN) != 0 && (ev & EPOLLRDHUP) != 0)) r |= Ready::READ_CLOSED;
    if ((ev & EPOLLHUP) != 0 || ((ev & EPOLLOUT) != 0 && (ev & EPOLLERR) != 0) || ev == EPOLLERR) {
      r |= Ready::WRITE_CLOSED;
    }
    if ((ev & EPOLLERR) != 0) r |= Ready::ERROR;
    if ((ev & EPOLLPRI) != 0) r |= Ready::PRIORITY;
    return r;
  }

  int fd() const noexcept { return fd_; }

 private:
  explicit EpollSelector(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace eddy::io::detail
