// PollEvented: a non-blocking socket registered with the I/O driver; the common core of every
// eddy::net type (tokio's PollEvented). It owns the fd: destruction deregisters, then closes.
//
// The read path (poll_read), after tokio:
//   1. Poll the read-direction readiness. When the socket is already known ready this is one
//      atomic load (no lock); it also takes one unit of the task's coop budget.
//   2. recv().
//   3. Would-block: clear readiness with the tick of the event it ran under (a newer edge that
//      arrived meanwhile has a newer tick and survives), give the budget back, and wait.
//   4. A short read (0 < n < len) clears readiness at once: with edge-triggered epoll it means
//      the socket buffer was drained, so the next read waits for the next edge instead of
//      spending a recv() that would only say EAGAIN. The write path does the same for a short
//      send() (the socket buffer is full).
// Datagram sockets use poll_io(), without the short-read trick (a short datagram says nothing
// about what else is queued).
//
// Wakers: the poll-style API keeps one waker per direction, so at most one task reads and one
// task writes at a time (split() halves obey this); readiness() takes any number of waiters.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "eddy/coop.hpp"
#include "eddy/error.hpp"
#include "eddy/interest.hpp"
#include "eddy/io/detail/registration.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/poll.hpp"
#include "eddy/ready.hpp"
#include "eddy/result.hpp"
#include "eddy/waker.hpp"

namespace eddy::net::detail {

// recv()/send() retried on EINTR; send uses MSG_NOSIGNAL so a closed peer gives EPIPE, never
// SIGPIPE.
inline Result<std::size_t> sys_recv(int fd, MutableBuffer buf, int flags) noexcept {
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), flags);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return last_error();
  }
}
inline Result<std::size_t> sys_send(int fd, ConstBuffer buf, int flags) noexcept {
  for (;;) {
    const ssize_t n = ::send(fd, buf.data(), buf.size(), flags | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return last_error();
  }
}

// At most this many buffers of a vectored read or write are used per syscall (the rest are
// left for the next call, as a short transfer would).
inline constexpr std::size_t kMaxIoVecs = 64;

// Copies up to kMaxIoVecs buffers into `iov`; gives the count and the total length.
template <class Buffer>
inline std::pair<std::size_t, std::size_t> to_iovecs(std::span<const Buffer> bufs, iovec* iov) noexcept {
  const std::size_t n = bufs.size() < kMaxIoVecs ? bufs.size() : kMaxIoVecs;
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    iov[i].iov_base = const_cast<std::byte*>(bufs[i].data());
    iov[i].iov_len = bufs[i].size();
    total += bufs[i].size();
  }
  return {n, total};
}

// recvmsg()/sendmsg() over several buffers (sendmsg with MSG_NOSIGNAL, which writev lacks).
inline Result<std::size_t> sys_recv_vectored(int fd, std::span<const MutableBuffer> bufs, int flags) noexcept {
  iovec iov[kMaxIoVecs];
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = to_iovecs(bufs, iov).first;
  for (;;) {
    const ssize_t n = ::recvmsg(fd, &msg, flags);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return last_error();
  }
}
inline Result<std::size_t> sys_send_vectored(int fd, std::span<const ConstBuffer> bufs, int flags) noexcept {
  iovec iov[kMaxIoVecs];
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = to_iovecs(bufs, iov).first;
  for (;;) {
    const ssize_t n = ::sendmsg(fd, &msg, flags | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return last_error();
  }
}
// The bytes a vectored transfer of `bufs` can move in one syscall.
template <class Buffer>
inline std::size_t vectored_len(std::span<const Buffer> bufs) noexcept {
  std::size_t total = 0;
  const std::size_t n = bufs.size() < kMaxIoVecs ? bufs.size() : kMaxIoVecs;
  for (std::size_t i = 0; i < n; ++i) total += bufs[i].size();
  return total;
}

class PollEvented;
// io_uring completion mode of a TCP socket (src/net/uring_socket.hpp): null on every socket in
// epoll mode, so the readiness paths below pay one pointer test for it.
class UringSocket;
Poll<Result<std::size_t>> uring_poll_read(const std::shared_ptr<UringSocket>& s, const Waker& waker,
                                          std::span<const MutableBuffer> bufs) noexcept;
Poll<Result<std::size_t>> uring_poll_write(const std::shared_ptr<UringSocket>& s, const Waker& waker,
                                           std::span<const ConstBuffer> bufs, std::uint64_t* ticket) noexcept;
Result<std::size_t> uring_try_read(UringSocket& s, PollEvented& io, std::span<const MutableBuffer> bufs) noexcept;
Result<std::size_t> uring_try_write(UringSocket& s, PollEvented& io, std::span<const ConstBuffer> bufs) noexcept;

class PollEvented {
 public:
  // Empty: owns nothing.
  PollEvented() noexcept = default;

  // Registers `fd` (taking ownership; it is closed if registration fails) with the current
  // runtime's I/O driver. Errors: Error::no_runtime, Error::io_disabled, Error::shutdown, or
  // the kernel's.
  static Result<PollEvented> create(int fd, Interest interest);
  static Result<PollEvented> create(int fd, Interest interest, const std::shared_ptr<io::Handle>& handle);

  PollEvented(PollEvented&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)), reg_(std::move(o.reg_)), uring_(std::move(o.uring_)) {
    o.reg_.reset();
  }
  PollEvented& operator=(PollEvented&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
      reg_ = std::move(o.reg_);
      o.reg_.reset();
      uring_ = std::move(o.uring_);
    }
    return *this;
  }
  PollEvented(const PollEvented&) = delete;
  PollEvented& operator=(const PollEvented&) = delete;
  ~PollEvented() { close(); }

  bool valid() const noexcept { return fd_ >= 0; }
  int fd() const noexcept { return fd_; }
  io::Registration& registration() noexcept { return *reg_; }
  const std::shared_ptr<io::Handle>& handle() const noexcept { return reg_->handle(); }

  // Deregisters and closes now (idempotent). In completion mode it first detaches the socket's
  // io_uring state (uring_socket.hpp: its ops are cancelled and live until their CQEs).
  void close() noexcept;

  // Puts this TCP socket in io_uring completion mode when its driver runs sockets on the ring
  // (Builder::io_backend) and the calling thread runs that runtime and owns its ring; otherwise
  // it stays in readiness mode. `listener`: accept instead of recv. Called once, at creation.
  void enable_completion_mode(bool listener);
  // In io_uring completion mode (null: readiness mode).
  const std::shared_ptr<UringSocket>& uring() const noexcept { return uring_; }

  // Stream read/write with the short-read/short-write trick (see the file comment). In
  // completion mode: uring_socket.hpp.
  Poll<Result<std::size_t>> poll_read(const Waker& waker, MutableBuffer buf) noexcept {
    if (uring_) [[unlikely]] return uring_poll_read(uring_, waker, std::span<const MutableBuffer>(&buf, 1));
    return poll_stream(waker, io::Direction::Read, buf.size(), [&] { return sys_recv(fd_, buf, 0); });
  }
  // `ticket` (completion mode only) names the caller's submitted send; see uring_socket.hpp.
  Poll<Result<std::size_t>> poll_write(const Waker& waker, ConstBuffer buf, std::uint64_t* ticket = nullptr) noexcept {
    if (uring_) [[unlikely]] return uring_poll_write(uring_, waker, std::span<const ConstBuffer>(&buf, 1), ticket);
    return poll_stream(waker, io::Direction::Write, buf.size(), [&] { return sys_send(fd_, buf, 0); });
  }

  // Vectored stream read/write: one recvmsg/sendmsg over up to kMaxIoVecs buffers, with the
  // same short-transfer rule as poll_read/poll_write.
  Poll<Result<std::size_t>> poll_read_vectored(const Waker& waker, std::span<const MutableBuffer> bufs) noexcept {
    if (uring_) [[unlikely]] return uring_poll_read(uring_, waker, bufs);
    return poll_stream(waker, io::Direction::Read, vectored_len(bufs), [&] { return sys_recv_vectored(fd_, bufs, 0); });
  }
  Poll<Result<std::size_t>> poll_write_vectored(const Waker& waker, std::span<const ConstBuffer> bufs,
                                                std::uint64_t* ticket = nullptr) noexcept {
    if (uring_) [[unlikely]] return uring_poll_write(uring_, waker, bufs, ticket);
    return poll_stream(waker, io::Direction::Write, vectored_len(bufs), [&] { return sys_send_vectored(fd_, bufs, 0); });
  }
  Result<std::size_t> try_read_vectored(std::span<const MutableBuffer> bufs) noexcept {
    if (uring_) [[unlikely]] return uring_try_read(*uring_, *this, bufs);
    return try_io(Interest::READABLE, [&] { return sys_recv_vectored(fd_, bufs, 0); });
  }
  Result<std::size_t> try_write_vectored(std::span<const ConstBuffer> bufs) noexcept {
    if (uring_) [[unlikely]] return uring_try_write(*uring_, *this, bufs);
    return try_io(Interest::WRITABLE, [&] { return sys_send_vectored(fd_, bufs, 0); });
  }

  // Stream read/write only when known ready (see try_io); no budget. Inline: the echo path
  // writes with try_write after every read.
  Result<std::size_t> try_read(MutableBuffer buf) noexcept {
    if (uring_) [[unlikely]] return uring_try_read(*uring_, *this, std::span<const MutableBuffer>(&buf, 1));
    return try_io(Interest::READABLE, [&] { return sys_recv(fd_, buf, 0); });
  }
  Result<std::size_t> try_write(ConstBuffer buf) noexcept {
    if (uring_) [[unlikely]] return uring_try_write(*uring_, *this, std::span<const ConstBuffer>(&buf, 1));
    return try_io(Interest::WRITABLE, [&] { return sys_send(fd_, buf, 0); });
  }

  // The awaiters' first look (see PollAwaiter): true when `direction` is not ready and
  // `waker` is now registered for it; false when it may be ready (then poll for real, which is
  // always the case in completion mode: readiness says nothing about the ring's queue).
  bool wait_if_pending(const Waker& waker, io::Direction direction) noexcept {
    if (uring_) [[unlikely]] return false;
    return reg_->scheduled_io().wait_if_pending(waker, direction);
  }

  // Waits for `direction`, runs `f` (returning a Result), and repeats while `f` would block,
  // clearing readiness each time. One unit of budget per call of `f` that does not block.
  template <class F>
  auto poll_io(const Waker& waker, io::Direction direction, F&& f) -> Poll<std::invoke_result_t<F&>> {
    return reg_->poll_io(waker, direction, std::forward<F>(f));
  }

  // Poll-style readiness of one direction (consumes budget when ready).
  Poll<Result<Ready>> poll_ready(const Waker& waker, io::Direction direction) noexcept {
    auto ev = reg_->poll_ready(waker, direction);
    if (ev.is_pending()) return Pending;
    if (!*ev) return Result<Ready>(ev->error());
    return Result<Ready>((*ev)->ready);
  }

  // Runs `f` only when ready for `interest`; a would-block result clears that readiness.
  template <class F>
  auto try_io(Interest interest, F&& f) -> std::invoke_result_t<F&> {
    return reg_->try_io(interest, std::forward<F>(f));
  }

 private:
  // One stream transfer of up to `len` bytes by `op` under `direction`'s readiness: a short
  // transfer clears readiness at once, would-block clears it and waits again.
  template <class Op>
  Poll<Result<std::size_t>> poll_stream(const Waker& waker, io::Direction direction, std::size_t len, Op op) noexcept {
    io::Registration& reg = *reg_;
    return reg.poll_io(waker, direction, [&](io::ReadyEvent ev) {
      auto r = op();
      if (r && *r != 0 && *r < len) reg.clear_readiness(ev);
      return r;
    });
  }

  PollEvented(int fd, io::Registration reg) noexcept : fd_(fd), reg_(std::move(reg)) {}

  int fd_ = -1;
  std::optional<io::Registration> reg_;
  std::shared_ptr<UringSocket> uring_;  // completion mode only
};

}  // namespace eddy::net::detail
