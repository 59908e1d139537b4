#include "eddy/ready.hpp"

#include <sys/epoll.h>

#include "eddy/interest.hpp"

namespace eddy {

Ready Ready::from_epoll(std::uint32_t ev) noexcept {
  Ready r;
  if ((ev & (EPOLLIN | EPOLLPRI)) != 0) r |= READABLE;
  if ((ev & EPOLLOUT) != 0) r |= WRITABLE;
  if ((ev & EPOLLHUP) != 0 || ((ev & EPOLLIN) != 0 && (ev & EPOLLRDHUP) != 0)) r |= READ_CLOSED;
  // A lone EPOLLERR is what a pipe's write end reports when its read end closed.
  if ((ev & EPOLLHUP) != 0 || ((ev & EPOLLOUT) != 0 && (ev & EPOLLERR) != 0) || ev == EPOLLERR) {
    r |= WRITE_CLOSED;
  }
  if ((ev & EPOLLERR) != 0) r |= ERROR;
  if ((ev & EPOLLPRI) != 0) r |= PRIORITY;
  return r;
}

std::uint32_t Interest::to_epoll() const noexcept {
  std::uint32_t ev = EPOLLET;
  if (is_readable()) ev |= EPOLLIN | EPOLLRDHUP;
  if (is_writable()) ev |= EPOLLOUT;
  if (is_priority()) ev |= EPOLLPRI;
  // ERROR alone: epoll reports errors whatever the mask, but an fd needs some interest, so
  // register reads; a waiter's interest filters read readiness out again.
  if (!is_readable() && !is_writable() && !is_priority()) ev |= EPOLLIN | EPOLLRDHUP;
  return ev;
}

}  // namespace eddy
