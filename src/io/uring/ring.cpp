#include "io/uring/ring.hpp"

#include <sys/eventfd.h>
#include <sys/utsname.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <span>

#include "eddy/error.hpp"
#include "io/detail/eventfd_signal.hpp"
#include "io/uring/fault_seam.hpp"

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

// Submission attempts per flush at a turn (EINTR, EAGAIN, EBUSY; then the next turn retries),
// and when a full SQ must be emptied to make room for a new SQE (then that op fails).
constexpr unsigned kTurnAttempts = 4;
constexpr unsigned kRoomAttempts = 64;
// Shutdown waits out refusals, 1 ms apart, at most this many times in a row.
constexpr unsigned kShutdownAttempts = 5000;

void sleep_1ms() noexcept {
  timespec ts{0, 1'000'000};
  ::nanosleep(&ts, nullptr);
}

}  // namespace

Result<std::unique_ptr<Ring>> Ring::create(const Config& config, IoDriverMetrics& metrics) {
  return create_with(config, metrics, RingMode::owner, -1);
}

Result<std::unique_ptr<Ring>> Ring::create_with(const Config& config, IoDriverMetrics& metrics, RingMode mode,
                                                int event_fd) {
  if (config.refuse_setup != 0) return errno_code(config.refuse_setup);
  install_preloaded_fault_hook();
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
  if (int f = injected_fault(EnterSite::register_)) return errno_code(f);
  if (int e = io_uring_register_eventfd(&r->ring_, r->event_fd_); e < 0) return errno_code(-e);
  return r;
}

std::error_code Ring::enable_sockets(const Config& config) {
  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  if (probe == nullptr) return errno_code(ENOSYS);
  bool all = true;
  // Multishot recv (IORING_RECV_MULTISHOT) is a flag of RECV, which the probe cannot see: a 5.19
  // kernel has RECV and provided-buffer rings but fails every multishot recv with EINVAL, which
  // would leave each socket's reads broken instead of on epoll. It came in 6.0 with SEND_ZC,
  // whose opcode the probe does report, so SEND_ZC stands for it.
  for (int op : {IORING_OP_RECV, IORING_OP_SEND, IORING_OP_ACCEPT, IORING_OP_ASYNC_CANCEL, IORING_OP_SEND_ZC}) {
    if (op == config.refuse_opcode || !io_uring_opcode_supported(probe, op)) all = false;
  }
  io_uring_free_probe(probe);
  if (!all) return errno_code(ENOSYS);
  {  // SEND_ZC's usage report (6.2+) is an SQE flag: no probe covers it, the version does.
    utsname u{};
    unsigned major = 0, minor = 0;
    if (::uname(&u) == 0 && std::sscanf(u.release, "%u.%u", &major, &minor) == 2) {
      send_zc_report_ = major > 6 || (major == 6 && minor >= 2);
    }
  }
  if (auto e = BufRing::create(ring_, config.recv_buffers, config.recv_buffer_size, bufs_)) return e;
  // A shared ring has no owner thread: every lease comes back through the BufRing's remote list
  // and its eventfd, and RingSet takes the returns back under the ring's lock.
  if (shared_) bufs_->set_owner(nullptr, event_fd_);
  return {};
}

Ring::~Ring() {
  close_ring();
  // The kernel is done with the ring: the watch (which only it could have completed) can go.
  if (watch_) watch_->ring_ref_.reset();
}

void Ring::close_ring() noexcept {
  if (ring_made_) {
    io_uring_queue_exit(&ring_);
    ring_made_ = false;
  }
  // After the exit: the kernel no longer names the buffers. Leases still out keep the memory.
  BufRing::retire(std::move(bufs_));
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
        // Refused (or a fault injected): not claimed; the caller uses the pool, a later claim retries.
        if (injected_fault(EnterSite::register_) != 0) return false;
        if (io_uring_register(ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0) return false;
      }
      owner_ = &tl_thread_tag;
      if (bufs_) bufs_->set_owner(owner_, event_fd_);
      claimed_.store(true, std::memory_order_release);
    }
  }
  return open_ && (shared_ || owner_ == &tl_thread_tag);
}

io_uring_sqe* Ring::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe != nullptr) [[likely]] return sqe;
  // The SQ is full: hand it to the kernel (SUBMIT_ALL, or the loop in submit_pending, empties
  // it), retrying transient refusals a bounded number of times.
  const int refused = submit_pending(kRoomAttempts);
  sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) refusal_ = refused != 0 ? refused : EBUSY;
  return sqe;
}

io_uring_sqe* Ring::prepare(const std::shared_ptr<Op>& op, bool metered) {
  io_uring_sqe* sqe = get_sqe();
  // A re-armed op (a multishot recv or accept whose last CQE came) starts afresh.
  op->done_ = false;
  op->cancel_sent_ = false;
  op->ring_ref_ = op;
  ++in_flight_;
  if (metered) metrics_.incr_uring_submitted();
  if (sqe == nullptr) [[unlikely]] {
    // No room, and the kernel kept refusing to take the SQ: the op fails with the refusal's
    // errno, delivered at the next reap like a CQE (its waiter is registered by then). The
    // caller fills in a scratch SQE that is never submitted.
    queue_failed(*op, refusal_);
    std::memset(scratch_, 0, sizeof scratch_);
    auto* scratch = reinterpret_cast<io_uring_sqe*>(scratch_);
    io_uring_sqe_set_data(scratch, op.get());
    return scratch;
  }
  io_uring_sqe_set_data(sqe, op.get());
  ++pending_;
  return sqe;
}

void Ring::cancel(Op& op) {
  // Only the owner may touch the SQ. From another thread the op simply runs to its end (its
  // state lives until then either way).
  if (op.done_ || op.cancel_sent_ || !op.ring_ref_ || !open_ || !owned_here()) return;
  io_uring_sqe* sqe = get_sqe();
  // No room and the kernel refusing: the op runs to its end, as from another thread.
  if (sqe == nullptr) [[unlikely]] return;
  op.cancel_sent_ = true;
  io_uring_prep_cancel(sqe, &op, 0);
  io_uring_sqe_set_data64(sqe, kCancelTag);
  ++pending_;
  ++cancels_;
  metrics_.incr_uring_cancelled();
}

void Ring::flush() { submit_pending(kTurnAttempts); }

void Ring::signal_event_fd() const noexcept {
  // A failure for good (a broken eventfd) leaves the SQEs for the worker's next flush.
  if (event_fd_ >= 0) (void)io::detail::signal_eventfd(event_fd_);
}

int Ring::submit_pending(unsigned attempts) {
  while (pending_ != 0) {
    const int fault = injected_fault(EnterSite::submit);
    const int n = fault != 0 ? -fault : io_uring_submit(&ring_);
    if (n >= 0) {
      pending_ -= static_cast<std::uint32_t>(n) > pending_ ? pending_ : static_cast<std::uint32_t>(n);
      // With SUBMIT_ALL the kernel takes every SQE. Without it, it stops after an SQE that fails
      // to submit (that SQE's error arrives as its CQE) and the loop submits the rest. Taking
      // none at all would loop forever: the count is dropped, and the SQEs still in the ring go
      // with the next submit.
      if (n == 0) pending_ = 0;
      continue;
    }
    // A refusal took no SQE (the kernel returns an error only when it consumed none).
    const int e = -n;
    refusal_ = e;
    if (e != EINTR && e != EAGAIN && e != EBUSY) {
      // ENOMEM and anything else: the ops whose SQEs are still queued fail with it.
      fail_unsubmitted(e);
      return pending_ != 0 ? e : 0;
    }
    // EINTR: a signal, try again. EAGAIN (no resources for more requests) and EBUSY (completions
    // overflowed the CQ): reap, which frees both, then try again. The SQEs stay queued; after
    // `attempts` refusals the next turn retries (the driver caps its wait meanwhile).
    if (--attempts == 0) return e;
    if (e != EINTR) reap();
  }
  return 0;
}

void Ring::queue_failed(Op& op, int err) noexcept {
  op.failed_errno_ = err;
  op.failed_next_ = nullptr;
  if (failed_tail_ == nullptr) {
    failed_head_ = &op;
  } else {
    failed_tail_->failed_next_ = &op;
  }
  failed_tail_ = &op;
}

void Ring::fail_unsubmitted(int err) noexcept {
  // Without SQPOLL the kernel reads the SQ only inside io_uring_enter, so every SQE from its
  // head to liburing's tail (published or not) is one it has not seen. Each op's SQE becomes a
  // NOP tagged like a cancel (its CQE is counted and dropped), so the kernel never names the op,
  // and the op fails with `err` at the next reap. Cancel SQEs stay as they are: the op a cancel
  // names may be gone by now, so it cannot be told; the cancel is retried with the next flush.
  io_uring_sq& sq = ring_.sq;
  const unsigned head = io_uring_smp_load_acquire(sq.khead);
  for (unsigned i = head; i != sq.sqe_tail; ++i) {
    io_uring_sqe* sqe = &sq.sqes[sq.array[i & sq.ring_mask]];
    if (sqe->user_data == kCancelTag) continue;
    Op* op = reinterpret_cast<Op*>(static_cast<std::uintptr_t>(sqe->user_data));
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, kCancelTag);
    ++cancels_;
    queue_failed(*op, err);
  }
}

void Ring::finish(Op& op, int res, unsigned flags) noexcept {
  op.on_cqe(res, flags, false);
  op.res_ = res;
  op.done_ = true;
  --in_flight_;
  Waker w = std::move(op.waker_);
  std::shared_ptr<Op> keep = std::move(op.ring_ref_);  // may free the op: after the wake
  w.wake();
}

std::size_t Ring::reap() {
  std::size_t completed = 0;  // ops whose last CQE came (the metric)
  // CQEs a multishot op took while staying in the ring (bytes, a connection): not completions
  // for the metric, but deliveries, which the caller must count as work done. The multi-thread
  // worker's park skips its sleep only when its flush delivered something (it woke a task into
  // its own queue): counting completions alone, a worker whose flush delivered an accepted
  // connection slept with the woken task in its queue.
  std::size_t delivered = 0;
  // Ops whose SQEs the kernel refused: completed first, in order, as their CQEs would have been.
  while (Op* op = failed_head_) {
    failed_head_ = op->failed_next_;
    if (failed_head_ == nullptr) failed_tail_ = nullptr;
    op->failed_next_ = nullptr;
    if (op != watch_.get()) ++completed;
    finish(*op, -op->failed_errno_, 0);
  }
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
      if (more) {
        op->on_cqe(cqe->res, cqe->flags, true);
        ++delivered;  // (the epoll watch's too: its CQE is work for the driver as well)
        // A multishot op stays in the ring (its ring_ref_ keeps it); its waiter is woken for
        // each CQE and re-registers when it waits again.
        Waker w = std::move(op->waker_);
        w.wake();
        continue;
      }
      if (op != watch_.get()) ++completed;
      finish(*op, cqe->res, cqe->flags);
    }
    io_uring_cq_advance(&ring_, seen);
    // Completions the CQ had no room for wait in the kernel; entering with GETEVENTS flushes
    // them into the CQ (FEAT_NODROP, 5.5+). Loop until none is left behind.
    if (!io_uring_cq_has_overflow(&ring_)) break;
    metrics_.incr_uring_overflow();
    if (get_events() < 0) break;  // refused: the next turn retries (events_owed_)
  }
  metrics_.incr_uring_completed_by(completed);
  return completed + delivered;
}

std::size_t Ring::drain() {
  // DEFER_TASKRUN: completions are task work of the owner, run only when it enters the kernel
  // asking for events.
  events_owed_ = false;
  if ((flags_ & IORING_SETUP_DEFER_TASKRUN) && (in_flight_ | cancels_) != 0) get_events();
  return reap();
}

int Ring::get_events() noexcept {
  // Refused (EINTR, EAGAIN, EBUSY, ENOMEM...): the completions stay with the kernel, and the
  // eventfd's edge that announced them is spent, so the driver must not wait for another: it
  // caps its next wait and enters again (must_retry()). Nothing is lost; the work is only late.
  const int fault = injected_fault(EnterSite::get_events);
  const int rc = fault != 0 ? -fault : io_uring_get_events(&ring_);
  if (rc < 0) [[unlikely]] {
    events_owed_ = true;
    refusal_ = -rc;
  }
  return rc;
}

// The epoll watch: a multishot poll of the driver's epoll fd. Each CQE says "epoll has
// something" (or, with an error, "look anyway"); its last CQE (ended by the kernel, or
// cancelled at shutdown) leaves it to be re-armed by the next park.
class EpollWatch final : public Op {
 public:
  explicit EpollWatch(Ring& ring) noexcept : ring_(ring) {}

 protected:
  void on_cqe(int /*res*/, unsigned /*flags*/, bool more) noexcept override {
    ring_.epoll_signal_ = true;
    if (!more) ring_.watch_armed_ = false;
  }

 private:
  Ring& ring_;
};

bool Ring::watch_epoll(int epoll_fd) noexcept {
  // Without EXT_ARG (5.11) a timed wait would need a timeout SQE of liburing's own.
  if (shared_ || !open_ || watch_ || !owned_here() || (ring_.features & IORING_FEAT_EXT_ARG) == 0) return false;
  if (injected_fault(EnterSite::register_) != 0) return false;
  if (io_uring_unregister_eventfd(&ring_) < 0) return false;
  watch_ = std::make_shared<EpollWatch>(*this);
  watch_fd_ = epoll_fd;
  arm_watch();
  return true;
}

// Unmetered: the watch is the driver's, not an operation of the program's, so the
// submitted/completed/in-flight counters never see it. Refused (no SQE to be had): the watch
// completes with the errno at the next reap, setting the epoll signal so the driver looks at
// epoll, and the park after that arms it again.
void Ring::arm_watch() noexcept {
  io_uring_prep_poll_multishot(prepare(watch_, /*metered=*/false), watch_fd_, POLLIN);
  watch_armed_ = true;
}

long Ring::park(long long timeout_ns) {
  // Model: models/ring_park.pml P1 (arming polls the epoll fd's mask at once), P2 (the wait),
  // P3 (the reap).
  if (open_ && !watch_armed_) arm_watch();
  submit_pending(kTurnAttempts);
  // Refused ops complete at the reap below; CQEs may already wait: no sleeping then.
  if (failed_head_ != nullptr || must_retry() || io_uring_cq_ready(&ring_) != 0) timeout_ns = 0;
  __kernel_timespec ts{};
  __kernel_timespec* tsp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1'000'000'000;
    ts.tv_nsec = timeout_ns % 1'000'000'000;
    tsp = &ts;
  }
  events_owed_ = false;
  const int fault = injected_fault(EnterSite::park);
  io_uring_cqe* cqe = nullptr;
  // With DEFER_TASKRUN, entering to wait runs the deferred completion work: even a zero
  // timeout brings in what is ready.
  const int rc = fault != 0 ? -fault : io_uring_wait_cqe_timeout(&ring_, &cqe, tsp);
  const bool refused = rc < 0 && rc != -ETIME && rc != -EINTR;
  if (refused) [[unlikely]] {
    events_owed_ = true;  // the completions stay with the kernel: the driver comes back soon
    refusal_ = -rc;
  }
  const std::size_t n = reap();
  return refused ? -1 : static_cast<long>(n);
}

void Ring::shutdown() {
  if (!open_) {
    close_ring();
    return;
  }
  if (!shared_ && claimed_.load(std::memory_order_acquire) && owner_ != &tl_thread_tag && watch_armed_ &&
      in_flight_ == 1 && cancels_ == 0 && failed_head_ == nullptr) {
    // Only the epoll watch is in flight: a poll names no memory of ours (the kernel holds the
    // epoll fd, and the op only as a tag), so the ring may close without its last CQE.
    close_ring();
    in_flight_ = 0;
    pending_ = 0;
    watch_armed_ = false;
    watch_->ring_ref_.reset();
    return;
  }
  if (!shared_ && claimed_.load(std::memory_order_acquire) && owner_ != &tl_thread_tag &&
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
  bool cancel_any = in_flight_ != 0;
  open_ = false;  // no new work from here on; cancel() is a no-op
  // Every refusal below is waited out, 1 ms apart, but not forever: after kShutdownAttempts in
  // a row the ops are leaked as in the case above, since freeing them could let the kernel
  // write into freed memory.
  unsigned refusals = 0;
  while (busy() || cancel_any) {
    if (cancel_any) {
      if (io_uring_sqe* sqe = get_sqe()) {
        io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
        io_uring_sqe_set_data64(sqe, kCancelTag);
        ++pending_;
        ++cancels_;
        cancel_any = false;
      }
    }
    const bool submitted = submit_pending(kTurnAttempts) == 0;
    drain();  // refused ops complete here, and so does anything already done
    if ((in_flight_ | cancels_) == 0) break;
    int rc = 0;
    if (submitted && !cancel_any) {
      // Blocks until at least one CQE is there (runs deferred task work first, so it also
      // brings in what a refused get_events left with the kernel).
      const int fault = injected_fault(EnterSite::wait_cqe);
      io_uring_cqe* cqe = nullptr;
      rc = fault != 0 ? -fault : io_uring_wait_cqe(&ring_, &cqe);
      if (rc == 0 || rc == -ETIME) {
        refusals = 0;
        continue;
      }
    }
    if (++refusals > kShutdownAttempts) {
      std::fprintf(stderr,
                   "eddy: io_uring: the kernel kept refusing the ring during shutdown (%s); the buffers "
                   "of %u operations are leaked\n",
                   std::strerror(rc != 0 ? -rc : refusal_), in_flight_);
      break;
    }
    sleep_1ms();
  }
  close_ring();
}

}  // namespace eddy::io::uring
