#include "eddy/io/detail/registration.hpp"

#include "io/driver.hpp"

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

}  // namespace eddy::io
