#include "eddy/io/detail/registration.hpp"

#include <new>

#include "io/driver.hpp"

namespace eddy::io {

namespace {

// The detached registrations' resource (see Registration::detached). Never freed: the static
// pointer keeps its first reference, so the count never reaches 0.
ScheduledIo& detached_io() noexcept {
  static ScheduledIo* const io = [] {
    auto* p = ScheduledIo::create(false);
    if (p == nullptr) throw std::bad_alloc();  // once per process, at the first use: terminates
    p->shutdown();
    return p;
  }();
  return *io;
}

}  // namespace

Registration Registration::detached(std::shared_ptr<Handle> handle) noexcept {
  return Registration(std::move(handle), eddy::detail::RefPtr<ScheduledIo>::share(&detached_io()));
}

bool Registration::is_detached() const noexcept { return shared_.get() == &detached_io(); }

Result<Registration> Registration::create(std::shared_ptr<Handle> handle, int fd, Interest interest) {
  auto io = handle->add_source(fd, interest);
  if (!io) return io.error();
  return Registration(std::move(handle), std::move(*io));
}

Registration::~Registration() {
  // (A detached registration's resource holds no waker: nothing to clear, and no lock to take
  // on the process-wide resource.)
  if (shared_ && !is_detached()) shared_->clear_wakers();
}

Result<void> Registration::deregister(int fd) {
  if (is_detached()) return {};
  return handle_->deregister_source(*shared_, fd);
}

}  // namespace eddy::io
