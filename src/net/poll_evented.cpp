#include "eddy/net/detail/poll_evented.hpp"

#include <unistd.h>

#include "eddy/runtime.hpp"
#include "net/uring_socket.hpp"

namespace eddy::net::detail {

Result<PollEvented> PollEvented::create(int fd, Interest interest) {
  auto rt = RuntimeHandle::try_current();
  if (!rt) {
    ::close(fd);
    return Error::no_runtime;
  }
  return create(fd, interest, rt->io_handle());
}

Result<PollEvented> PollEvented::create(int fd, Interest interest, const std::shared_ptr<io::Handle>& handle) {
  if (!handle) {
    ::close(fd);
    return Error::io_disabled;
  }
  auto reg = io::Registration::create(handle, fd, interest);
  if (!reg) {
    ::close(fd);
    return reg.error();
  }
  return PollEvented(fd, std::move(*reg));
}

void PollEvented::close() noexcept {
  if (fd_ < 0) return;
  if (uring_) {
    uring_close(*uring_);
    uring_.reset();
  }
  // Deregister first: once closed, the fd number may be reused by another registration. (A
  // completion-mode socket has a registration only if its readiness was asked for.)
  if (reg_) {
    (void)reg_->deregister(fd_);
    reg_.reset();
  }
  ::close(std::exchange(fd_, -1));
}

}  // namespace eddy::net::detail
