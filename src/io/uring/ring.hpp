// One io_uring per I/O driver (no process-wide state, no lock): its setup with fallback flags,
// the opcode probe, submission batching, completion draining, cancellation and shutdown.
//
// Ownership. The ring is created disabled (IORING_SETUP_R_DISABLED) by Builder::build, and
// enabled by the first thread that claims it (claim()): that thread is the ring's owner for
// good (the kernel's SINGLE_ISSUER submitter). Only the owner submits, reaps and cancels; a
// claim from any other thread returns false and the caller uses the blocking pool instead. In
// the current-thread runtime the owner is the thread running block_on, which also parks the
// driver, so every ring call happens on one thread and needs no lock.
//
// Invariants: `in_flight_` counts ops whose CQE has not been reaped (each holds its ring_ref),
// including refused ops waiting on the failed list for their synthetic completion;
// `cancels_` counts SQEs tagged kCancelTag whose CQE has not been reaped (cancels, and the NOPs
// that replace refused SQEs); `pending_` counts SQEs not yet given to the kernel. The driver
// flushes pending SQEs before it waits, and when the kernel refuses the flush or the reap
// (must_retry()) it caps its wait at 1 ms, so a turn never sleeps on a submission it has not
// made or on completions it was refused. The ring is closed only when in_flight_ and cancels_
// are both 0 (shutdown() waits for that), so the kernel never writes into memory eddy has
// freed. Every call into the kernel goes through the fault seam (fault_seam.hpp); what the ring
// does with each refusal is in docs/io-uring.md, "Each kind of refusal".
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <system_error>
#include <thread>

#include "eddy/detail/sync.hpp"
#include "eddy/io/metrics.hpp"
#include "eddy/result.hpp"
#include "io/uring/buf_ring.hpp"
#include "io/uring/op.hpp"

namespace eddy::io::uring {

// One per thread; its address identifies the thread (Ring::owned_here). Like a thread id, the
// address of an exited thread's tag may be reused by a later thread.
inline thread_local char tl_thread_tag = 0;

// How the ring is made; the test seams force each kind of refusal.
struct Config {
  unsigned entries = 256;
  // Test seam: when non-zero, setup fails with this errno as the kernel would (ENOSYS: no
  // io_uring; EPERM: seccomp or io_uring_disabled; ENOMEM: locked-memory limit).
  int refuse_setup = 0;
  // Test seam: the probe reports this opcode missing (-1: none). A file opcode refuses the
  // whole ring; a socket opcode (RECV, SEND, ACCEPT) refuses socket mode only; SEND_ZC only
  // makes large sends use SEND.
  int refuse_opcode = -1;
  // What the ring is for: files (probe the file opcodes) and/or sockets (enable_sockets).
  bool files = true;
  bool sockets = false;
  // Socket mode is required (Builder::io_backend(io_uring)): its refusal fails the driver's
  // creation instead of leaving sockets on epoll.
  bool sockets_required = false;
  // Provided buffers for multishot recv in socket mode: how many (a power of two) and their size.
  unsigned recv_buffers = 1024;
  unsigned recv_buffer_size = 4096;
  // The multi-thread runtime's rings (io/uring/ring_set.hpp): how many (0: one owner-thread ring,
  // the current-thread runtime's). Each is then made in shared mode (below).
  unsigned rings = 0;
};

// How a ring may be entered. `owner`: one thread, the first to claim it, with SINGLE_ISSUER and
// DEFER_TASKRUN (the current-thread runtime). `shared`: any thread, one at a time, the caller
// serialising every call with the ring's lock (RingSet); no SINGLE_ISSUER, DEFER_TASKRUN or
// COOP_TASKRUN, so a completion's task work wakes its submitter wherever it sleeps and posts the
// CQE without anyone entering the ring.
enum class RingMode : std::uint8_t { owner, shared };

class Ring {
 public:
  // Creates the ring (retrying with fewer setup flags on EINVAL), probes the opcodes eddy uses,
  // and registers an eventfd the kernel signals on completions: `*event_fd` (owned by the ring),
  // for the driver to poll. Errors: the setup's errno, or ENOSYS naming a missing opcode.
  static Result<std::unique_ptr<Ring>> create(const Config& config, IoDriverMetrics& metrics);
  // A ring in `mode`, registering `event_fd` (not owned: the caller closes it after the ring)
  // instead of an eventfd of its own.
  static Result<std::unique_ptr<Ring>> create_with(const Config& config, IoDriverMetrics& metrics, RingMode mode,
                                                   int event_fd);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Socket mode: probes RECV, SEND, ACCEPT and SEND_ZC (which also stands for multishot recv:
  // both came in kernel 6.0), and registers the provided-buffer ring that multishot recv selects
  // from. Errors: ENOSYS for a missing opcode, or the kernel's (EINVAL: no provided-buffer
  // rings, before 5.19). On error the ring stays usable for files. So a socket on the ring can
  // always send with SEND_ZC.
  std::error_code enable_sockets(const Config& config);
  // SEND_ZC takes IORING_SEND_ZC_REPORT_USAGE (6.2+: its notification says whether the kernel
  // copied the bytes after all). No probe covers SQE flags: known from the kernel's version.
  bool send_zc_report_usage() const noexcept { return send_zc_report_; }
  IoDriverMetrics& metrics() noexcept { return metrics_; }
  // The provided buffers (socket mode), or null.
  BufRing* buffers() const noexcept { return bufs_.get(); }
  // The driver, when the ring's eventfd fired: takes back the leased buffers other threads
  // returned (BufRing::lease_return wakes it through the eventfd for that).
  void take_lease_returns() noexcept {
    if (bufs_ != nullptr && bufs_->has_remote_returns() && owned_here()) bufs_->take_remote_returns();
  }

  int event_fd() const noexcept { return event_fd_; }
  // Fires the ring's eventfd, as a completion would. For a shared ring whose flush was refused
  // on a thread that is not its worker (a cancel: RingWait): the worker may sleep on, so this
  // wakes whoever turns the driver, and RingSet::drain_all gives the SQEs to the kernel.
  void signal_event_fd() const noexcept;
  unsigned setup_flags() const noexcept { return flags_; }

  // True when the calling thread may submit: it owns the ring (the first claim enables the ring
  // and makes the caller its owner) and the ring is open.
  bool claim() noexcept;
  bool is_open() const noexcept { return open_; }
  // A shared ring's lock (its RingSet slot's mutex), which every call on the ring holds; null
  // for an owner-mode ring. Set once by RingSet::create, before the ring is used.
  eddy::detail::sync::Mutex* shared_lock() const noexcept { return shared_lock_; }
  void set_shared_lock(eddy::detail::sync::Mutex* m) noexcept { shared_lock_ = m; }
  // The calling thread is the ring's owner (the driver touches the ring only then).
  // A shared ring: always (the caller holds its lock).
  bool owned_here() const noexcept {
    return claimed_.load(std::memory_order_acquire) && (shared_ || owner_ == &tl_thread_tag);
  }
  // An owner-mode ring, and the calling thread is its owner (false for a shared ring, whose
  // callers take its lock instead): the completion-mode sockets' first test, which sends both
  // other cases down one out-of-line path (net/uring_socket.hpp, off_owner_thread).
  bool owner_thread_here() const noexcept {
    return claimed_.load(std::memory_order_acquire) && owner_ == &tl_thread_tag;
  }

  // Owner thread only. An SQE for `op`, already tagged with it; the caller fills in the opcode.
  // The ring now holds `op` until its CQE.
  // `metered`: counted in the submitted/completed metrics (all but the driver's epoll watch).
  io_uring_sqe* prepare(const std::shared_ptr<Op>& op, bool metered = true);
  // Owner thread only. Asks the kernel to cancel `op` if it is still in the ring; its CQE still
  // comes (with -ECANCELED or its result) and only then does the ring drop its reference.
  void cancel(Op& op);

  // Anything for the driver to do (cheap: three integers).
  bool busy() const noexcept { return (pending_ | in_flight_ | cancels_) != 0; }
  // Refused ops wait for the next drain() to complete them (so the driver must not sleep).
  bool has_failed() const noexcept { return failed_head_ != nullptr; }
  // The kernel refused the last flush (SQEs still pending) or the last drain's get_events
  // (completions still in the kernel): the driver enters again soon instead of sleeping.
  bool must_retry() const noexcept { return pending_ != 0 || events_owed_; }
  bool has_pending() const noexcept { return pending_ != 0; }
  // Completions are waiting in the CQ (no syscall).
  bool cq_ready() noexcept { return io_uring_cq_ready(&ring_) != 0; }
  std::uint32_t in_flight() const noexcept { return in_flight_; }

  // Gives pending SQEs to the kernel (one io_uring_enter). Refused with EINTR, EAGAIN or EBUSY
  // (after reaping), a few times: the SQEs stay pending for the next turn. Refused with anything
  // else (ENOMEM...): the ops whose SQEs were not consumed fail with that errno at the next reap.
  void flush();
  // Runs the kernel's deferred completion work, then reaps every CQE (completing its op and
  // waking its waiter), handling a CQ overflow; refused ops complete first. Returns the CQEs
  // delivered: ops completed, and a multishot op's CQEs that leave it in the ring.
  std::size_t drain();
  // Cancels everything in flight, waits for every CQE, then closes the ring. Owner thread (or
  // any thread if the ring was never claimed). Idempotent.
  void shutdown();

  // Parking on the ring (docs/io-uring.md, "Parking"). Owner thread only.
  //
  // watch_epoll: the driver's epoll fd joins the ring as a multishot poll and the ring's eventfd
  // is unregistered (else each completion would signal the eventfd, which is in the epoll set,
  // whose poll completion would signal it again). From then on the driver parks in park(): one
  // io_uring_enter waits for a completion, runs the kernel's deferred work and brings the CQEs,
  // where parking in epoll_wait took that call and an io_uring_enter. False (nothing changed)
  // when the kernel refuses the unregister or the ring is not an owner-mode one.
  bool watch_epoll(int epoll_fd) noexcept;
  bool watching() const noexcept { return watch_ != nullptr; }
  // Flushes, then waits up to `timeout_ns` (< 0: no limit; 0: no wait) for one completion, and
  // reaps. Returns the CQEs delivered (as drain()), or -1 when the kernel refused the wait (the caller then
  // sleeps elsewhere, at most 1 ms: see Driver::turn). A completion of the epoll watch sets the
  // flag take_epoll_signal() returns; the watch is re-armed here if the kernel ended it.
  long park(long long timeout_ns);
  bool take_epoll_signal() noexcept {
    const bool s = epoll_signal_;
    epoll_signal_ = false;
    return s;
  }

 private:
  Ring(IoDriverMetrics& metrics) noexcept : metrics_(metrics) {}
  // An SQE, flushing a full SQ first; null when the kernel keeps refusing to take it.
  io_uring_sqe* get_sqe();
  // Submits pending SQEs, trying at most `attempts` times through transient refusals. Returns 0,
  // or the errno of the refusal that left SQEs pending.
  int submit_pending(unsigned attempts);
  // The ops whose SQEs the kernel has not consumed fail with `err` (their SQEs become NOPs).
  void fail_unsubmitted(int err) noexcept;
  void queue_failed(Op& op, int err) noexcept;
  // An op's last completion: on_cqe, result, wake, and the ring's reference dropped.
  void finish(Op& op, int res, unsigned flags) noexcept;
  int get_events() noexcept;
  std::size_t reap();
  void close_ring() noexcept;
  void arm_watch() noexcept;
  friend class EpollWatch;

  static constexpr std::uint64_t kCancelTag = 0;

  io_uring ring_{};
  std::unique_ptr<BufRing> bufs_;  // socket mode; unmapped after the ring is closed
  IoDriverMetrics& metrics_;
  int event_fd_ = -1;
  bool owns_event_fd_ = true;
  bool send_zc_report_ = false;
  bool shared_ = false;  // RingMode::shared: claimed from the start, any thread under the caller's lock
  eddy::detail::sync::Mutex* shared_lock_ = nullptr;  // RingMode::shared: the RingSet slot's mutex
  unsigned flags_ = 0;
  bool open_ = false;
  bool ring_made_ = false;
  // Set once, by the first claim, under claim_mutex_; `claimed_` (release) publishes owner_.
  eddy::detail::sync::Atomic<bool> claimed_{false};
  eddy::detail::sync::Mutex claim_mutex_;
  // The owner thread, named by the address of its tl_thread_tag: a TLS address compare is two
  // instructions where std::this_thread::get_id() is a call (pthread_self), and owned_here() runs
  // on every completion-mode socket call.
  const char* owner_ = nullptr;
  std::uint32_t pending_ = 0;
  std::uint32_t in_flight_ = 0;
  std::uint32_t cancels_ = 0;
  // Refused ops, in order, linked through Op::failed_next_ (each still holds its ring_ref_).
  Op* failed_head_ = nullptr;
  Op* failed_tail_ = nullptr;
  int refusal_ = 0;           // the errno of the last refused submission
  bool events_owed_ = false;  // the last get_events was refused
  // Parking on the ring: the epoll watch (an Op held here and, while armed, by the ring too),
  // whether it is in the ring, and whether it completed since the driver last looked.
  std::shared_ptr<Op> watch_;
  int watch_fd_ = -1;
  bool watch_armed_ = false;
  bool epoll_signal_ = false;
  // What prepare() hands out when no SQE can be had (raw bytes: the struct ends in a
  // zero-size array, which may not be a member).
  alignas(io_uring_sqe) unsigned char scratch_[sizeof(io_uring_sqe)] = {};
};

}  // namespace eddy::io::uring
