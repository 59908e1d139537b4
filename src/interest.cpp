#include "eddy/interest.hpp"

#include <sys/epoll.h>


namespace eddy {

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
