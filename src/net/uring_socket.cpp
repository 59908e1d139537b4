#include "net/uring_socket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "eddy/coop.hpp"
#include "eddy/detail/context.hpp"
#include "eddy/detail/scheduler.hpp"
#include "eddy/error.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/runtime.hpp"
#include "io/driver.hpp"

namespace eddy::net::detail {

namespace {

using io::uring::BufRing;

bool has_queued(const UringSocket& s) noexcept { return s.head != BufRing::kNone; }

// Copies queued bytes into `bufs` in order, giving fully read buffers back to the kernel.
// Precondition: something is queued.
std::size_t copy_out(UringSocket& s, std::span<const MutableBuffer> bufs) noexcept {
  BufRing& br = *s.bufs;
  // The common case first (an echo's read): one destination that takes the whole of the only
  // queued buffer.
  if (bufs.size() == 1 && s.head == s.tail) {
    const std::uint16_t bid = s.head;
    const std::uint32_t avail = br.len(bid) - s.head_off;
    if (avail <= bufs[0].size()) {
      std::memcpy(bufs[0].data(), br.data(bid) + s.head_off, avail);
      s.head = s.tail = BufRing::kNone;
      s.head_off = 0;
      br.recycle(bid);
      return avail;
    }
  }
  std::size_t done = 0;
  for (const auto& dst : bufs) {
    std::size_t off = 0;
    while (off < dst.size() && s.head != BufRing::kNone) {
      const std::uint16_t bid = s.head;
      const std::uint32_t avail = br.len(bid) - s.head_off;
      const std::size_t n = std::min<std::size_t>(avail, dst.size() - off);
      std::memcpy(dst.data() + off, br.data(bid) + s.head_off, n);
      off += n;
      s.head_off += static_cast<std::uint32_t>(n);
      if (s.head_off == br.len(bid)) {
        s.head = br.next(bid);
        if (s.head == BufRing::kNone) s.tail = BufRing::kNone;
        s.head_off = 0;
        br.recycle(bid);
      }
    }
    done += off;
    if (s.head == BufRing::kNone) break;
  }
  return done;
}

void recycle_all(UringSocket& s) noexcept {
  while (s.head != BufRing::kNone) {
    const std::uint16_t bid = s.head;
    s.head = s.bufs->next(bid);
    s.bufs->recycle(bid);
  }
  s.tail = BufRing::kNone;
  s.head_off = 0;
}

void arm(const std::shared_ptr<UringSocket>& s) noexcept {
  io_uring_sqe* sqe = s->ring->prepare(s);
  if (s->listener) {
    io_uring_prep_multishot_accept(sqe, s->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } else {
    io_uring_prep_recv_multishot(sqe, s->fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BufRing::kGroup;
  }
}

// A reader with nothing queued: arms the multishot recv and waits for its CQE, or, when the
// last arm ended with ENOBUFS and no buffer has come back since, waits for a buffer instead (so
// a dry pool costs no submit-and-refuse loop).
void arm_recv_and_wait(const std::shared_ptr<UringSocket>& sp, const Waker& waker) {
  UringSocket& s = *sp;
  if (!s.in_ring()) {
    if (s.nobufs) [[unlikely]] {
      if (s.bufs->free_count() == 0) {
        UringSocketRare& r = s.rare_state();
        s.bufs->wait_for_buffer(waker, r.starved_gen, r.starved_idx);
        return;
      }
      s.nobufs = false;
    }
    arm(sp);
  }
  s.set_waker(waker);
}

}  // namespace

UringSocket::~UringSocket() {
  // Only reached once no ring reference is left: every accepted fd nobody took is closed here.
  if (rare) {
    const AcceptQueue& q = rare->accepted;
    for (std::size_t i = q.head; i < q.fds.size(); ++i) ::close(q.fds[i]);
  }
}

namespace {

// A listener's CQE: an accepted fd, or an error for the next accept to report.
[[gnu::noinline]] void on_accept_cqe(UringSocket& s, int res) noexcept {
  if (res >= 0) {
    if (s.detached) {
      ::close(res);
    } else {
      s.rare->accepted.fds.push_back(res);
    }
  } else if (res != -ECANCELED && res != -ECONNABORTED && res != -EINTR && !s.detached) {
    s.err = -res;  // EMFILE, ENFILE, ENOBUFS, ENOMEM...: for the next accept to report
  }
}

// A stream's CQE other than bytes for a live stream: end of stream, errors, a buffer to give
// back (detached, or no bytes).
[[gnu::noinline]] void on_recv_cqe_rare(UringSocket& s, int res, unsigned flags) noexcept {
  if ((flags & IORING_CQE_F_BUFFER) != 0) {
    s.bufs->note_taken();
    s.bufs->recycle(static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT));
  }
  if (res == 0) {
    s.eof = true;
  } else if (res == -ENOBUFS) {
    // Every provided buffer is queued or lent somewhere: the multishot recv ends without
    // losing data (the bytes stay in the socket); it is re-armed once a buffer is back.
    s.nobufs = true;
  } else if (res < 0 && res != -ECANCELED && res != -EINTR && !s.detached) {
    s.err = -res;
  }
}

}  // namespace

void UringSocket::on_cqe(int res, unsigned flags, bool /*more*/) noexcept {
  if (listener) [[unlikely]] {
    on_accept_cqe(*this, res);
    return;
  }
  // The common case: bytes for a live stream, queued in CQE order (the rest out of line, so
  // that this path saves no registers).
  if ((flags & IORING_CQE_F_BUFFER) != 0 && res > 0 && !detached) [[likely]] {
    const auto bid = static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    BufRing& br = *bufs;
    br.note_taken();
    br.len(bid) = static_cast<std::uint32_t>(res);
    br.next(bid) = BufRing::kNone;
    if (tail == BufRing::kNone) {
      head = bid;
    } else {
      br.next(tail) = bid;
    }
    tail = bid;
    return;
  }
  on_recv_cqe_rare(*this, res, flags);
}

namespace {

// The *_body functions run on the owner-mode ring's owner thread, or under a shared ring's lock
// (their callers see to it: off_owner_thread). always_inline: each is called from two places
// (its wrapper and off_owner_thread's lambda), and g++ otherwise keeps it out of line.
[[gnu::always_inline]] inline Poll<Result<std::size_t>> poll_read_body(const std::shared_ptr<UringSocket>& sp,
                                                                       const Waker& waker,
                                                                       std::span<const MutableBuffer> bufs) noexcept {
  UringSocket& s = *sp;
  if (has_queued(s) || s.eof || s.err != 0) {
    if (!coop::poll_proceed(waker)) return Pending;
    if (has_queued(s)) return Result<std::size_t>(copy_out(s, bufs));
    if (s.err != 0) return Result<std::size_t>(errno_code(s.err));  // sticky, as recv's would be
    return Result<std::size_t>(std::size_t{0});
  }
  if (total_len(bufs) == 0) return Result<std::size_t>(std::size_t{0});  // as recv(len 0)
  if (!s.ring->is_open()) return Result<std::size_t>(Error::shutdown);
  arm_recv_and_wait(sp, waker);
  return Pending;
}

Poll<Result<std::size_t>> poll_read_impl(const std::shared_ptr<UringSocket>& sp, const Waker& waker,
                                         std::span<const MutableBuffer> bufs) noexcept {
  if (!sp->ring->owner_thread_here()) [[unlikely]] {
    return off_owner_thread(*sp, [&] { return poll_read_body(sp, waker, bufs); });
  }
  return poll_read_body(sp, waker, bufs);
}

// Lends the head buffer (from head_off on) to a RecvBuffer: no copy; the lease gives it back.
RecvBuffer lend_head(UringSocket& s) noexcept {
  BufRing& br = *s.bufs;
  const std::uint16_t bid = s.head;
  const std::uint32_t off = s.head_off;
  s.head = br.next(bid);
  if (s.head == BufRing::kNone) s.tail = BufRing::kNone;
  s.head_off = 0;
  br.lease_out();
  return RecvBuffer::from_parts(br.data(bid), off, br.len(bid) - off, &br, bid);
}

// `recv` is the plain syscall for when no recv is armed (nothing can be queued ahead of the
// socket's bytes then). Without an epoll registration the socket's readiness is not tracked, so
// the syscall itself says would-block; once registered (its readiness was asked for), try_io
// keeps the readiness state as in epoll mode (a would-block clears it).
template <class Recv>
[[gnu::always_inline]] inline Result<std::size_t> try_read_body(UringSocket& s, std::span<const MutableBuffer> bufs,
                                                                Recv recv) noexcept {
  if (has_queued(s)) return copy_out(s, bufs);
  if (s.err != 0) return errno_code(s.err);
  if (s.eof) return std::size_t{0};
  if (!s.in_ring()) {
    if (!s.readiness()) return recv();
    return s.readiness()->try_io(Interest::READABLE, recv);
  }
  // The ring owns the socket's bytes; they show up in the queue after the next turn.
  if (!s.readiness()) return io::would_block_error();
  // Clears the readiness (a would-block in try_io), so readable() waits for the next edge.
  return s.readiness()->try_io(Interest::READABLE, []() -> Result<std::size_t> { return io::would_block_error(); });
}

template <class Recv>
Result<std::size_t> try_read_impl(PollEvented& io, std::span<const MutableBuffer> bufs, Recv recv) noexcept {
  if (!io.uring()) return io::would_block_error();  // epoll mode, nothing ready
  UringSocket& s = *io.uring();
  if (!s.ring->owner_thread_here()) [[unlikely]] return off_owner_thread(s, [&] { return try_read_body(s, bufs, recv); });
  return try_read_body(s, bufs, recv);
}

}  // namespace

// Each is reached through the shutdown test of PollEvented::poll_stream (the poll functions) or
// its try_stream's "nothing ready" test (the try functions): in epoll mode that means the
// driver shut down, or nothing is ready.
Poll<Result<std::size_t>> uring_poll_read(PollEvented& io, const Waker& waker, MutableBuffer buf) noexcept {
  if (!io.uring()) return Result<std::size_t>(Error::shutdown);
  return poll_read_impl(io.uring(), waker, std::span<const MutableBuffer>(&buf, 1));
}
Poll<Result<std::size_t>> uring_poll_read_vectored(PollEvented& io, const Waker& waker,
                                                   std::span<const MutableBuffer> bufs) noexcept {
  if (!io.uring()) return Result<std::size_t>(Error::shutdown);
  return poll_read_impl(io.uring(), waker, bufs);
}
Result<std::size_t> uring_try_read(PollEvented& io, MutableBuffer buf) noexcept {
  return try_read_impl(io, std::span<const MutableBuffer>(&buf, 1), [&] { return sys_recv(io.fd(), buf, 0); });
}
Result<std::size_t> uring_try_read_vectored(PollEvented& io, std::span<const MutableBuffer> bufs) noexcept {
  return try_read_impl(io, bufs, [&] { return sys_recv_vectored(io.fd(), bufs, 0); });
}
io::Registration* uring_readiness(const UringSocket& s) noexcept { return s.readiness(); }

namespace {

// uring_try_read_buf past its first test: lend the head, or try_read's answers (a plain recv,
// into a pool buffer, when no recv is armed). Out of line, so that the usual would-block costs
// no register saves.
// Owner thread, or under a shared ring's lock.
[[gnu::noinline]] Result<RecvBuffer> try_read_buf_slow(PollEvented& io, UringSocket& s) noexcept {
  if (has_queued(s)) return lend_head(s);
  RecvBuffer buf;
  const Result<std::size_t> r = try_read_body(s, {}, [&] { return recv_into_pool_buffer(io.fd(), buf); });
  return lease_of(r, buf);
}

}  // namespace

// try_read_buf in completion mode. The usual answer first: the armed recv owns the socket's
// bytes and none are queued (a recv that ended, with EOF or an error, is no longer in the ring).
Result<RecvBuffer> uring_try_read_buf(PollEvented& io) noexcept {
  UringSocket& s = *io.uring();
  if (!s.ring->owner_thread_here()) [[unlikely]] return off_owner_thread(s, [&] { return try_read_buf_slow(io, s); });
  if (s.in_ring() && !has_queued(s) && !s.readiness()) return io::would_block_error();
  return try_read_buf_slow(io, s);
}

// read_buf in completion mode. The first look: nothing queued, no end or error to report, and
// the recv armed: keep the waker and wait (the whole poll would conclude the same).
bool uring_wait_read_buf(PollEvented& io, const Waker& waker) noexcept {
  UringSocket& s = *io.uring();
  // Off the owner thread (a shared ring: its state may be read only under its lock) the poll
  // looks: test that first, before any of the socket's state (TSan caught the reads racing the
  // reaper when this test came last).
  if (!s.ring->owner_thread_here()) [[unlikely]] return false;
  if (has_queued(s) || s.eof || s.err != 0 || !s.in_ring()) return false;
  s.set_waker(waker);
  return true;
}

namespace {

[[gnu::always_inline]] inline Poll<Result<RecvBuffer>> poll_read_buf_body(const std::shared_ptr<UringSocket>& sp,
                                                                        const Waker& waker) noexcept {
  UringSocket& s = *sp;
  if (has_queued(s) || s.eof || s.err != 0) {
    if (!coop::poll_proceed(waker)) return Pending;
    if (has_queued(s)) return Result<RecvBuffer>(lend_head(s));
    if (s.err != 0) return Result<RecvBuffer>(errno_code(s.err));  // sticky, as read()'s
    return Result<RecvBuffer>(RecvBuffer());                      // end of stream
  }
  if (!s.ring->is_open()) return Result<RecvBuffer>(Error::shutdown);
  arm_recv_and_wait(sp, waker);
  return Pending;
}

}  // namespace

Poll<Result<RecvBuffer>> uring_poll_read_buf(PollEvented& io, const Waker& waker) noexcept {
  const std::shared_ptr<UringSocket>& sp = io.uring();
  if (!sp->ring->owner_thread_here()) [[unlikely]] return off_owner_thread(*sp, [&] { return poll_read_buf_body(sp, waker); });
  return poll_read_buf_body(sp, waker);
}

Poll<Result<int>> uring_poll_accept(const std::shared_ptr<UringSocket>& sp, const Waker& waker) noexcept {
  UringSocket& s = *sp;
  SocketLock lock(s);
  if (!s.ring->owned_here()) return Result<int>(not_owner());
  AcceptQueue& q = s.rare->accepted;
  if (q.head < q.fds.size() || s.err != 0) {
    if (!coop::poll_proceed(waker)) return Pending;
    if (q.head < q.fds.size()) {
      const int fd = q.fds[q.head++];
      if (q.head == q.fds.size()) {
        q.fds.clear();
        q.head = 0;
      }
      return Result<int>(fd);
    }
    const int e = s.err;  // reported once; the next accept re-arms
    s.err = 0;
    return Result<int>(errno_code(e));
  }
  if (!s.ring->is_open()) return Result<int>(Error::shutdown);
  if (!s.in_ring()) arm(sp);
  s.set_waker(waker);
  return Pending;
}

void uring_close(UringSocket& s) noexcept {
  SocketLock lock(s);
  s.detached = true;
  if (io::Registration* r = s.readiness()) {
    (void)r->deregister(s.fd);  // before the fd is closed (PollEvented::close)
    s.rare->readiness.reset();
  }
  s.clear_waker();
  if (s.send) s.send->clear_waker();
  if (!s.ring->is_open() || !s.ring->owned_here()) {
    // The ring is closed (its buffers are gone with it), or this is not its owner thread: the
    // queued buffers cannot be given back from here and stay out of the pool; the ops are
    // cancelled by the ring's shutdown.
    s.head = s.tail = BufRing::kNone;
    return;
  }
  if (!s.listener) recycle_all(s);
  const bool cancelled = s.in_ring() || (s.send && s.send->in_ring());
  if (s.in_ring()) s.ring->cancel(s);
  if (s.send && s.send->in_ring()) s.ring->cancel(*s.send);
  // The ops hold the socket's file until their CQEs: submit the cancels now, so that the close
  // reaches the peer without waiting for the driver's next turn.
  if (cancelled) s.ring->flush();
}

std::shared_ptr<UringSocket> make_uring_socket(const std::shared_ptr<io::Handle>& h, int fd, bool listener) {
  if (!h || !h->sockets_on_ring()) return nullptr;
  // Only from the thread running this runtime (block_on), which owns the ring; a socket made
  // elsewhere (a runtime merely entered) stays in readiness mode.
  auto& ctx = eddy::detail::context();
  if (ctx.scheduler == nullptr || ctx.scheduler != ctx.handle || ctx.scheduler->driver().io != h) return nullptr;
  if (io::uring::RingSet* set = h->ring_set()) {
    // The multi-thread runtime: a worker's socket joins that worker's ring for life (its task may
    // run anywhere later: SocketLock). A thread without a core (the blocking side of
    // block_in_place) makes a readiness-mode socket, as a thread outside the runtime does.
    if (ctx.core == nullptr) return nullptr;
    io::uring::Ring& ring = *set->slot(ctx.core->worker_slot).ring;
    return std::make_shared<UringSocket>(ring, fd, listener);
  }
  if (!h->ring()->claim()) return nullptr;
  return std::make_shared<UringSocket>(*h->ring(), fd, listener);
}

void SocketLock::unlock_shared(io::uring::Ring& ring, eddy::detail::sync::Mutex& m) noexcept {
  if (ring.has_pending()) [[unlikely]] {
    auto& ctx = eddy::detail::context();
    bool mine = false;
    if (ctx.core != nullptr && ctx.scheduler != nullptr && ctx.scheduler == ctx.handle) {
      const auto& io = ctx.scheduler->driver().io;
      io::uring::RingSet* set = io ? io->ring_set() : nullptr;
      mine = set != nullptr && set->slot(ctx.core->worker_slot).ring.get() == &ring;
    }
    if (!mine) {
      ring.flush();
      // Refused: whoever turns the driver retries it (RingSet::drain_all).
      if (ring.has_pending()) ring.signal_event_fd();
    }
  }
  m.unlock();
}

// --- PollEvented's completion-mode hooks ---------------------------------------------------

void PollEvented::enable_completion_mode(bool listener) {
  if (fd_ < 0 || uring_ || !reg_) return;
  auto u = make_uring_socket(reg_->handle(), fd_, listener);
  if (!u) return;
  // Leave epoll: from here the socket's bytes come through the ring only (its readiness, if
  // asked for later, registers it again: ensure_registered).
  auto handle = reg_->handle();
  (void)reg_->deregister(fd_);
  reg_.emplace(io::Registration::detached(std::move(handle)));
  uring_ = std::move(u);
}

Result<PollEvented> PollEvented::create_stream(int fd, Interest interest, const std::shared_ptr<io::Handle>& handle,
                                               bool listener) {
  if (auto u = make_uring_socket(handle, fd, listener)) {
    return PollEvented(fd, io::Registration::detached(handle), std::move(u));
  }
  return create(fd, interest, handle);
}

Result<PollEvented> PollEvented::create_stream(int fd, Interest interest, bool listener) {
  auto rt = RuntimeHandle::try_current();
  if (!rt) {
    ::close(fd);
    return Error::no_runtime;
  }
  return create_stream(fd, interest, rt->io_handle(), listener);
}

Result<void> PollEvented::register_late() noexcept {
  SocketLock lock(*uring_);  // a stream's two halves may ask at once, on two workers
  if (uring_->readiness()) return {};
  auto reg = io::Registration::create(reg_->handle(), fd_, Interest::READABLE | Interest::WRITABLE);
  if (!reg) return reg.error();
  uring_->rare_state().readiness = std::make_unique<io::Registration>(std::move(*reg));
  return {};
}

}  // namespace eddy::net::detail
