// TcpListener: a listening TCP socket on the current runtime's I/O driver.
//
//   auto l = eddy::net::TcpListener::bind(*eddy::net::SocketAddr::parse("127.0.0.1:0"));
//   for (;;) {
//     auto c = co_await l->accept();        // Result<std::pair<TcpStream, SocketAddr>>
//     if (!c) { /* back off (see below), then retry */ continue; }
//     eddy::spawn(serve(std::move(c->first)));
//   }
//
// Errors from accept4 are returned, never swallowed: in particular EMFILE/ENFILE (out of file
// descriptors) and ENOBUFS/ENOMEM. The pending connection stays in the kernel's backlog and
// the listener stays readable, so retrying at once fails again: a server should back off
// (sleep, or wait until it closes some connections) before accepting again. Each failed
// accept still takes one unit of coop budget, so even a tight retry loop yields to other
// tasks. ECONNABORTED (a connection reset while in the backlog) and EINTR are retried inside.
//
// Cancellation: destroying a coroutine suspended in accept() loses no connection; it stays in
// the kernel's backlog for the next accept.
#pragma once

#include <cstdint>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/socket_addr.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"

namespace eddy::net {

class TcpListener {
 public:
  static constexpr int kDefaultBacklog = 1024;

  using Accepted = std::pair<TcpStream, SocketAddr>;

  class AcceptAwaiter : public eddy::detail::PollAwaiter<AcceptAwaiter, Result<Accepted>> {
   public:
    explicit AcceptAwaiter(TcpListener& l) noexcept : l_(&l) {}
    Poll<Result<Accepted>> poll(const Waker& waker) { return l_->poll_accept(waker); }

   private:
    TcpListener* l_;
  };

  // socket + SO_REUSEADDR + bind + listen(backlog), registered with the current runtime.
  // Port 0 picks a free port (see local_addr()). A port held by another listening socket gives
  // EADDRINUSE.
  static Result<TcpListener> bind(const SocketAddr& addr, int backlog = kDefaultBacklog);
  // Adopts a listening socket (made non-blocking here). On failure the fd is closed.
  static Result<TcpListener> from_fd(OwnedFd fd);

  TcpListener(TcpListener&&) noexcept = default;
  TcpListener& operator=(TcpListener&&) noexcept = default;
  ~TcpListener() = default;

  // co_await: Result<std::pair<TcpStream, SocketAddr>> (the new connection and the peer's
  // address). The stream is registered with the same driver as the listener.
  AcceptAwaiter accept() noexcept { return AcceptAwaiter(*this); }
  // Poll-style accept (one waker slot). Takes one unit of budget per accepted connection or
  // error.
  Poll<Result<Accepted>> poll_accept(const Waker& waker);

  Result<SocketAddr> local_addr() const;
  // IP_TTL (IPV6_UNICAST_HOPS on IPv6) of the accepted connections' packets, 0..255.
  Result<void> set_ttl(std::uint32_t ttl);
  Result<std::uint32_t> ttl() const;
  int fd() const noexcept { return io_.fd(); }

 private:
  explicit TcpListener(detail::PollEvented io) noexcept : io_(std::move(io)) {}
  detail::PollEvented io_;
};

}  // namespace eddy::net
