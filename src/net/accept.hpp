// The accept step shared by TcpListener and UnixListener. Readiness mode: accept4 (non-blocking,
// close-on-exec) under the listener's read readiness, then registration of the new socket with
// the same driver. ECONNABORTED (a connection reset while still in the backlog) and EINTR are
// retried; every other error (EMFILE and ENFILE above all) is returned for the server to act on.
// Completion mode: the listener's multishot accept (net/uring_socket.hpp), which retries the
// same errors itself.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "eddy/net/detail/poll_evented.hpp"
#include "net/uring_socket.hpp"

namespace eddy::net::detail {

// `Addr` is the peer address type (SocketAddr, UnixSocketAddr: default-constructible, with
// from_sockaddr); `Storage` the sockaddr type big enough for it; `peer_addr` gives an accepted
// fd's peer (getpeername: sys::peer_addr, sys::peer_unix_addr), for completion mode, where a
// multishot accept has no per-connection address slot. An unnamed Unix peer reads the same
// either way (accept4's address and getpeername both give the family alone).
template <class Addr, class Storage, class PeerAddr>
Poll<Result<std::pair<PollEvented, Addr>>> poll_accept(PollEvented& listener, const Waker& waker,
                                                       PeerAddr peer_addr) {
  using Accepted = std::pair<PollEvented, Addr>;
  if (const auto& u = listener.uring()) {
    auto fd = uring_poll_accept(u, waker);
    if (!fd) return Pending;
    if (!*fd) return Result<Accepted>(fd->error());
    auto peer = peer_addr(**fd);
    auto io = PollEvented::create_stream(**fd, Interest::READABLE | Interest::WRITABLE, listener.handle(), false);
    if (!io) return Result<Accepted>(io.error());
    return Result<Accepted>(Accepted(std::move(*io), peer ? *peer : Addr()));
  }
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
