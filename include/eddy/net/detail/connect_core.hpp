// ConnectCore: a non-blocking connect(2) driven by write readiness, shared by the TCP and Unix
// stream connect awaiters.
//
// First poll: create the socket, connect(), register it. Then (as tokio does) wait until the
// socket is writable, which is also how an error or hang-up shows, and report SO_ERROR. A
// refused connection gives ECONNREFUSED, a listener that went away before accepting gives
// ECONNREFUSED or ECONNRESET.
//
// Destroying the core before it is done closes the socket (the attempt is abandoned), whether
// it made the socket or was given one.
#pragma once

#include <sys/socket.h>

#include <utility>

#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"
#include "eddy/waker.hpp"

namespace eddy::net::detail {

class ConnectCore {
 public:
  ConnectCore() noexcept = default;
  // Connects `fd` (a stream socket made by the caller, e.g. TcpSocket, already non-blocking)
  // instead of a new socket; owns it from here on.
  explicit ConnectCore(int fd) noexcept : fd_(fd) {}
  ConnectCore(ConnectCore&& o) noexcept
      : started_(o.started_), fd_(std::exchange(o.fd_, -1)), io_(std::move(o.io_)) {}
  ConnectCore& operator=(ConnectCore&&) = delete;
  ~ConnectCore();

  // `addr` is read on the first poll only.
  Poll<Result<PollEvented>> poll(const Waker& waker, int family, const sockaddr* addr, socklen_t len);

 private:
  bool started_ = false;
  int fd_ = -1;  // the caller's socket, until the first poll
  PollEvented io_;
};

}  // namespace eddy::net::detail
