// UdpSocket: a UDP socket on the current runtime's I/O driver.
//
// Each send/recv moves one datagram. Receiving into a buffer smaller than the datagram
// truncates it (the rest is discarded by the kernel). Every completed operation takes one unit
// of coop budget, so a task on a socket that always has datagrams queued still yields.
//
// Receives (recv, recv_from, peek, peek_from, peek_sender, try_recv...) wait for readable OR
// a pending socket error, as tokio's do: a connected socket whose peer is gone gets the ICMP
// error as an error-only event, and the receive returns it (ECONNREFUSED). readable() also
// completes on it, and so does the poll-style poll_recv_ready() (the read direction's waker is
// woken by errors: see io::direction_mask).
//
// Cancellation (destroying the awaiting coroutine while suspended): recv/recv_from/peek* have
// received nothing (the datagram, or the pending error, stays queued); send/send_to have sent
// nothing.
//
// Threading: any number of tasks may receive (each waits on its own waiter) while one sends
// (the write direction's waker slot); readable()/writable()/ready() take any number of waiters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "eddy/interest.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/net/detail/io_awaiters.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/detail/socket_ops.hpp"
#include "eddy/net/ip_addr.hpp"
#include "eddy/net/socket_addr.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/poll.hpp"
#include "eddy/ready.hpp"
#include "eddy/result.hpp"

namespace eddy::net {

class UdpSocket {
 public:
  using RecvAwaiter = detail::DatagramRecvAwaiter<detail::RecvOp>;
  using SendAwaiter = detail::IoAwaiter<detail::SendOp>;
  using RecvFromAwaiter = detail::DatagramRecvAwaiter<detail::RecvFromOp<SocketAddr>>;
  using SendToAwaiter = detail::IoAwaiter<detail::SendToOp>;
  using PeekSenderAwaiter = detail::DatagramRecvAwaiter<detail::PeekSenderOp<SocketAddr>>;

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
  RecvAwaiter recv(MutableBuffer buf) noexcept { return {io_, detail::RecvOp{io_.fd(), buf, 0}}; }
  // co_await: Result<size_t>.
  SendToAwaiter send_to(ConstBuffer buf, const SocketAddr& target) noexcept;
  // co_await: Result<std::pair<size_t, SocketAddr>> (bytes, sender).
  RecvFromAwaiter recv_from(MutableBuffer buf) noexcept {
    return {io_, detail::RecvFromOp<SocketAddr>{io_.fd(), buf, 0}};
  }
  // Like recv_from, but the datagram stays queued (MSG_PEEK).
  RecvFromAwaiter peek_from(MutableBuffer buf) noexcept {
    return {io_, detail::RecvFromOp<SocketAddr>{io_.fd(), buf, MSG_PEEK}};
  }
  // Like recv, but the datagram stays queued (MSG_PEEK). A pending socket error is returned
  // (and cleared by the kernel) as by recv.
  RecvAwaiter peek(MutableBuffer buf) noexcept { return {io_, detail::RecvOp{io_.fd(), buf, MSG_PEEK}}; }
  // co_await: Result<SocketAddr>, the sender of the next datagram, which stays queued whole.
  PeekSenderAwaiter peek_sender() noexcept { return {io_, detail::PeekSenderOp<SocketAddr>{io_.fd()}}; }

  // Only when known ready; otherwise (or when the syscall would block, clearing readiness)
  // EAGAIN at once. No budget.
  Result<std::size_t> try_send(ConstBuffer buf);
  Result<std::size_t> try_recv(MutableBuffer buf);
  Result<std::size_t> try_send_to(ConstBuffer buf, const SocketAddr& target);
  Result<std::pair<std::size_t, SocketAddr>> try_recv_from(MutableBuffer buf);
  Result<std::size_t> try_peek(MutableBuffer buf);
  Result<std::pair<std::size_t, SocketAddr>> try_peek_from(MutableBuffer buf);
  Result<SocketAddr> try_peek_sender();

  // co_await: Result<Ready> (see TcpStream::ready).
  detail::ReadyAwaiter ready(Interest interest) noexcept { return {io_, interest}; }
  detail::ReadyAwaiter readable() noexcept { return ready(detail::kRecvInterest); }
  detail::ReadyAwaiter writable() noexcept { return ready(Interest::WRITABLE); }
  Poll<Result<Ready>> poll_recv_ready(const Waker& waker) noexcept { return io_.poll_ready(waker, io::Direction::Read); }
  Poll<Result<Ready>> poll_send_ready(const Waker& waker) noexcept { return io_.poll_ready(waker, io::Direction::Write); }

  Result<SocketAddr> local_addr() const;
  Result<SocketAddr> peer_addr() const;
  Result<void> set_broadcast(bool on);
  Result<bool> broadcast() const;
  // IP_TTL (IPV6_UNICAST_HOPS on an IPv6 socket), 0..255.
  Result<void> set_ttl(std::uint32_t ttl);
  Result<std::uint32_t> ttl() const;

  // --- multicast (bad input: an address of the wrong family, or not multicast, gives
  // std::errc::invalid_argument; leaving a group not joined gives EADDRNOTAVAIL) ---

  // Joins / leaves IPv4 group `group` on the interface with address `iface`
  // (IpAddr::v4_unspecified(): the kernel chooses).
  Result<void> join_multicast_v4(const IpAddr& group, const IpAddr& iface);
  Result<void> leave_multicast_v4(const IpAddr& group, const IpAddr& iface);
  // Joins / leaves IPv6 group `group` on interface index `iface` (0: the kernel chooses).
  Result<void> join_multicast_v6(const IpAddr& group, std::uint32_t iface);
  Result<void> leave_multicast_v6(const IpAddr& group, std::uint32_t iface);
  // Whether our own multicast datagrams are looped back to us (default on).
  Result<void> set_multicast_loop_v4(bool on);
  Result<bool> multicast_loop_v4() const;
  Result<void> set_multicast_loop_v6(bool on);
  Result<bool> multicast_loop_v6() const;
  // The hop limit of outgoing IPv4 multicast datagrams (default 1).
  Result<void> set_multicast_ttl_v4(std::uint32_t ttl);
  Result<std::uint32_t> multicast_ttl_v4() const;
  // The interface outgoing IPv4 multicast leaves by (IP_MULTICAST_IF), by its address.
  Result<void> set_multicast_if_v4(const IpAddr& iface);
  std::error_code take_error() const;
  int fd() const noexcept { return io_.fd(); }

 private:
  explicit UdpSocket(detail::PollEvented io) noexcept : io_(std::move(io)) {}
  detail::PollEvented io_;
};

}  // namespace eddy::net
