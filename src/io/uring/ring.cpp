#include "io/uring/ring.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <span>

#include "eddy/detail/fatal.hpp"
#include "eddy/error.hpp"

namespace eddy::io::uring {

namespace {

// The opcodes eddy's file operations need; a kernel without one of them gets the fallback.
constexpr int kRequiredOps[] = {IORING_OP_READ,    IORING_OP_WRITE,    IORING_OP_OPENAT,
                                IORING_OP_FSYNC,   IORING_OP_STATX,    IORING_OP_UNLINKAT,
                                IORING_OP_RENAMEAT, IORING_OP_MKDIRAT, IORING_OP_ASYNC_CANCEL};

// Setup flags, most wanted first. DEFER_TASKRUN needs SINGLE_ISSUER; both need the ring created
// disabled so that the owner is the thread that claims it, not the one that built the runtime.
// Never SQPOLL.
constexpr unsigned kFlagSets[] = {
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED |
        IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
    IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
    0,
};

// A shared ring (RingMode::shared): entered by several threads, so no SINGLE_ISSUER (and so no
// DEFER_TASKRUN); no COOP_TASKRUN either, so that a completion run as task work of a submitter
// that now sleeps elsewhere (on its condition variable, in epoll) interrupts that sleep and posts
// its CQE, which signals the eventfd the driver polls.
constexpr unsigned kSharedFlagSets[] = {IORING_SETUP_SUBMIT_ALL, 0};

std::error_code errno_code(int e) { return {e, std::system_category()}; }

}  // namespace

Result<std::unique_ptr<Ring>> Ring::create(const Config& config, IoDriverMetrics& metrics) {
  return create_with(config, metrics, RingMode::owner, -1);
}

Result<std::unique_ptr<Ring>> Ring::create_with(const Config& config, IoDriverMetrics& metrics, RingMode mode,
                                                int event_fd) {
  if (config.refuse_setup != 0) return errno_code(config.refuse_setup);
  std::unique_ptr<Ring> r(new Ring(metrics));
  if (mode == RingMode::shared) {
    r->shared_ = true;
    r->claimed_.store(true, std::memory_order_release);  // no owner to wait for
  }
  int rc = -EINVAL;
  const std::span<const unsigned> sets = mode == RingMode::shared ? std::span<const unsigned>(kSharedFlagSets)
                                                                   : std::span<const unsigned>(kFlagSets);
  for (unsigned flags : sets) {
    io_uring_params p;
    std::memset(&p, 0, sizeof p);
    p.flags = flags;
    rc = io_uring_queue_init_params(config.entries, &r->ring_, &p);
    if (rc == 0) {
      r->flags_ = flags;
      break;
    }
    if (rc != -EINVAL) break;  // ENOSYS, EPERM, ENOMEM: no flag set will do better
  }
  if (rc != 0) return errno_code(-rc);
  r->ring_made_ = true;
  r->open_ = true;

  io_uring_probe* probe = io_uring_get_probe_ring(&r->ring_);
  if (probe == nullptr) return errno_code(ENOSYS);
  bool all = true;
  for (int op : kRequiredOps) {
    if (config.files && (op == config.refuse_opcode || !io_uring_opcode_supported(probe, op))) all = false;
  }
  io_uring_free_probe(probe);
  if (!all) return errno_code(ENOSYS);

  // The driver polls this eventfd, not the ring's fd: with DEFER_TASKRUN a completion is queued
  // as task work for the owner and the ring's fd does not become readable until that work runs
  // (measured on 6.18), while a registered eventfd is signalled when the work is queued.
  if (event_fd >= 0) {
    r->event_fd_ = event_fd;
    r->owns_event_fd_ = false;
  } else {
    r->event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->event_fd_ < 0) return last_error();
  }
  if (int e = io_uring_register_eventfd(&r->ring_, r->event_fd_); e < 0) return errno_code(-e);
  return r;
}

std::error_code Ring::enable_sockets(const Config& config) {
  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  if (probe == nullptr) return errno_code(ENOSYS);
  bool all = true;
  for (int op : {IORING_OP_RECV, IORING_OP_SEND, IORING_OP_ACCEPT, IORING_OP_ASYNC_CANCEL}) {
    if (op == config.refuse_opcode || !io_uring_opcode_supported(probe, op)) all = false;
  }
  io_uring_free_probe(probe);
  if (!all) return errno_code(ENOSYS);
  return BufRing::create(ring_, config.recv_buffers, config.recv_buffer_size, bufs_);
}

Ring::~Ring() { close_ring(); }

void Ring::close_ring() noexcept {
  if (ring_made_) {
    io_uring_queue_exit(&ring_);
    ring_made_ = false;
  }
  bufs_.reset();  // after the exit: the kernel no longer names the buffers
  open_ = false;
  if (event_fd_ >= 0) {
    if (owns_event_fd_) ::close(event_fd_);
    event_fd_ = -1;
  }
}

bool Ring::claim() noexcept {
  if (!claimed_.load(std::memory_order_acquire)) {
    eddy::detail::sync::LockGuard<eddy::detail::sync::Mutex> lock(claim_mutex_);
    if (!claimed_.load(std::memory_order_relaxed)) {
      if (flags_ & IORING_SETUP_R_DISABLED) {
        // Enabling makes this thread the kernel's single issuer. (liburing 2.3 declares
        // io_uring_enable_rings but does not export it: the register call is the same.)
        if (io_uring_register(ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0) return false;
      }
      owner_ = std::this_thread::get_id();
      claimed_.store(true, std::memory_order_release);
    }
  }
  return open_ && (shared_ || owner_ == std::this_thread::get_id());
}

io_uring_sqe* Ring::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe != nullptr) return sqe;
  // The SQ is full: hand it to the kernel (SUBMIT_ALL, or the loop below, empties it).
  flush();
  sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) eddy::detail::fatal("io_uring: no submission entry after a flush", EBUSY);
  return sqe;
}

io_uring_sqe* Ring::prepare(const std::shared_ptr<Op>& op) {
  io_uring_sqe* sqe = get_sqe();
  io_uring_sqe_set_data(sqe, op.get());
  // A re-armed op (a multishot recv or accept whose last CQE came) starts afresh.
  op->done_ = false;
  op->cancel_sent_ = false;
  op->ring_ref_ = op;
  ++pending_;
  ++in_flight_;
  metrics_.incr_uring_submitted();
  return sqe;
}

void Ring::cancel(Op& op) {
  // Only the owner may touch the SQ. From another thread the op simply runs to its end (its
  // state lives until then either way).
  if (op.done_ || op.cancel_sent_ || !op.ring_ref_ || !open_ || !owned_here()) return;
  op.cancel_sent_ = true;
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_cancel(sqe, &op, 0);
  io_uring_sqe_set_data64(sqe, kCancelTag);
  ++pending_;
  ++cancels_;
  metrics_.incr_uring_cancelled();
}

void Ring::flush() {
  while (pending_ != 0) {
    const int n = io_uring_submit(&ring_);
    if (n >= 0) {
      pending_ -= static_cast<std::uint32_t>(n) > pending_ ? pending_ : static_cast<std::uint32_t>(n);
      // With SUBMIT_ALL the kernel takes every SQE. Without it, it stops after an SQE that fails
      // to submit (that SQE's error arrives as its CQE) and the loop submits the rest. Taking
      // none at all would loop forever: the count is dropped, and the SQEs still in the ring go
      // with the next submit.
      if (n == 0) pending_ = 0;
      continue;
    }
    if (n == -EINTR) continue;
    if (n == -EBUSY || n == -EAGAIN) {
      // The kernel holds overflowed completions and refuses more work until they are reaped.
      reap();
      continue;
    }
    eddy::detail::fatal("io_uring_submit failed", -n);
  }
}

std::size_t Ring::reap() {
  std::size_t completed = 0;
  for (;;) {
    io_uring_cqe* cqe = nullptr;
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      const std::uint64_t tag = io_uring_cqe_get_data64(cqe);
      if (tag == kCancelTag) {
        --cancels_;
        continue;
      }
      Op* op = static_cast<Op*>(io_uring_cqe_get_data(cqe));
      const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
      op->on_cqe(cqe->res, cqe->flags, more);
      if (more) {
        // A multishot op stays in the ring (its ring_ref_ keeps it); its waiter is woken for
        // each CQE and re-registers when it waits again.
        Waker w = std::move(op->waker_);
        w.wake();
        continue;
      }
      op->res_ = cqe->res;
      op->done_ = true;
      --in_flight_;
      ++completed;
      Waker w = std::move(op->waker_);
      std::shared_ptr<Op> keep = std::move(op->ring_ref_);  // may free the op: after the wake
      w.wake();
    }
    io_uring_cq_advance(&ring_, seen);
    // Completions the CQ had no room for wait in the kernel; entering with GETEVENTS flushes
    // them into the CQ (FEAT_NODROP, 5.5+). Loop until none is left behind.
    if (!io_uring_cq_has_overflow(&ring_)) break;
    metrics_.incr_uring_overflow();
    io_uring_get_events(&ring_);
  }
  metrics_.incr_uring_completed_by(completed);
  return completed;
}

std::size_t Ring::drain() {
  // DEFER_TASKRUN: completions are task work of the owner, run only when it enters the kernel
  // asking for events.
  if ((flags_ & IORING_SETUP_DEFER_TASKRUN) && (in_flight_ | cancels_) != 0) io_uring_get_events(&ring_);
  return reap();
}

void Ring::shutdown() {
  if (!open_) {
    close_ring();
    return;
  }
  if (!shared_ && claimed_.load(std::memory_order_acquire) && owner_ != std::this_thread::get_id() &&
      (in_flight_ | cancels_) != 0) {
    // Only the owner may enter this ring (SINGLE_ISSUER, DEFER_TASKRUN). Freeing the ops now
    // would let the kernel finish a read into freed memory, so they are left alive (each keeps
    // itself through ring_ref_): a deliberate leak, said once, for a misuse (docs/io-uring.md).
    std::fputs("eddy: io_uring: runtime shut down on a thread that is not its ring's owner with "
               "operations in flight; their buffers are leaked\n", stderr);
    open_ = false;
    close_ring();
    return;
  }
  if (in_flight_ != 0) {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
    io_uring_sqe_set_data64(sqe, kCancelTag);
    ++pending_;
    ++cancels_;
  }
  open_ = false;  // no new work from here on; cancel() is a no-op
  while (busy()) {
    flush();
    if ((in_flight_ | cancels_) == 0) break;
    // Blocks until at least one CQE is there (runs deferred task work first).
    io_uring_cqe* cqe = nullptr;
    const int rc = io_uring_wait_cqe(&ring_, &cqe);
    if (rc < 0 && rc != -EINTR && rc != -ETIME) eddy::detail::fatal("io_uring_wait_cqe failed during shutdown", -rc);
    reap();
  }
  close_ring();
}

}  // namespace eddy::io::uring
