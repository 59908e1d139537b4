// signal_eventfd: one write of 1 to a non-blocking eventfd that an edge-triggered epoll watches
// (the driver's wake-up fd, a ring's completion fd). Invariant: it returns true only once a
// write went through, because only a write that succeeds makes the edge the sleeper waits for.
// EINTR is retried; EAGAIN (the counter would overflow, and scripts/faults injects it) drains
// the counter first, which loses nothing: the readers look at the edge, never at the count.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace eddy::io::detail {

// False with errno set on any other error (the fd is broken; the caller decides).
inline bool signal_eventfd(int fd) noexcept {
  const std::uint64_t one = 1;
  for (;;) {
    if (::write(fd, &one, sizeof one) == static_cast<ssize_t>(sizeof one)) return true;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return false;
    std::uint64_t drained;
    [[maybe_unused]] const auto n = ::read(fd, &drained, sizeof drained);
  }
}

}  // namespace eddy::io::detail
