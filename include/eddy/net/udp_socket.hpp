// UdpSocket: a UDP socket on the current runtime's I/O driver.
//
// Each send/recv moves one datagram. Receiving into a buffer smaller than the datagram
// truncates it (the rest is discarded by the kernel). Every completed operation takes one unit
// of coop budget, so a task on a socket that always has datagrams queued still yields.
//
// Cancellation (destroying the awaiting coroutine while suspended): recv/recv_from have
// received nothing (the datagram stays queued); send/send_to have sent nothing.
//
// Threading: one task may receive while another sends (each direction has its own waker
// slot); readable()/writable()/ready() take any number of waiters.
#pragma once

#include <cstddef>
#include <utility>

#include "eddy/interest.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/net/detail/io_awaiters.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/detail/socket_ops.hpp"
#include "eddy/net/socket_addr.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/poll.hpp"
#include "eddy/ready.hpp"
#include "eddy/result.hpp"

namespace eddy::net {

class UdpSocket {
 public:
  using RecvAwaiter = detail::IoAwaiter<detail::RecvOp>;
  using SendAwaiter = detail::IoAwaiter<detail::SendOp>;
  using RecvFromAwaiter = detail::IoAwaiter<detail::RecvFromOp<SocketAddr>>;
  using SendToAwaiter = detail::IoAwaiter<detail::SendToOp>;

  // Binds to `addr` (port 0 picks a free port) on the current runtime.
  static Result<UdpSocket> bind(const SocketAddr& addr);
  // Adopts a UDP socket (made non-blocking here). On failure the fd is closed.
  static Result<UdpSocket> from_fd(OwnedFd fd);

  UdpSocket(UdpSocket&&) noexcept = default;
  UdpSocket& operator=(UdpSocket&&) noexcept = default;
  ~UdpSocket() = default;

  // Sets the default peer: send/recv then talk to it only (datagrams from others are dropped
  // by the kernel). Immediate (no I/O).
  Result<void> connect(const SocketAddr& addr);

  // co_await: Result<size_t>. send needs a connected socket.
  SendAwaiter send(ConstBuffer buf) noexcept { return {io_, io::Direction::Write, detail::SendOp{io_.fd(), buf}}; }
  RecvAwaiter recv(MutableBuffer buf) noexcept { return {io_, io::Direction::Read, detail::RecvOp{io_.fd(), buf, 0}}; }
  // co_await: Result<size_t>.
  SendToAwaiter send_to(ConstBuffer buf, const SocketAddr& target) noexcept;
  // co_await: Result<std::pair<size_t, SocketAddr>> (bytes, sender).
  RecvFromAwaiter recv_from(MutableBuffer buf) noexcept {
    return {io_, io::Direction::Read, detail::RecvFromOp<SocketAddr>{io_.fd(), buf, 0}};
  }
  // Like recv_from, but the datagram stays queued (MSG_PEEK).
  RecvFromAwaiter peek_from(MutableBuffer buf) noexcept {
    return {io_, io::Direction::Read, detail::RecvFromOp<SocketAddr>{io_.fd(), buf, MSG_PEEK}};
  }

  // Only when known ready; otherwise (or when the syscall would block, clearing readiness)
  // EAGAIN at once. No budget.
  Result<std::size_t> try_send(ConstBuffer buf);
  Result<std::size_t> try_recv(MutableBuffer buf);
  Result<std::size_t> try_send_to(ConstBuffer buf, const SocketAddr& target);
  Result<std::pair<std::size_t, SocketAddr>> try_recv_from(MutableBuffer buf);

  // co_await: Result<Ready> (see TcpStream::ready).
  detail::ReadyAwaiter ready(Interest interest) noexcept { return {io_, interest}; }
  detail::ReadyAwaiter readable() noexcept { return ready(Interest::READABLE); }
  detail::ReadyAwaiter writable() noexcept { return ready(Interest::WRITABLE); }
  Poll<Result<Ready>> poll_recv_ready(const Waker& waker) noexcept { return io_.poll_ready(waker, io::Direction::Read); }
  Poll<Result<Ready>> poll_send_ready(const Waker& waker) noexcept { return io_.poll_ready(waker, io::Direction::Write); }

  Result<SocketAddr> local_addr() const;
  Result<SocketAddr> peer_addr() const;
  Result<void> set_broadcast(bool on);
  std::error_code take_error() const;
  int fd() const noexcept { return io_.fd(); }

 private:
  explicit UdpSocket(detail::PollEvented io) noexcept : io_(std::move(io)) {}
  detail::PollEvented io_;
};

}  // namespace eddy::net
