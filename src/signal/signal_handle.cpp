#include "signal/signal_handle.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "eddy/detail/fatal.hpp"
#include "eddy/error.hpp"
#include "signal/registry.hpp"

namespace eddy::detail {

SignalHandle::~SignalHandle() {
  const int fd = receiver_.load(std::memory_order_relaxed);
  if (fd >= 0) ::close(fd);
}

Result<void> SignalHandle::ensure_registered() noexcept {
  sync::LockGuard<sync::Mutex> lock(mutex_);
  if (tried_) return error_ ? Result<void>(error_) : Result<void>();
  auto reg = signal::Registry::instance();
  if (!reg) return reg.error();  // not cached: a later call may succeed (EMFILE, say)
  auto io = io_.lock();
  if (!io || io->is_shutdown()) return Error::shutdown;
  const int fd = ::fcntl((*reg)->receiver_fd(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return last_error();
  tried_ = true;
  if (auto r = io->register_signal_receiver(fd); !r) {
    ::close(fd);
    error_ = r.error();
    return r;
  }
  receiver_.store(fd, std::memory_order_release);
  return {};
}

void SignalHandle::process() noexcept {
  const int fd = receiver_.load(std::memory_order_acquire);
  if (fd < 0) return;
  char buf[128];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n > 0) continue;
    if (n == 0) fatal("EOF on the signal self-pipe");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    fatal("failed to drain the signal self-pipe", errno);
  }
  if (auto reg = signal::Registry::instance()) (*reg)->broadcast();
}

}  // namespace eddy::detail
