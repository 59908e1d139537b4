// The accept step shared by TcpListener and UnixListener: accept4 (non-blocking, close-on-exec)
// under the listener's read readiness, then registration of the new socket with the same driver.
// ECONNABORTED (a connection reset while still in the backlog) and EINTR are retried; every
// other error (EMFILE and ENFILE above all) is returned for the server to act on.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "eddy/net/detail/poll_evented.hpp"

namespace eddy::net::detail {

// `Addr` is the peer address type (SocketAddr, UnixSocketAddr: default-constructible, with
// from_sockaddr); `Storage` the sockaddr type big enough for it.
template <class Addr, class Storage>
Poll<Result<std::pair<PollEvented, Addr>>> poll_accept(PollEvented& listener, const Waker& waker) {
  using Accepted = std::pair<PollEvented, Addr>;
  auto accepted = listener.poll_io(waker, io::Direction::Read, [&listener]() -> Result<std::pair<int, Addr>> {
    for (;;) {
      Storage ss{};
      socklen_t len = sizeof ss;
      const int fd = ::accept4(listener.fd(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        auto peer = Addr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
        return std::pair<int, Addr>(fd, peer ? *peer : Addr());
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return last_error();
    }
  });
  if (!accepted) return Pending;
  if (!*accepted) return Result<Accepted>(accepted->error());
  auto io = PollEvented::create((*accepted)->first, Interest::READABLE | Interest::WRITABLE, listener.handle());
  if (!io) return Result<Accepted>(io.error());
  return Result<Accepted>(Accepted(std::move(*io), (*accepted)->second));
}

}  // namespace eddy::net::detail
