// Writes of a stream socket in io_uring completion mode: the copying write (write, write_all,
// write_vectored, poll_write), the owned-buffer write (write_owned, write_all_owned), the
// direct send of try_write, and the SEND_ZC choice for large sends. Invariants: uring_send.hpp.
#include "net/uring_send.hpp"

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "eddy/coop.hpp"
#include "eddy/error.hpp"
#include "eddy/net/detail/poll_evented.hpp"
#include "net/uring_socket.hpp"

namespace eddy::net::detail {

namespace {

// Largest send copied into the send op at once; a bigger write is short (write_all goes on).
constexpr std::size_t kMaxSend = 256 * 1024;

// Sends of at least this many bytes use SEND_ZC when the ring has it. Below it the page pinning
// and the second CQE cost more than the copy they save (docs/io-uring.md, "Sockets": measured
// with bench/send_bench.cpp).
constexpr std::size_t kSendZcMin = 16 * 1024;
std::atomic<std::size_t> g_send_zc_min{kSendZcMin};
std::atomic<bool> g_zc_keep_when_copied{false};

// IORING_SEND_ZC_REPORT_USAGE (an SQE flag, 6.2+) asks for the notification's res to carry
// IORING_NOTIF_USAGE_ZC_COPIED when the kernel copied the bytes after all (liburing 2.3's header
// predates both). Loopback always copies, when it delivers to the local socket.
constexpr unsigned kZcReportUsage = 1U << 3;
constexpr std::uint32_t kZcCopied = 1U << 31;


UringSendOp& send_op(UringSocket& s) {
  if (!s.send) s.send = std::make_shared<UringSendOp>(s.ring->metrics());
  return *s.send;
}

// Whether `s` may use SEND_ZC: only an AF_INET/AF_INET6 (TCP) socket; a SEND_ZC on a Unix
// socket fails with EOPNOTSUPP having sent nothing (uring_send.hpp). Asked (SO_DOMAIN) once per
// socket, at its first send big enough for SEND_ZC, so small writers never pay the syscall.
bool zc_allowed(const UringSocket& s, UringSendOp& op) noexcept {
  if (!op.zc_checked) [[unlikely]] {
    op.zc_checked = true;
    int domain = 0;
    socklen_t len = sizeof domain;
    const bool ok = ::getsockopt(s.fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0;
    if (!ok || (domain != AF_INET && domain != AF_INET6)) op.zc_copies = true;
  }
  return !op.zc_copies;
}

// Fills in `s`'s send SQE for `len` bytes at `p` (owned by the send op) and takes a ticket.
void submit_send(UringSocket& s, const std::byte* p, std::size_t len, int flags, const Waker& waker,
                 std::uint64_t* ticket) noexcept {
  UringSendOp& op = *s.send;
  io_uring_sqe* sqe = s.ring->prepare(s.send);
  if (len >= g_send_zc_min.load(std::memory_order_relaxed) && zc_allowed(s, op)) {
    io_uring_prep_send_zc(sqe, s.fd, p, len, flags, s.ring->send_zc_report_usage() ? kZcReportUsage : 0);
    s.ring->metrics().incr_uring_send_zc();
  } else {
    io_uring_prep_send(sqe, s.fd, p, len, flags);
  }
  ++op.seq;
  op.claimed = false;
  *ticket = op.seq;
  op.set_waker(waker);
}

Result<std::size_t> send_result(const UringSendOp& op) noexcept {
  if (op.send_res < 0) return errno_code(-op.send_res);
  return static_cast<std::size_t>(op.send_res);
}

// The *_body functions run on the owner-mode ring's owner thread, or under a shared ring's lock:
// their wrappers see to it (off_owner_thread, uring_socket.hpp: out of line, so the
// current-thread path keeps its code). always_inline: each is called from two places.
[[gnu::always_inline]] inline Poll<Result<std::size_t>> poll_write_body(const std::shared_ptr<UringSocket>& sp, const Waker& waker,
                                          std::span<const ConstBuffer> bufs, std::uint64_t* ticket,
                                          bool all) noexcept {
  UringSocket& s = *sp;
  UringSendOp& op = send_op(s);
  if (ticket == nullptr) ticket = &op.poll_ticket;
  if (op.in_ring()) {
    // Ours, or an earlier one whose writer is gone: either way the next send waits for it.
    op.set_waker(waker);
    return Pending;
  }
  if (!op.claimed && *ticket != 0 && op.seq == *ticket) {
    if (!coop::poll_proceed(waker)) return Pending;
    op.claimed = true;
    *ticket = 0;
    return send_result(op);
  }
  // Idle (an abandoned send's result, and its owned buffer if any, are dropped here).
  op.claimed = true;
  op.owned.reset();
  std::size_t total = total_len(bufs);
  if (total == 0) return Result<std::size_t>(std::size_t{0});
  if (!s.ring->is_open()) return Result<std::size_t>(Error::shutdown);
  if (total > kMaxSend) total = kMaxSend;
  if (op.cap < total) {
    op.buf.reset(new std::byte[total]);
    op.cap = total;
  }
  std::size_t off = 0;
  for (const auto& b : bufs) {
    const std::size_t n = std::min(b.size(), total - off);
    std::memcpy(op.buf.get() + off, b.data(), n);
    off += n;
    if (off == total) break;
  }
  // write_all (`all`): MSG_WAITALL, so the kernel sends all of the op's copy (polling the
  // socket itself) rather than complete short and have the next write copy the unsent rest
  // again. A plain write may complete short, as in epoll mode (two peers that each write()
  // before reading must not both wait for the whole).
  submit_send(s, op.buf.get(), total, all ? MSG_NOSIGNAL | MSG_WAITALL : MSG_NOSIGNAL, waker, ticket);
  return Pending;
}

Poll<Result<std::size_t>> poll_write_impl(const std::shared_ptr<UringSocket>& sp, const Waker& waker,
                                          std::span<const ConstBuffer> bufs, std::uint64_t* ticket,
                                          bool all) noexcept {
  if (!sp->ring->owner_thread_here()) [[unlikely]] {
    return off_owner_thread(*sp, [&] { return poll_write_body(sp, waker, bufs, ticket, all); });
  }
  return poll_write_body(sp, waker, bufs, ticket, all);
}

// The owned write: `buf` moves into the op for its send and comes back with the result.
[[gnu::always_inline]] inline Poll<Result<std::size_t>> poll_write_owned_body(UringSocket& s, const Waker& waker, OwnedBuffer& buf,
                                                std::size_t off, std::uint64_t* ticket, bool all) noexcept {
  UringSendOp& op = send_op(s);
  if (op.in_ring()) {
    op.set_waker(waker);
    return Pending;
  }
  if (*ticket != 0) {
    if (!op.claimed && op.seq == *ticket) {
      if (!coop::poll_proceed(waker)) return Pending;
      op.claimed = true;
      *ticket = 0;
      buf = std::move(op.owned);
      return send_result(op);
    }
    // Our result (and buffer) was dropped by another writer that came while ours was in the
    // ring: the one-writer-at-a-time rule was broken.
    *ticket = 0;
    return Result<std::size_t>(std::make_error_code(std::errc::operation_canceled));
  }
  op.claimed = true;
  op.owned.reset();
  if (off >= buf.size()) return Result<std::size_t>(std::size_t{0});
  if (!s.ring->is_open()) return Result<std::size_t>(Error::shutdown);
  op.owned = std::move(buf);
  op.owned_abandoned = false;
  // write_all_owned: MSG_WAITALL, the kernel goes on after a partial send (polling the socket
  // itself), so the whole buffer takes one SQE; short only with an error after progress.
  submit_send(s, op.owned.data() + off, op.owned.size() - off, all ? MSG_NOSIGNAL | MSG_WAITALL : MSG_NOSIGNAL,
              waker, ticket);
  return Pending;
}

Poll<Result<std::size_t>> poll_write_owned_impl(UringSocket& s, const Waker& waker, OwnedBuffer& buf,
                                                std::size_t off, std::uint64_t* ticket, bool all) noexcept {
  if (!s.ring->owner_thread_here()) [[unlikely]] {
    return off_owner_thread(s, [&] { return poll_write_owned_body(s, waker, buf, off, ticket, all); });
  }
  return poll_write_owned_body(s, waker, buf, off, ticket, all);
}

template <class Send>
[[gnu::always_inline]] inline Result<std::size_t> try_write_body(UringSocket& s, Send& send) noexcept {
  if (s.send && s.send->in_ring()) return io::would_block_error();
  // No send in the ring: a direct send keeps the byte order.
  if (!s.readiness()) return send();
  return s.readiness()->try_io(Interest::WRITABLE, send);
}

template <class Send>
Result<std::size_t> try_write_impl(PollEvented& io, Send send) noexcept {
  if (!io.uring()) return io::would_block_error();  // epoll mode, nothing ready
  UringSocket& s = *io.uring();
  if (!s.ring->owner_thread_here()) [[unlikely]] return off_owner_thread(s, [&] { return try_write_body(s, send); });
  return try_write_body(s, send);
}

}  // namespace

void UringSendOp::on_cqe(int res, unsigned flags, bool more) noexcept {
  if ((flags & IORING_CQE_F_NOTIF) != 0) {
    // SEND_ZC's last CQE: the kernel has let go of the bytes.
    if ((static_cast<std::uint32_t>(res) & kZcCopied) != 0) {
      metrics->incr_uring_send_zc_copied();
      // The kernel copied the bytes after all (loopback always does, when it delivers to the
      // local socket): zero copy only costs here (the pinning, the second CQE), so this
      // socket's later sends use SEND. The MSG_ZEROCOPY documentation advises the same.
      if (!g_zc_keep_when_copied.load(std::memory_order_relaxed)) zc_copies = true;
    }
  } else {
    send_res = res;  // the send's own CQE (for SEND_ZC, F_MORE says a notification follows)
  }
  if (!more && owned_abandoned) {
    owned.reset();
    owned_abandoned = false;
  }
}

// Reached through the shutdown test of PollEvented::poll_stream (the poll functions) or its
// try_stream's "nothing ready" test (the try functions): in epoll mode that means the driver
// shut down, or nothing is ready.
Poll<Result<std::size_t>> uring_poll_write(PollEvented& io, const Waker& waker, ConstBuffer buf,
                                           std::uint64_t* ticket, bool all) noexcept {
  if (!io.uring()) return Result<std::size_t>(Error::shutdown);
  return poll_write_impl(io.uring(), waker, std::span<const ConstBuffer>(&buf, 1), ticket, all);
}
Poll<Result<std::size_t>> uring_poll_write_vectored(PollEvented& io, const Waker& waker,
                                                    std::span<const ConstBuffer> bufs, std::uint64_t* ticket) noexcept {
  if (!io.uring()) return Result<std::size_t>(Error::shutdown);
  return poll_write_impl(io.uring(), waker, bufs, ticket, false);
}
Poll<Result<std::size_t>> uring_poll_write_owned(PollEvented& io, const Waker& waker, OwnedBuffer& buf,
                                                 std::size_t off, std::uint64_t* ticket, bool all) noexcept {
  if (!io.uring()) return Result<std::size_t>(Error::shutdown);
  return poll_write_owned_impl(*io.uring(), waker, buf, off, ticket, all);
}
Result<std::size_t> uring_try_write(PollEvented& io, ConstBuffer buf) noexcept {
  return try_write_impl(io, [&] { return sys_send(io.fd(), buf, 0); });
}
Result<std::size_t> uring_try_write_vectored(PollEvented& io, std::span<const ConstBuffer> bufs) noexcept {
  return try_write_impl(io, [&] { return sys_send_vectored(io.fd(), bufs, 0); });
}

void set_send_zc_for_bench(std::size_t min, bool keep_when_copied) noexcept {
  g_send_zc_min.store(min == 0 ? kSendZcMin : min, std::memory_order_relaxed);
  g_zc_keep_when_copied.store(keep_when_copied, std::memory_order_relaxed);
}

void uring_write_owned_abandoned(PollEvented& io, std::uint64_t ticket) noexcept {
  if (!io.uring()) return;
  UringSocket& s = *io.uring();
  SocketLock lock(s);
  // From another thread the op is left as it is: the buffer is freed with the op.
  if (!s.send || !s.ring->owned_here()) return;
  UringSendOp& op = *s.send;
  if (op.seq != ticket || op.claimed) return;
  op.claimed = true;  // the result is dropped
  if (op.in_ring()) {
    op.owned_abandoned = true;  // the bytes go out; the buffer is freed at the last CQE
  } else {
    op.owned.reset();
  }
}

}  // namespace eddy::net::detail
