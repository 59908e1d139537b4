#include "io/registration_set.hpp"

#include <new>

#include "eddy/error.hpp"

namespace eddy::io {

using eddy::detail::RefPtr;
using eddy::detail::sync::LockGuard;
using eddy::detail::sync::Mutex;

RegistrationSet::RegistrationSet() {
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
  auto* io = new (std::nothrow) ScheduledIo();
  if (io == nullptr) return std::make_error_code(std::errc::not_enough_memory);
  {
    LockGuard<Mutex> lock(mutex_);
    if (!is_shutdown_) {
      io->ref();  // the list's reference
      registrations_.push_front(*io);
      return RefPtr<ScheduledIo>::adopt(io);
    }
  }
  delete io;
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
  while (ScheduledIo* io = registrations_.pop_front()) all.push_back(RefPtr<ScheduledIo>::adopt(io));
  return all;
}

bool RegistrationSet::is_shutdown() const {
  LockGuard<Mutex> lock(mutex_);
  return is_shutdown_;
}

std::size_t RegistrationSet::live_count() const {
  LockGuard<Mutex> lock(mutex_);
  return registrations_.size();
}

}  // namespace eddy::io
