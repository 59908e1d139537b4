// UnixListener: a listening Unix domain stream socket on the current runtime's I/O driver.
//
// bind() creates the socket file; it fails with EADDRINUSE if the path exists, and the file
// is not removed when the listener goes away (as with tokio): unlink it yourself.
//
// accept() errors are returned as they come (EMFILE/ENFILE included; see TcpListener for why a
// server should back off then).
//
// Cancellation: destroying a coroutine suspended in accept() loses no connection; it stays in
// the kernel's backlog.
#pragma once

#include <string_view>
#include <utility>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/unix_socket_addr.hpp"
#include "eddy/net/unix_stream.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"

namespace eddy::net {

class UnixListener {
 public:
  static constexpr int kDefaultBacklog = 1024;
  using Accepted = std::pair<UnixStream, UnixSocketAddr>;

  class AcceptAwaiter : public eddy::detail::PollAwaiter<AcceptAwaiter, Result<Accepted>> {
   public:
    explicit AcceptAwaiter(UnixListener& l) noexcept : l_(&l) {}
    Poll<Result<Accepted>> poll(const Waker& waker) { return l_->poll_accept(waker); }

   private:
    UnixListener* l_;
  };

  static Result<UnixListener> bind(const UnixSocketAddr& addr, int backlog = kDefaultBacklog);
  static Result<UnixListener> bind(std::string_view path, int backlog = kDefaultBacklog);
  static Result<UnixListener> from_fd(OwnedFd fd);

  UnixListener(UnixListener&&) noexcept = default;
  UnixListener& operator=(UnixListener&&) noexcept = default;
  ~UnixListener() = default;

  // co_await: Result<std::pair<UnixStream, UnixSocketAddr>> (the peer's address is usually
  // unnamed).
  AcceptAwaiter accept() noexcept { return AcceptAwaiter(*this); }
  Poll<Result<Accepted>> poll_accept(const Waker& waker);

  Result<UnixSocketAddr> local_addr() const;
  int fd() const noexcept { return io_.fd(); }

 private:
  explicit UnixListener(detail::PollEvented io) noexcept : io_(std::move(io)) {}
  detail::PollEvented io_;
};

}  // namespace eddy::net
