// The I/O driver: a reactor over a readiness backend (io/detail/selector.hpp; epoll today).
//
// `Driver` is owned by the one thread that parks (turns) it. `Handle` is shared by every thread
// (std::shared_ptr) and is how resources are registered, deregistered and how a sleeping driver
// is woken. Tokens: the reserved ones (the wake-up eventfd, the signal receiver; see the table
// in selector.hpp), every other token is the address of a ScheduledIo.
//
// One turn: free the resources whose release is pending, select, then for each event set the
// resource's readiness (bumping its tick) and wake its waiters, then count the events. The turn
// reports what it delivered (TurnReport), which is how the layers above learn of it.
//
// Private to the io layer and the layers above it (signal, time, runtime): users reach the
// driver only through the runtime (RuntimeHandle::io_handle() is an opaque pointer to them).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "eddy/detail/ref_ptr.hpp"
#include "eddy/interest.hpp"
#include "eddy/io/detail/scheduled_io.hpp"
#include "eddy/io/metrics.hpp"
#include "eddy/result.hpp"
#include "io/detail/selector.hpp"
#include "io/registration_set.hpp"
#include "io/uring/ring.hpp"
#include "io/uring/ring_set.hpp"

namespace eddy::io {

class Driver;

// What one turn delivered, for the layers above (the time driver's paused clock auto-advances
// only after a turn that delivered nothing; the signal layer drains its pipe after `signal`).
struct TurnReport {
  std::size_t events = 0;  // events dispatched to resources (reserved tokens not counted)
  bool signal = false;     // the signal receiver's token fired
  std::size_t completions = 0;  // io_uring operations completed
  bool delivered() const noexcept { return events != 0 || signal || completions != 0; }
};

class Handle {
 public:
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();

  // Registers `fd` (edge-triggered) and returns its ScheduledIo. On failure nothing is left
  // behind. Fails with Error::shutdown once the driver has shut down.
  Result<eddy::detail::RefPtr<ScheduledIo>> add_source(int fd, Interest interest);

  // Removes `fd` from the backend and, once the backend has confirmed its token dead (for epoll:
  // DEL returned), queues `io` for release at the driver's next turn. The bookkeeping runs even
  // when the backend fails (the fd was closed first, say: closing an fd removes it from epoll
  // too); that error is returned. `io` stays valid for the caller's own references.
  Result<void> deregister_source(ScheduledIo& io, int fd);

  // Wakes the driver if it is blocked in select, or makes its next turn return at once.
  // Never blocks; any thread.
  void unpark() const noexcept;

  // Resources registered from now on are padded against false sharing (RegistrationSet::
  // pad_entries): the multi-thread runtime calls it before sharing the handle.
  void pad_registrations() noexcept { registrations_.pad_entries(); }

  // Registers the signal layer's receiving fd under the reserved signal token.
  Result<void> register_signal_receiver(int fd);

  const IoDriverMetrics& metrics() const noexcept { return metrics_; }
  // Defensive token mode (EDDY_DEFENSIVE_TOKENS): events dropped because their token named no
  // live resource (a misuse: an fd closed under its registration while a dup of it still
  // fires). Always 0 in the default mode, which cannot tell. Driver thread writes, relaxed.
  std::uint64_t stale_token_count() const noexcept { return stale_tokens_.load(std::memory_order_relaxed); }

  // The driver's io_uring, or null when the runtime has none (not asked for, or refused: see
  // uring_refusal()). Its calls are for its owner thread only (io/uring/ring.hpp).
  uring::Ring* ring() const noexcept { return ring_.get(); }
  // The multi-thread runtime's rings (one per worker; io/uring/ring_set.hpp), or null. A driver
  // has a ring or a ring set, never both.
  uring::RingSet* ring_set() const noexcept { return ring_set_.get(); }
  // Why the ring was refused (empty when it was not asked for or was made).
  std::error_code uring_refusal() const noexcept { return uring_refusal_ ? uring_refusal_ : socket_refusal_; }
  // eddy::fs may use the ring (the ring was asked for files too).
  bool files_on_ring() const noexcept { return (ring_ != nullptr || ring_set_ != nullptr) && files_on_ring_; }
  // Stream sockets run in completion mode on the ring (Builder::io_backend; net/uring_socket.hpp).
  bool sockets_on_ring() const noexcept { return sockets_on_ring_; }
  bool is_shutdown() const { return registrations_.is_shutdown(); }
  // Live registrations (deregistered ones leave at the next turn).
  std::size_t registration_count() const { return registrations_.live_count(); }

 private:
  friend class Driver;
  Handle(detail::DefaultSelector selector, int waker_fd) noexcept;

  detail::DefaultSelector selector_;
  int waker_fd_;
  RegistrationSet registrations_;
  IoDriverMetrics metrics_;
  eddy::detail::sync::Atomic<std::uint64_t> stale_tokens_{0};
  std::unique_ptr<uring::Ring> ring_;  // set by Driver::create, then immutable until ~Handle
  std::unique_ptr<uring::RingSet> ring_set_;  // likewise (uring::Config::rings > 0)
  std::error_code uring_refusal_;
  std::error_code socket_refusal_;  // socket mode asked for and refused (the ring may still serve files)
  bool files_on_ring_ = false;
  bool sockets_on_ring_ = false;
  // A signal receiver is registered (the ring-parked driver then caps its waits: Driver::turn_on_ring).
  eddy::detail::sync::Atomic<bool> signals_watched_{false};
};

// Whether the driver carries an io_uring (files, today) beside epoll.
enum class UringMode : std::uint8_t {
  off,       // no ring
  fallback,  // try; when the kernel refuses, run without one (counted in the metrics)
  required,  // try; when the kernel refuses, Driver::create fails with its error
};

class Driver {
 public:
  static constexpr std::size_t kDefaultEvents = 1024;

  // Creates the backend and the wake-up eventfd. `nevents` is the most events one turn
  // dispatches (the rest stay queued in the kernel for the next turn).
  static Result<Driver> create(std::size_t nevents = kDefaultEvents, UringMode uring = UringMode::off,
                               const uring::Config& uring_config = {});

  Driver(Driver&&) noexcept = default;
  Driver& operator=(Driver&&) = delete;
  Driver(const Driver&) = delete;
  // Shuts down if shutdown() was not called.
  ~Driver();

  const std::shared_ptr<Handle>& handle() const noexcept { return handle_; }

  // Blocks until at least one event (or an unpark) arrives, and dispatches.
  TurnReport park() { return turn(std::nullopt); }
  // Blocks at most `d` (rounded up to whole milliseconds; only exactly 0 does not block).
  TurnReport park_timeout(std::chrono::nanoseconds d) { return turn(d); }

  // One turn of the reactor (see the file comment). EINTR is retried with the time left; any
  // other select failure aborts with a message (it means the backend itself is broken).
  TurnReport turn(std::optional<std::chrono::nanoseconds> max_wait);

  // Shuts every registration down and wakes all its waiters with the shutdown state; later
  // add_source calls fail. Idempotent.
  void shutdown();

  // The backend's timeout for a park of at most `d`: -1 for none, 0 only for exactly 0, otherwise
  // rounded up to whole milliseconds and capped at INT_MAX.
  static int timeout_ms(std::optional<std::chrono::nanoseconds> d) noexcept;

 private:
  Driver(std::shared_ptr<Handle> handle, std::size_t nevents);
  // A turn that parks on the ring rather than in epoll (socket mode, once the ring watches the
  // epoll fd: uring::Ring::watch_epoll).
  TurnReport turn_on_ring(uring::Ring& ring, std::optional<std::chrono::nanoseconds> max_wait);
  // select() with EINTR retried for the time left; the number of events.
  int select_events(int timeout, std::optional<std::chrono::nanoseconds> max_wait);
  // Dispatches the first `n` events; `ring_ready` is set when the ring's eventfd fired.
  void dispatch(int n, TurnReport& report, bool& ring_ready);

  std::shared_ptr<Handle> handle_;
  std::vector<detail::DefaultSelector::Event> events_;
  bool is_shutdown_ = false;
  bool watch_tried_ = false;  // watch_epoll was asked (once: a refusal leaves the driver on epoll)
  bool epoll_more_ = false;   // parking on the ring: the last select filled events_, look again
  bool ring_set_retry_ = false;  // a ring of the RingSet still needs the kernel (drain_all)
};

}  // namespace eddy::io
