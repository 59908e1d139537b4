// The I/O driver: a reactor over edge-triggered epoll.
//
// `Driver` is owned by the one thread that parks (turns) it. `Handle` is shared by every thread
// (std::shared_ptr) and is how resources are registered, deregistered and how a sleeping driver
// is woken. Tokens: 0 is the wake-up eventfd, 1 is the signal receiver, every other token is
// the address of a ScheduledIo.
//
// One turn: free the resources whose release is pending, epoll_wait, then for each event set
// the resource's readiness (bumping its tick) and wake its waiters, then count the events.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "eddy/detail/epoll_selector.hpp"
#include "eddy/detail/ref_ptr.hpp"
#include "eddy/interest.hpp"
#include "eddy/io/metrics.hpp"
#include "eddy/io/registration_set.hpp"
#include "eddy/io/scheduled_io.hpp"
#include "eddy/result.hpp"

namespace eddy::io {

inline constexpr std::uint64_t kTokenWakeup = 0;
inline constexpr std::uint64_t kTokenSignal = 1;

class Driver;

class Handle {
 public:
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();

  // Registers `fd` (edge-triggered) and returns its ScheduledIo. On failure nothing is left
  // behind. Fails with Error::shutdown once the driver has shut down.
  Result<eddy::detail::RefPtr<ScheduledIo>> add_source(int fd, Interest interest);

  // Removes `fd` from epoll and queues `io` for release at the driver's next turn. The
  // bookkeeping runs even when epoll_ctl fails (the fd was closed first, say); that error is
  // returned. `io` stays valid for the caller's own references.
  Result<void> deregister_source(ScheduledIo& io, int fd);

  // Wakes the driver if it is blocked in epoll_wait, or makes its next turn return at once.
  // Never blocks; any thread.
  void unpark() const noexcept;

  // Registers the signal layer's receiving fd under the reserved signal token.
  Result<void> register_signal_receiver(int fd);

  const IoDriverMetrics& metrics() const noexcept { return metrics_; }
  bool is_shutdown() const { return registrations_.is_shutdown(); }
  // Live registrations (deregistered ones leave at the next turn).
  std::size_t registration_count() const { return registrations_.live_count(); }

 private:
  friend class Driver;
  Handle(eddy::detail::EpollSelector selector, int waker_fd) noexcept;

  eddy::detail::EpollSelector selector_;
  int waker_fd_;
  RegistrationSet registrations_;
  IoDriverMetrics metrics_;
};

class Driver {
 public:
  static constexpr std::size_t kDefaultEvents = 1024;

  // Creates the epoll instance and the wake-up eventfd. `nevents` is the most events one turn
  // dispatches (the rest stay queued in the kernel for the next turn).
  static Result<Driver> create(std::size_t nevents = kDefaultEvents);

  Driver(Driver&&) noexcept = default;
  Driver& operator=(Driver&&) = delete;
  Driver(const Driver&) = delete;
  // Shuts down if shutdown() was not called.
  ~Driver();

  const std::shared_ptr<Handle>& handle() const noexcept { return handle_; }

  // Blocks until at least one event (or an unpark) arrives, and dispatches.
  void park() { turn(std::nullopt); }
  // Blocks at most `d` (rounded up to whole milliseconds; only exactly 0 does not block).
  void park_timeout(std::chrono::nanoseconds d) { turn(d); }

  // One turn of the reactor (see the file comment). EINTR is retried with the time left; any
  // other epoll_wait failure aborts with a message (it means the epoll fd itself is broken).
  void turn(std::optional<std::chrono::nanoseconds> max_wait);

  // Shuts every registration down and wakes all its waiters with the shutdown state; later
  // add_source calls fail. Idempotent.
  void shutdown();

  // Whether the signal token fired since the last call (the signal layer drains its pipe then).
  bool consume_signal_ready() noexcept {
    const bool r = signal_ready_;
    signal_ready_ = false;
    return r;
  }

  // epoll_wait's timeout for a park of at most `d`: -1 for none, 0 only for exactly 0, otherwise
  // rounded up to whole milliseconds and capped at INT_MAX.
  static int timeout_ms(std::optional<std::chrono::nanoseconds> d) noexcept;

 private:
  Driver(std::shared_ptr<Handle> handle, std::size_t nevents);

  std::shared_ptr<Handle> handle_;
  std::vector<eddy::detail::EpollSelector::Event> events_;
  bool signal_ready_ = false;
  bool is_shutdown_ = false;
};

}  // namespace eddy::io
