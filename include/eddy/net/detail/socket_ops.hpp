// The syscalls behind the datagram operations, as small function objects so that the
// awaiters that run them (IoAwaiter<Op>) have nameable types and live in the awaiting frame.
// Each returns a Result and retries EINTR; would-block is left to the caller (PollEvented).
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <utility>

#include "eddy/net/buffer.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/result.hpp"

namespace eddy::net::detail {

struct RecvOp {
  int fd;
  MutableBuffer buf;
  int flags;
  Result<std::size_t> operator()() const noexcept { return sys_recv(fd, buf, flags); }
};

struct SendOp {
  int fd;
  ConstBuffer buf;
  Result<std::size_t> operator()() const noexcept { return sys_send(fd, buf, 0); }
};

// `Addr` is SocketAddr or UnixSocketAddr (both have from_sockaddr).
template <class Addr>
struct RecvFromOp {
  int fd;
  MutableBuffer buf;
  int flags;
  Result<std::pair<std::size_t, Addr>> operator()() const noexcept {
    for (;;) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      const ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), flags, reinterpret_cast<sockaddr*>(&ss), &len);
      if (n >= 0) {
        auto from = Addr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
        return std::pair<std::size_t, Addr>(static_cast<std::size_t>(n), from ? *from : Addr());
      }
      if (errno != EINTR) return last_error();
    }
  }
};

// The sender of the next datagram, left queued: recvfrom with no buffer, MSG_PEEK|MSG_TRUNC.
template <class Addr>
struct PeekSenderOp {
  int fd;
  Result<Addr> operator()() const noexcept {
    auto r = RecvFromOp<Addr>{fd, MutableBuffer(), MSG_PEEK | MSG_TRUNC}();
    if (!r) return r.error();
    return std::move(r->second);
  }
};

struct SendToOp {
  int fd;
  ConstBuffer buf;
  sockaddr_storage to;
  socklen_t to_len;
  Result<std::size_t> operator()() const noexcept {
    for (;;) {
      const ssize_t n = ::sendto(fd, buf.data(), buf.size(), MSG_NOSIGNAL,
                                 reinterpret_cast<const sockaddr*>(&to), to_len);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return last_error();
    }
  }
};

}  // namespace eddy::net::detail
