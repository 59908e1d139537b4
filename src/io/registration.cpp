#include "eddy/io/registration.hpp"

#include "eddy/coop.hpp"

namespace eddy::io {

Result<Registration> Registration::create(std::shared_ptr<Handle> handle, int fd, Interest interest) {
  auto io = handle->add_source(fd, interest);
  if (!io) return io.error();
  return Registration(std::move(handle), std::move(*io));
}

Registration::~Registration() {
  if (shared_) shared_->clear_wakers();
}

Result<void> Registration::deregister(int fd) { return handle_->deregister_source(*shared_, fd); }

Poll<Result<ReadyEvent>> Registration::poll_ready(const Waker& waker, Direction direction) {
  // One unit of budget per successful readiness poll; given back when nothing came of it.
  if (!coop::poll_proceed(waker)) return Pending;
  auto ev = shared_->poll_readiness(waker, direction);
  if (!ev) {
    coop::restore_one();
    return Pending;
  }
  if (ev->is_shutdown) {
    coop::restore_one();
    return Result<ReadyEvent>(Error::shutdown);
  }
  return Result<ReadyEvent>(*ev);
}

}  // namespace eddy::io
