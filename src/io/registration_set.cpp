#include "io/registration_set.hpp"

#include <new>

#include "eddy/error.hpp"
#include "io/detail/selector.hpp"

namespace eddy::io {

using eddy::detail::RefPtr;
using eddy::detail::sync::LockGuard;
using eddy::detail::sync::Mutex;

#if EDDY_DEFENSIVE_TOKENS
RegistrationSet::RegistrationSet() : slab_(detail::kReservedTokens) {
#else
RegistrationSet::RegistrationSet() {
#endif
  pending_release_.reserve(kNotifyAfter);
  releasing_.reserve(kNotifyAfter);
}

RegistrationSet::~RegistrationSet() {
  // No driver is polling any more: every remaining reference can go.
  for (ScheduledIo* io : pending_release_) io->unref();
  pending_release_.clear();
  while (ScheduledIo* io = registrations_.pop_front()) io->unref();
}

Result<RefPtr<ScheduledIo>> RegistrationSet::allocate() {
  auto* io = ScheduledIo::create(padded_);
  if (io == nullptr) return std::make_error_code(std::errc::not_enough_memory);
  {
    LockGuard<Mutex> lock(mutex_);
    if (!is_shutdown_) {
#if EDDY_DEFENSIVE_TOKENS
      const std::uint64_t token = slab_.insert(io);
      bool stored = false;
      if (token != 0) {
        try {
          tokens_.emplace(io, token);
          stored = true;
        } catch (const std::bad_alloc&) {
          slab_.erase(token, io);
        }
      }
      if (!stored) {
        ScheduledIo::destroy(io);
        return std::make_error_code(std::errc::not_enough_memory);
      }
#endif
      io->ref();  // the list's reference
      registrations_.push_front(*io);
      return RefPtr<ScheduledIo>::adopt(io);
    }
  }
  ScheduledIo::destroy(io);
  return Error::shutdown;
}

bool RegistrationSet::deregister(ScheduledIo& io) {
  // Model: models/readiness.pml T2 (variant EAGER_RELEASE frees here instead, and a token still
  // in the driver's batch then names freed memory).
  io.ref();  // the pending list's reference
  LockGuard<Mutex> lock(mutex_);
  pending_release_.push_back(&io);
  const std::size_t len = pending_release_.size();
  num_pending_release_.store(len, std::memory_order_release);
  return len == kNotifyAfter;
}

void RegistrationSet::remove(ScheduledIo& io) {
  bool was_linked;
  {
    LockGuard<Mutex> lock(mutex_);
    was_linked = registrations_.remove(io);
#if EDDY_DEFENSIVE_TOKENS
    erase_token(io);
#endif
  }
  if (was_linked) io.unref();
}

void RegistrationSet::release() {
  // Model: models/readiness.pml D1.
  {
    LockGuard<Mutex> lock(mutex_);
    releasing_.swap(pending_release_);
    for (ScheduledIo* io : releasing_) {
      // An entry may be queued twice (deregistered twice) or already gone from the list
      // (shutdown emptied it); only a linked entry gives up the list's reference.
      if (registrations_.remove(*io)) io->unref();
#if EDDY_DEFENSIVE_TOKENS
      erase_token(*io);  // from now on a late token for it finds nothing
#endif
    }
    num_pending_release_.store(0, std::memory_order_release);
  }
  // Drop the pending references outside the lock: the last one runs ~ScheduledIo.
  for (ScheduledIo* io : releasing_) io->unref();
  releasing_.clear();
}

std::vector<RefPtr<ScheduledIo>> RegistrationSet::shutdown() {
  std::vector<RefPtr<ScheduledIo>> all;
  LockGuard<Mutex> lock(mutex_);
  if (is_shutdown_) return all;
  // Model: models/readiness.pml S1.
  is_shutdown_ = true;
  all.reserve(registrations_.size());
  // The list's reference moves into the returned vector.
  while (ScheduledIo* io = registrations_.pop_front()) {
#if EDDY_DEFENSIVE_TOKENS
    // Their last references may now go anywhere, without a release(): forget their tokens.
    erase_token(*io);
#endif
    all.push_back(RefPtr<ScheduledIo>::adopt(io));
  }
  return all;
}

#if EDDY_DEFENSIVE_TOKENS
std::uint64_t RegistrationSet::token_of(const ScheduledIo& io) const {
  LockGuard<Mutex> lock(mutex_);
  const auto it = tokens_.find(&io);
  return it == tokens_.end() ? 0 : it->second;
}

void RegistrationSet::erase_token(const ScheduledIo& io) noexcept {
  // Idempotent: an entry may be released twice (deregistered twice), or after shutdown.
  const auto it = tokens_.find(&io);
  if (it == tokens_.end()) return;
  slab_.erase(it->second, &io);
  tokens_.erase(it);
}
#endif

bool RegistrationSet::is_shutdown() const {
  LockGuard<Mutex> lock(mutex_);
  return is_shutdown_;
}

std::size_t RegistrationSet::live_count() const {
  LockGuard<Mutex> lock(mutex_);
  return registrations_.size();
}

}  // namespace eddy::io
