#include "io/driver.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "eddy/detail/fatal.hpp"
#include "eddy/error.hpp"
#include "io/detail/eventfd_signal.hpp"

namespace eddy::io {

using Clock = std::chrono::steady_clock;
using detail::DefaultSelector;
using detail::ReservedToken;
using eddy::detail::RefPtr;

// --- Handle --------------------------------------------------------------------------------

Handle::Handle(DefaultSelector selector, int waker_fd) noexcept
    : selector_(std::move(selector)), waker_fd_(waker_fd) {}

Handle::~Handle() {
  ring_.reset();  // closes the ring (Driver::shutdown has already drained it) and its eventfd
  ring_set_.reset();
  ::close(waker_fd_);
}

Result<RefPtr<ScheduledIo>> Handle::add_source(int fd, Interest interest) {
  auto io = registrations_.allocate();
  if (!io) return io.error();
  if (auto r = selector_.register_source(fd, registrations_.token_of(**io), interest); !r) {
    // The token never reached the kernel, so the entry can go at once.
    registrations_.remove(**io);
    return r.error();
  }
  metrics_.incr_fd_count();
  return io;
}

Result<void> Handle::deregister_source(ScheduledIo& io, int fd) {
  // The backend's deregister returns only once the token is dead (the release rule, selector.hpp),
  // so queueing the release after it is safe. Model: models/readiness.pml T1 then T2.
  Result<void> os = selector_.deregister(fd);
  if (registrations_.deregister(io)) unpark();
  metrics_.dec_fd_count();
  return os;
}

void Handle::unpark() const noexcept {
  // The driver never reads the counter, so signal_eventfd's drain on EAGAIN is the only place
  // it shrinks.
  if (!detail::signal_eventfd(waker_fd_)) eddy::detail::fatal("failed to wake the I/O driver", errno);
}

Result<void> Handle::register_signal_receiver(int fd) {
  auto r = selector_.register_source(fd, detail::token(ReservedToken::signal), Interest::READABLE);
  if (r) signals_watched_.store(true, std::memory_order_relaxed);
  return r;
}

// --- Driver --------------------------------------------------------------------------------

Result<Driver> Driver::create(std::size_t nevents, UringMode uring, const uring::Config& uring_config) {
  if (nevents == 0 || nevents > static_cast<std::size_t>(INT_MAX)) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  auto selector = DefaultSelector::create();
  if (!selector) return selector.error();
  const int waker = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (waker < 0) return last_error();
  if (auto r = selector->register_source(waker, detail::token(ReservedToken::wakeup), Interest::READABLE); !r) {
    ::close(waker);
    return r.error();
  }
  std::shared_ptr<Handle> handle(new Handle(std::move(*selector), waker));
  // Socket mode asked for on the ring(s) just made, with `refused` its outcome: on, or refused.
  // A refusal fails the driver when socket mode is required; otherwise sockets stay on epoll,
  // said once like a refusal, and the ring(s) still serve files. Returns the error to fail with.
  auto take_socket_mode = [&](std::error_code refused) -> std::error_code {
    if (!refused) {
      handle->sockets_on_ring_ = true;
    } else if (uring_config.sockets_required) {
      return refused;
    } else {
      handle->socket_refusal_ = refused;
      handle->metrics_.incr_uring_fallback();
    }
    return {};
  };
  if (uring != UringMode::off && uring_config.rings > 0) {
    // The multi-thread runtime: shared-mode rings (RingSet), for files and, when asked, sockets.
    auto set = uring::RingSet::create(uring_config, handle->metrics_);
    if (set) {
      if (auto r = handle->selector_.register_source((*set)->event_fd(), detail::token(ReservedToken::uring),
                                                     Interest::READABLE);
          !r) {
        set = r.error();
      }
    }
    if (set && uring_config.sockets) {
      if (auto e = take_socket_mode((*set)->enable_sockets(uring_config))) return e;
    }
    if (set) {
      handle->files_on_ring_ = uring_config.files;
      handle->ring_set_ = std::move(*set);
    } else if (uring == UringMode::required) {
      return set.error();
    } else {
      handle->uring_refusal_ = set.error();
      handle->metrics_.incr_uring_fallback();
    }
  } else if (uring != UringMode::off) {
    auto ring = uring::Ring::create(uring_config, handle->metrics_);
    if (ring) {
      if (auto r = handle->selector_.register_source((*ring)->event_fd(), detail::token(ReservedToken::uring),
                                                     Interest::READABLE);
          !r) {
        ring = r.error();
      }
    }
    if (ring && uring_config.sockets) {
      if (auto e = take_socket_mode((*ring)->enable_sockets(uring_config))) return e;
    }
    if (ring) {
      handle->files_on_ring_ = uring_config.files;
      handle->ring_ = std::move(*ring);
    } else if (uring == UringMode::required) {
      return ring.error();
    } else {
      // The refusal is said once: the counter and the error the runtime exposes.
      handle->uring_refusal_ = ring.error();
      handle->metrics_.incr_uring_fallback();
    }
  }
  return Driver(std::move(handle), nevents);
}

Driver::Driver(std::shared_ptr<Handle> handle, std::size_t nevents)
    : handle_(std::move(handle)), events_(nevents) {}

Driver::~Driver() {
  if (handle_) shutdown();
}

int Driver::timeout_ms(std::optional<std::chrono::nanoseconds> d) noexcept {
  if (!d) return -1;
  const auto ns = d->count();
  if (ns <= 0) return 0;
  const long long ms = ns / 1'000'000 + (ns % 1'000'000 != 0 ? 1 : 0);
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

int Driver::select_events(int timeout, std::optional<std::chrono::nanoseconds> max_wait) {
  Handle& h = *handle_;
  // The deadline is only needed to re-arm the wait after EINTR. Saturate it: a caller may pass a
  // huge wait (nanoseconds::max() for "as long as possible"), and now + that overflows.
  Clock::time_point deadline{};
  if (timeout > 0) {
    const auto now = Clock::now();
    deadline = *max_wait >= Clock::time_point::max() - now ? Clock::time_point::max() : now + *max_wait;
  }
  for (;;) {
    const int n = h.selector_.select(events_.data(), static_cast<int>(events_.size()), timeout);
    if (n >= 0) return n;
    if (errno != EINTR) eddy::detail::fatal("unexpected error when polling the I/O driver", errno);
    if (timeout > 0) {
      const auto left = deadline - Clock::now();
      timeout = left <= Clock::duration::zero() ? 0 : timeout_ms(left);
    }
  }
}

void Driver::dispatch(int n, TurnReport& report, bool& ring_ready) {
  Handle& h = *handle_;
  for (int i = 0; i < n; ++i) {
    const auto& ev = events_[static_cast<std::size_t>(i)];
    const std::uint64_t token = DefaultSelector::token_of(ev);
    if (token < detail::kReservedTokens) [[unlikely]] {
      // The eventfd: nothing to do, the write that caused this edge already ended the wait (it
      // is never drained; every write makes a new edge). The signal pipe: report it.
      if (token == detail::token(ReservedToken::signal)) report.signal = true;
      else if (token == detail::token(ReservedToken::uring)) ring_ready = true;
      continue;
    }
#if EDDY_DEFENSIVE_TOKENS
    // A token whose resource is gone (freed through a misuse: its fd closed under it while a
    // dup kept the epoll item alive) names no live entry: counted and dropped.
    ScheduledIo* io = h.registrations_.find(token);
    if (io == nullptr) [[unlikely]] {
      h.stale_tokens_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    io->dispatch(DefaultSelector::readiness_of(ev));
#else
    // Safe by the RegistrationSet invariant: the resource cannot have been freed since this
    // turn began.
    ScheduledIo::from_token(token)->dispatch(DefaultSelector::readiness_of(ev));
#endif
    ++report.events;
  }
  h.metrics_.incr_ready_count_by(report.events);
}

// Parking on the ring. The order of a turn stays: release, then wait, then readiness events
// (looked at only when the ring's watch of the epoll fd fired, or the last look filled
// events_), then completions (reaped inside park). Every epoll registration is edge-triggered,
// so an empty ready list means nothing is owed; a new edge after our look wakes the epoll fd's
// pollers, the watch among them, whose completion ends the next park.
TurnReport Driver::turn_on_ring(uring::Ring& ring, std::optional<std::chrono::nanoseconds> max_wait) {
  int timeout = epoll_more_ ? 0 : timeout_ms(max_wait);
  // With signals watched, the wait is capped at 1 s. Valgrind (3.19) holds a signal back
  // while a thread is in a syscall it does not know may block, io_uring_enter among them: the
  // handler would not run, and the signal pipe's edge never come, while the driver waits here.
  // The cap lets it in within a second; an idle runtime pays one turn a second for it.
  if (handle_->signals_watched_.load(std::memory_order_relaxed) && (timeout < 0 || timeout > 1000)) {
    timeout = 1000;
  }
  TurnReport report;
  const long done = ring.park(timeout < 0 ? -1 : static_cast<long long>(timeout) * 1'000'000);
  // A park that waited and brought nothing (its timeout, EINTR) looks at epoll too: a select
  // is a syscall valgrind lets signals in during (see above), and after EINTR the signal pipe
  // may hold an edge whose watch completion is still deferred work in the kernel. (Not after a
  // poll without waiting: the scheduler's maintenance polls would pay a second syscall.)
  bool look = epoll_more_ | ring.take_epoll_signal() | (done == 0 && timeout != 0);
  int select_timeout = 0;
  if (done < 0) [[unlikely]] {
    // The kernel refused the wait: sleep in epoll instead, at most 1 ms (completions do not
    // reach epoll now), so a kernel that keeps refusing is retried, not spun on.
    select_timeout = timeout < 0 || timeout > 1 ? 1 : timeout;
    max_wait = std::chrono::milliseconds(select_timeout);
    look = true;
  } else {
    report.completions = static_cast<std::size_t>(done);
  }
  bool ring_ready = false;
  if (look) {  // Model: models/ring_park.pml P4 (a full look means another at once)
    const int n = select_events(select_timeout, max_wait);
    epoll_more_ = n == static_cast<int>(events_.size());
    dispatch(n, report, ring_ready);
  }
  // Receive buffers lent to RecvBuffers and returned on other threads (their return wrote the
  // ring's eventfd, which is in the epoll set): back to the kernel for the starved recvs.
  if (ring_ready) [[unlikely]] ring.take_lease_returns();
  return report;
}

TurnReport Driver::turn(std::optional<std::chrono::nanoseconds> max_wait) {
  Handle& h = *handle_;
  // Free what was deregistered before this turn. This is the only place a ScheduledIo the
  // kernel may have named is freed, and no batch of tokens is being dispatched now.
  // Model: models/readiness.pml D1 (release) at the top of the turn, D2 (select) below.
  if (h.registrations_.needs_release()) h.registrations_.release();

  uring::Ring* ring = h.ring_.get();
  if (ring != nullptr && h.sockets_on_ring_) [[unlikely]] {
    // Socket mode parks on the ring once the owner thread has it watch the epoll fd.
    if (!watch_tried_ && ring->owned_here()) {
      watch_tried_ = true;
      (void)ring->watch_epoll(h.selector_.fd());
    }
    if (ring->watching() && ring->is_open() && ring->owned_here()) return turn_on_ring(*ring, max_wait);
  }
  // The ring: free (two loads) when it has no work. Pending submissions go to the kernel before
  // the wait, and a completion already in the CQ (a cached read completes inside the submit)
  // must not wait for a timeout.
  const bool ring_busy = ring != nullptr && ring->busy() && ring->owned_here();
  bool ring_ready = false;
  if (ring_busy) [[unlikely]] {
    if (ring->has_pending()) ring->flush();
    ring_ready = ring->cq_ready() || ring->has_failed();
  }

  int timeout = ring_ready ? 0 : timeout_ms(max_wait);
  // The kernel refused the flush or the last reap (of this ring, or of a ring of the RingSet):
  // enter it again within 1 ms rather than sleep on completions it was never given or that it
  // still holds (docs/io-uring.md, refusals).
  if (((ring_busy && ring->must_retry()) || ring_set_retry_) && (timeout < 0 || timeout > 1)) [[unlikely]] {
    timeout = 1;
    max_wait = std::chrono::milliseconds(1);
  }
  const int n = select_events(timeout, max_wait);
  TurnReport report;
  dispatch(n, report, ring_ready);
  // Receive buffers lent to RecvBuffers and returned on other threads (their return wrote the
  // eventfd): back to the kernel before the reap, so that starved recvs can re-arm.
  if (ring_ready && ring != nullptr) [[unlikely]] ring->take_lease_returns();
  // After the readiness events: reap every completion (with DEFER_TASKRUN, running the kernel's
  // deferred work first). The eventfd fires for each batch of completions, so a turn whose
  // eventfd did not fire and whose CQ is empty has nothing to reap.
  if (ring_busy && (ring_ready || ring->cq_ready() || ring->must_retry())) [[unlikely]] {
    report.completions = ring->drain();
  }
  // The multi-thread runtime's rings: the eventfd they share fired (a completion that came after
  // its submitter's flush); their workers reap what completes inside their own flushes.
  if ((ring_ready || ring_set_retry_) && h.ring_set_) [[unlikely]] {
    report.completions += h.ring_set_->drain_all(ring_set_retry_);
  }
  return report;
}

void Driver::shutdown() {
  if (is_shutdown_) return;
  is_shutdown_ = true;
  // Every task is gone by now (the runtime destroys them first), so each op still in the ring
  // is orphaned or about to be: cancel them all and wait for their CQEs before the ring closes.
  if (handle_->ring_) handle_->ring_->shutdown();
  if (handle_->ring_set_) handle_->ring_set_->shutdown();
  auto all = handle_->registrations_.shutdown();
  // Outside the set's lock: shutting a resource down wakes its waiters.
  for (auto& io : all) io->shutdown();
}

}  // namespace eddy::io
