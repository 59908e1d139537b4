// UnixDatagram: a Unix domain datagram socket on the current runtime's I/O driver: bound to a
// path or abstract name (bind), unbound (it can send, but nobody can address a reply to it),
// or one of a connected pair (pair).
//
// Receives (recv, recv_from, try_recv*) wait for readable OR a pending socket error, like
// UdpSocket's: when the peer of a connected pair drops our unread datagrams (it connected
// elsewhere), the ECONNRESET it leaves us arrives as an error-only event, and a waiting recv
// returns it. readable() and poll_recv_ready() complete on it too (the read direction's waker
// is woken by errors: see io::direction_mask).
//
// Cancellation (destroying the awaiting coroutine while suspended): recv/recv_from have
// received nothing (the datagram, or the pending error, stays queued); send/send_to have sent
// nothing. Each completed operation takes one unit of coop budget.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

#include "eddy/interest.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/net/detail/io_awaiters.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/detail/socket_ops.hpp"
#include "eddy/net/shutdown.hpp"
#include "eddy/net/unix_socket_addr.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/poll.hpp"
#include "eddy/ready.hpp"
#include "eddy/result.hpp"

namespace eddy::net {

class UnixDatagram {
 public:
  using RecvAwaiter = detail::DatagramRecvAwaiter<detail::RecvOp>;
  using SendAwaiter = detail::IoAwaiter<detail::SendOp>;
  using RecvFromAwaiter = detail::DatagramRecvAwaiter<detail::RecvFromOp<UnixSocketAddr>>;
  using SendToAwaiter = detail::IoAwaiter<detail::SendToOp>;

  static Result<UnixDatagram> bind(const UnixSocketAddr& addr);
  static Result<UnixDatagram> bind(std::string_view path);
  // Not bound to any address.
  static Result<UnixDatagram> unbound();
  // A connected pair (socketpair).
  static Result<std::pair<UnixDatagram, UnixDatagram>> pair();
  static Result<UnixDatagram> from_fd(OwnedFd fd);

  UnixDatagram(UnixDatagram&&) noexcept = default;
  UnixDatagram& operator=(UnixDatagram&&) noexcept = default;
  ~UnixDatagram() = default;

  // Sets the default peer for send/recv. Immediate.
  Result<void> connect(const UnixSocketAddr& addr);
  Result<void> connect(std::string_view path);

  SendAwaiter send(ConstBuffer buf) noexcept { return {io_, io::Direction::Write, detail::SendOp{io_.fd(), buf}}; }
  RecvAwaiter recv(MutableBuffer buf) noexcept { return {io_, detail::RecvOp{io_.fd(), buf, 0}}; }
  SendToAwaiter send_to(ConstBuffer buf, const UnixSocketAddr& target) noexcept;
  // co_await: Result<std::pair<size_t, UnixSocketAddr>>.
  RecvFromAwaiter recv_from(MutableBuffer buf) noexcept {
    return {io_, detail::RecvFromOp<UnixSocketAddr>{io_.fd(), buf, 0}};
  }

  Result<std::size_t> try_send(ConstBuffer buf);
  Result<std::size_t> try_recv(MutableBuffer buf);
  Result<std::size_t> try_send_to(ConstBuffer buf, const UnixSocketAddr& target);
  Result<std::pair<std::size_t, UnixSocketAddr>> try_recv_from(MutableBuffer buf);

  detail::ReadyAwaiter ready(Interest interest) noexcept { return {io_, interest}; }
  detail::ReadyAwaiter readable() noexcept { return ready(detail::kRecvInterest); }
  detail::ReadyAwaiter writable() noexcept { return ready(Interest::WRITABLE); }
  Poll<Result<Ready>> poll_recv_ready(const Waker& waker) noexcept { return io_.poll_ready(waker, io::Direction::Read); }
  Poll<Result<Ready>> poll_send_ready(const Waker& waker) noexcept { return io_.poll_ready(waker, io::Direction::Write); }

  Result<UnixSocketAddr> local_addr() const;
  Result<UnixSocketAddr> peer_addr() const;
  std::error_code take_error() const;
  // Shuts down one or both directions (ENOTCONN is not an error).
  Result<void> shutdown(Shutdown how = Shutdown::Both);
  int fd() const noexcept { return io_.fd(); }

 private:
  explicit UnixDatagram(detail::PollEvented io) noexcept : io_(std::move(io)) {}
  detail::PollEvented io_;
};

}  // namespace eddy::net
