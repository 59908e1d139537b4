// The multi-thread runtime's io_uring: n shared-mode rings (RingMode::shared; by default one for
// all workers, Builder::uring_rings), each behind its own lock, all signalling one eventfd that
// the I/O driver polls under ReservedToken::uring. docs/io-uring.md, "The multi-thread runtime".
//
// Who does what:
// - A task submits to the ring of the worker that polls it (ring index % n), under
//   that slot's lock; the SQE waits there (batched) until that worker flushes the ring, which
//   it does before every park and every periodic driver poll (flush_and_reap), and then reaps
//   what completed inside the submit (a cached read). So a worker never sleeps on a submission
//   it has not made.
// - Completions that come later (a FIFO's data, a read the kernel ran in its workers) signal
//   the eventfd; whichever thread turns the driver drains every ring (drain_all). The waker of
//   each op is thread-safe: the task may run on any worker by then.
// - An op's state (done, result, waker, cancel flag) is touched only under its slot's lock: by
//   the submitter, the awaiting task's poll and destructor (on any worker) and the reaper.
// - Any thread may cancel an op in any ring (under its lock); the cancel is flushed at once, as
//   its ring's worker may be asleep. If the kernel refuses that flush, the canceller fires the
//   eventfd and the driver's holder flushes it (drain_all), every 1 ms until the kernel takes it.
//
// Invariant: a ring is closed (shutdown) only after every op in it and every cancel has its CQE
// (Ring::shutdown), so the kernel never writes memory eddy has freed.
#pragma once

#include <cstddef>
#include <memory>
#include <system_error>
#include <vector>

#include "eddy/detail/sync.hpp"
#include "eddy/io/metrics.hpp"
#include "eddy/result.hpp"
#include "io/uring/ring.hpp"

namespace eddy::io::uring {

class RingSet {
 public:
  struct Slot {
    eddy::detail::sync::Mutex mutex;
    std::unique_ptr<Ring> ring;  // guarded by mutex (the pointer itself is immutable)
  };

  // `config.rings` shared-mode rings, probed like the owner-mode ring, all registering one
  // eventfd (event_fd(), owned here). Errors as Ring::create's; nothing is left behind.
  static Result<std::unique_ptr<RingSet>> create(const Config& config, IoDriverMetrics& metrics);
  ~RingSet();
  RingSet(const RingSet&) = delete;
  RingSet& operator=(const RingSet&) = delete;

  // The ring for worker `index` (several workers share one when there are fewer rings).
  // Socket mode on every ring (Ring::enable_sockets: the socket opcodes, a provided-buffer
  // ring each). Errors: the first ring's refusal; the rings then still serve files.
  std::error_code enable_sockets(const Config& config);
  Slot& slot(std::size_t index) noexcept { return *slots_[index % slots_.size()]; }
  std::size_t size() const noexcept { return slots_.size(); }
  int event_fd() const noexcept { return event_fd_; }

  // Worker `index`, before it parks or polls the driver: gives its ring's pending SQEs to the
  // kernel and reaps every completion there (waking their tasks). Returns the CQEs delivered;
  // `retry` says the kernel refused something (Ring::must_retry) and the worker must not sleep
  // for more than 1 ms.
  std::size_t flush_and_reap(std::size_t index, bool& retry);
  // The driver, when the eventfd fired (or `retry` was left true by the last call): gives each
  // ring's pending SQEs to the kernel (a cancel whose own flush was refused) and reaps every
  // ring. Returns the CQEs delivered; `retry` says a ring still needs the kernel again (a
  // refusal), and the driver then waits at most 1 ms before calling again.
  std::size_t drain_all(bool& retry);
  // Cancels everything in flight in every ring, waits for every CQE, closes the rings. After
  // every worker has stopped. Idempotent.
  void shutdown();

 private:
  RingSet() = default;
  std::vector<std::unique_ptr<Slot>> slots_;
  int event_fd_ = -1;
};

}  // namespace eddy::io::uring
