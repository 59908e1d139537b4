#include "io/uring/ring_set.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "eddy/error.hpp"

namespace eddy::io::uring {

using Guard = eddy::detail::sync::LockGuard<eddy::detail::sync::Mutex>;

Result<std::unique_ptr<RingSet>> RingSet::create(const Config& config, IoDriverMetrics& metrics) {
  std::unique_ptr<RingSet> set(new RingSet());
  set->event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (set->event_fd_ < 0) return last_error();
  const unsigned n = std::max(config.rings, 1u);
  set->slots_.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    auto ring = Ring::create_with(config, metrics, RingMode::shared, set->event_fd_);
    if (!ring) return ring.error();  // ~RingSet closes the rings made so far (nothing in flight)
    auto slot = std::make_unique<Slot>();
    slot->ring = std::move(*ring);
    // Sockets in completion mode find their ring's lock through the ring (net/uring_socket.hpp).
    slot->ring->set_shared_lock(&slot->mutex);
    set->slots_.push_back(std::move(slot));
  }
  return set;
}

std::error_code RingSet::enable_sockets(const Config& config) {
  for (auto& s : slots_) {
    Guard lock(s->mutex);
    if (auto e = s->ring->enable_sockets(config)) return e;
  }
  return {};
}

RingSet::~RingSet() {
  shutdown();
  slots_.clear();  // closes the rings before their eventfd
  if (event_fd_ >= 0) ::close(event_fd_);
}

std::size_t RingSet::flush_and_reap(std::size_t index, bool& retry) {
  Slot& s = slot(index);
  Guard lock(s.mutex);
  Ring& r = *s.ring;
  retry = false;
  // Receive buffers whose leases were dropped (on any thread; BufRing's remote list): back to
  // the kernel before the reap, so that a recv starved of buffers can re-arm.
  r.take_lease_returns();
  if (!r.busy()) return 0;
  if (r.has_pending()) r.flush();
  // A refused flush or get_events, or ops the kernel refused (failed at this drain): see
  // Ring::must_retry. The worker then sleeps at most 1 ms, as the driver does for its own ring.
  const std::size_t n = (r.cq_ready() || r.has_failed() || r.must_retry()) ? r.drain() : 0;
  retry = r.must_retry() || r.has_failed();
  return n;
}

std::size_t RingSet::drain_all(bool& retry) {
  std::size_t completed = 0;
  retry = false;
  for (auto& s : slots_) {
    Guard lock(s->mutex);
    Ring& r = *s->ring;
    r.take_lease_returns();  // a lease returned off a worker signals the eventfd for this
    if (!r.busy()) continue;
    // SQEs pending here while this thread holds the driver: a task's, waiting for its worker's
    // next flush (given to the kernel a little early), or a cancel whose flush the kernel
    // refused on another thread (signal_event_fd), which nobody else would retry while the
    // ring's worker sleeps.
    if (r.has_pending()) r.flush();
    if (r.cq_ready() || r.has_failed() || r.must_retry()) completed += r.drain();
    retry = retry || r.must_retry() || r.has_failed();
  }
  return completed;
}

void RingSet::shutdown() {
  for (auto& s : slots_) {
    Guard lock(s->mutex);
    s->ring->shutdown();
  }
}

}  // namespace eddy::io::uring
