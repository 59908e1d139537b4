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
#include "eddy/net/owned_buffer.hpp"
#include "eddy/net/recv_buffer.hpp"
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
// io_uring completion mode of a stream socket (src/net/uring_socket.hpp). Such a socket holds a
// detached registration (io::Registration::detached: a resource shut down from the start, never
// in epoll), so the epoll fast paths below need no test of their own for it: a stream poll stops
// at the shutdown test it already makes, and a try_* at its "nothing ready" test, and only there
// (out of the hot path) do these functions tell completion mode from a real shutdown / not
// ready. Their arguments travel in registers (no span built from the caller's buffer's address).
class UringSocket;
Poll<Result<std::size_t>> uring_poll_read(PollEvented& io, const Waker& waker, MutableBuffer buf) noexcept;
Poll<Result<std::size_t>> uring_poll_read_vectored(PollEvented& io, const Waker& waker,
                                                   std::span<const MutableBuffer> bufs) noexcept;
Poll<Result<std::size_t>> uring_poll_write(PollEvented& io, const Waker& waker, ConstBuffer buf,
                                           std::uint64_t* ticket, bool all) noexcept;
Poll<Result<std::size_t>> uring_poll_write_vectored(PollEvented& io, const Waker& waker,
                                                    std::span<const ConstBuffer> bufs, std::uint64_t* ticket) noexcept;
// The owned write (net/detail/owned_write.hpp): `buf` moves into the socket's send op and comes
// back with the result; abandoned: its writer is gone (the buffer is freed after the send).
Poll<Result<std::size_t>> uring_poll_write_owned(PollEvented& io, const Waker& waker, OwnedBuffer& buf,
                                                 std::size_t off, std::uint64_t* ticket, bool all) noexcept;
void uring_write_owned_abandoned(PollEvented& io, std::uint64_t ticket) noexcept;
Result<std::size_t> uring_try_read(PollEvented& io, MutableBuffer buf) noexcept;
Result<std::size_t> uring_try_read_vectored(PollEvented& io, std::span<const MutableBuffer> bufs) noexcept;
Result<std::size_t> uring_try_write(PollEvented& io, ConstBuffer buf) noexcept;
Result<std::size_t> uring_try_write_vectored(PollEvented& io, std::span<const ConstBuffer> bufs) noexcept;
// The late epoll registration of a completion-mode socket (null until its readiness is asked for).
io::Registration* uring_readiness(const UringSocket& s) noexcept;
// read_buf in completion mode: the first look (true: waiting, `waker` kept) and the poll.
bool uring_wait_read_buf(PollEvented& io, const Waker& waker) noexcept;
Poll<Result<RecvBuffer>> uring_poll_read_buf(PollEvented& io, const Waker& waker) noexcept;
// read_buf in epoll mode: a lease of a whole kRecvBufferSize-byte buffer from this thread's small pool
// (net/recv_pool.cpp); given back to the pool of the thread that destroys it. Errors: ENOMEM.
Result<RecvBuffer> pool_recv_buffer() noexcept;
// recv into `buf`, taking a pool buffer first if it holds none (it keeps it on a would-block,
// and gives it back when destroyed).
Result<std::size_t> recv_into_pool_buffer(int fd, RecvBuffer& buf) noexcept;
// A recv's result as a lease of `buf`: the error, an empty lease for 0 (end of stream), or `buf`
// cut to the bytes received.
Result<RecvBuffer> lease_of(const Result<std::size_t>& r, RecvBuffer& buf) noexcept;
// try_read_buf in completion mode.
Result<RecvBuffer> uring_try_read_buf(PollEvented& io) noexcept;

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

  // Stream sockets, TCP or Unix (connected streams, and listeners with `listener`): in io_uring
  // completion mode, without an epoll registration, when the driver runs sockets on the ring
  // and the calling thread runs that runtime (see enable_completion_mode); otherwise as
  // create(). Same errors. Datagram sockets (UDP, Unix) always use create(): docs/io-uring.md,
  // "Sockets (completion mode)", says why.
  static Result<PollEvented> create_stream(int fd, Interest interest, bool listener);
  static Result<PollEvented> create_stream(int fd, Interest interest, const std::shared_ptr<io::Handle>& handle,
                                           bool listener);

  bool valid() const noexcept { return fd_ >= 0; }
  int fd() const noexcept { return fd_; }
  // The registration that readiness waits use (ReadyAwaiter, peek). In completion mode that is
  // a second, real registration made on first use by ensure_registered() (epoll_ctl ADD, once),
  // which must have succeeded before this is called.
  io::Registration& registration() noexcept {
    if (uring_) [[unlikely]] return *uring_readiness(*uring_);
    return *reg_;
  }
  Result<void> ensure_registered() noexcept {
    if (!uring_) [[likely]] return {};
    return register_late();
  }
  const std::shared_ptr<io::Handle>& handle() const noexcept { return reg_->handle(); }

  // Deregisters and closes now (idempotent). In completion mode it first detaches the socket's
  // io_uring state (uring_socket.hpp: its ops are cancelled and live until their CQEs).
  void close() noexcept;

  // Puts this stream socket in io_uring completion mode when its driver runs sockets on the ring
  // (Builder::io_backend) and the calling thread runs that runtime and owns its ring; otherwise
  // it stays in readiness mode. `listener`: accept instead of recv. A socket registered with
  // epoll (a connected stream: connect waits for writability) leaves epoll here. Called at
  // creation; a no-op on a socket already in completion mode.
  void enable_completion_mode(bool listener);
  // In io_uring completion mode (null: readiness mode).
  const std::shared_ptr<UringSocket>& uring() const noexcept { return uring_; }

  // Stream read/write with the short-read/short-write trick (see the file comment). In
  // completion mode: uring_socket.hpp (reached through the shutdown test; see above).
  Poll<Result<std::size_t>> poll_read(const Waker& waker, MutableBuffer buf) noexcept {
    return poll_stream(
        waker, io::Direction::Read, buf.size(), [&] { return sys_recv(fd_, buf, 0); },
        [&] { return uring_poll_read(*this, waker, buf); });
  }
  // `ticket` (completion mode only) names the caller's submitted send; see uring_socket.hpp.
  // `all` (completion mode only): the caller wants every byte (write_all), so the send op's
  // copy goes with MSG_WAITALL (net/uring_send.hpp); a plain write may complete short, as here.
  Poll<Result<std::size_t>> poll_write(const Waker& waker, ConstBuffer buf, std::uint64_t* ticket = nullptr,
                                       bool all = false) noexcept {
    return poll_stream(
        waker, io::Direction::Write, buf.size(), [&] { return sys_send(fd_, buf, 0); },
        [&] { return uring_poll_write(*this, waker, buf, ticket, all); });
  }

  // Sends buf's bytes from `off`: a plain send in readiness mode; in completion mode the buffer
  // moves into the send op (no copy) until the send completes, then back into `buf`.
  Poll<Result<std::size_t>> poll_write_owned(const Waker& waker, OwnedBuffer& buf, std::size_t off,
                                             std::uint64_t* ticket, bool all) noexcept {
    return poll_stream(
        waker, io::Direction::Write, buf.size() > off ? buf.size() - off : 0,
        [&] { return sys_send(fd_, ConstBuffer(buf.data() + off, buf.size() - off), 0); },
        [&] { return uring_poll_write_owned(*this, waker, buf, off, ticket, all); });
  }

  // Vectored stream read/write: one recvmsg/sendmsg over up to kMaxIoVecs buffers, with the
  // same short-transfer rule as poll_read/poll_write.
  Poll<Result<std::size_t>> poll_read_vectored(const Waker& waker, std::span<const MutableBuffer> bufs) noexcept {
    return poll_stream(
        waker, io::Direction::Read, vectored_len(bufs), [&] { return sys_recv_vectored(fd_, bufs, 0); },
        [&] { return uring_poll_read_vectored(*this, waker, bufs); });
  }
  Poll<Result<std::size_t>> poll_write_vectored(const Waker& waker, std::span<const ConstBuffer> bufs,
                                                std::uint64_t* ticket = nullptr) noexcept {
    return poll_stream(
        waker, io::Direction::Write, vectored_len(bufs), [&] { return sys_send_vectored(fd_, bufs, 0); },
        [&] { return uring_poll_write_vectored(*this, waker, bufs, ticket); });
  }
  Result<std::size_t> try_read_vectored(std::span<const MutableBuffer> bufs) noexcept {
    return try_stream(
        Interest::READABLE, [&] { return sys_recv_vectored(fd_, bufs, 0); },
        [&] { return uring_try_read_vectored(*this, bufs); });
  }
  Result<std::size_t> try_write_vectored(std::span<const ConstBuffer> bufs) noexcept {
    return try_stream(
        Interest::WRITABLE, [&] { return sys_send_vectored(fd_, bufs, 0); },
        [&] { return uring_try_write_vectored(*this, bufs); });
  }

  // An owned-buffer read (StreamBase::read_buf). Completion mode: the stream's oldest queued
  // provided buffer, lent whole (uring_socket.hpp). Epoll mode: poll_read's path, receiving
  // into a buffer of this thread's pool (out of line). An empty result is the end of the stream.
  Poll<Result<RecvBuffer>> poll_read_buf(const Waker& waker) noexcept {
    if (uring_) return uring_poll_read_buf(*this, waker);
    return poll_read_buf_readiness(waker);
  }
  // read_buf without waiting (StreamBase::try_read_buf): completion mode lends a queued
  // buffer; otherwise, as try_read, a recv into a pool buffer when the socket is known ready.
  Result<RecvBuffer> try_read_buf() noexcept {
    if (uring_) return uring_try_read_buf(*this);
    return try_read_buf_readiness();
  }
  // read_buf's first look (see wait_if_pending).
  bool wait_if_pending_read_buf(const Waker& waker) noexcept {
    if (uring_) return uring_wait_read_buf(*this, waker);
    return wait_read_buf_readiness(waker);
  }

  // Stream read/write only when known ready (see try_io); no budget. Inline: the echo path
  // writes with try_write after every read.
  Result<std::size_t> try_read(MutableBuffer buf) noexcept {
    return try_stream(
        Interest::READABLE, [&] { return sys_recv(fd_, buf, 0); }, [&] { return uring_try_read(*this, buf); });
  }
  Result<std::size_t> try_write(ConstBuffer buf) noexcept {
    return try_stream(
        Interest::WRITABLE, [&] { return sys_send(fd_, buf, 0); }, [&] { return uring_try_write(*this, buf); });
  }

  // The awaiters' first look (see PollAwaiter): true when `direction` is not ready and
  // `waker` is now registered for it; false when it may be ready (then poll for real). A
  // completion-mode socket's detached registration always says "may be ready".
  bool wait_if_pending(const Waker& waker, io::Direction direction) noexcept {
    return reg_->scheduled_io().wait_if_pending(waker, direction);
  }

  // Waits for `direction`, runs `f` (returning a Result), and repeats while `f` would block,
  // clearing readiness each time. One unit of budget per call of `f` that does not block.
  // Not for completion mode (its registration is detached: Error::shutdown).
  template <class F>
  auto poll_io(const Waker& waker, io::Direction direction, F&& f) -> Poll<std::invoke_result_t<F&>> {
    return reg_->poll_io(waker, direction, std::forward<F>(f));
  }

  // Poll-style readiness of one direction (consumes budget when ready). Registers a
  // completion-mode socket with epoll first (ensure_registered).
  Poll<Result<Ready>> poll_ready(const Waker& waker, io::Direction direction) noexcept {
    if (auto r = ensure_registered(); !r) [[unlikely]] return Result<Ready>(r.error());
    auto ev = registration().poll_ready(waker, direction);
    if (ev.is_pending()) return Pending;
    if (!*ev) return Result<Ready>(ev->error());
    return Result<Ready>((*ev)->ready);
  }

  // Runs `f` only when ready for `interest`; a would-block result clears that readiness.
  // Not for completion mode (nothing is ever ready on its detached registration).
  template <class F>
  auto try_io(Interest interest, F&& f) -> std::invoke_result_t<F&> {
    return reg_->try_io(interest, std::forward<F>(f));
  }

 private:
  // One stream transfer of up to `len` bytes by `op` under `direction`'s readiness: a short
  // transfer clears readiness at once, would-block clears it and waits again. Registration's
  // poll_io with its poll_ready written out, so that its shutdown test can lead to `other`:
  // completion mode (uring_socket.hpp), or Error::shutdown (the driver shut down).
  template <class Op, class Other>
  Poll<Result<std::size_t>> poll_stream(const Waker& waker, io::Direction direction, std::size_t len, Op op,
                                        Other other) noexcept {
    io::Registration& reg = *reg_;
    for (;;) {
      if (!coop::has_budget(waker)) return Pending;
      Poll<io::ReadyEvent> ev = reg.scheduled_io().poll_readiness(waker, direction);
      if (ev.is_pending()) return Pending;
      if (ev->is_shutdown) [[unlikely]] return other();
      coop::consume_one();
      Result<std::size_t> r = op();
      if (r) {
        if (*r != 0 && *r < len) reg.clear_readiness(*ev);
        return r;
      }
      if (!io::is_would_block(r.error())) return r;
      coop::restore_one();
      reg.clear_readiness(*ev);
    }
  }
  // Registration's try_io, whose "nothing ready" test leads to `other`: completion mode, or
  // would-block.
  template <class F, class Other>
  Result<std::size_t> try_stream(Interest interest, F f, Other other) noexcept {
    io::Registration& reg = *reg_;
    const io::ReadyEvent ev = reg.scheduled_io().ready_event(interest);
    if (ev.ready.is_empty()) [[unlikely]] return other();
    Result<std::size_t> r = f();
    if (!r && io::is_would_block(r.error())) reg.clear_readiness(ev);
    return r;
  }

  PollEvented(int fd, io::Registration reg) noexcept : fd_(fd), reg_(std::move(reg)) {}
  PollEvented(int fd, io::Registration reg, std::shared_ptr<UringSocket> uring) noexcept
      : fd_(fd), reg_(std::move(reg)), uring_(std::move(uring)) {}
  Result<void> register_late() noexcept;
  // poll_read_buf in epoll mode (net/recv_pool.cpp: out of line, so that a program's read_buf
  // loop does not carry a second inlined copy of the read path).
  Poll<Result<RecvBuffer>> poll_read_buf_readiness(const Waker& waker) noexcept;
  bool wait_read_buf_readiness(const Waker& waker) noexcept;
  Result<RecvBuffer> try_read_buf_readiness() noexcept;

  int fd_ = -1;
  // Always set while fd_ is: the driver registration, or in completion mode a detached one.
  std::optional<io::Registration> reg_;
  std::shared_ptr<UringSocket> uring_;  // completion mode only
};

}  // namespace eddy::net::detail
