#include "eddy/net/detail/connect_core.hpp"

#include <unistd.h>

#include <utility>

#include "net/sys.hpp"

namespace eddy::net::detail {

ConnectCore::~ConnectCore() {
  if (fd_ >= 0) ::close(fd_);
}

Poll<Result<PollEvented>> ConnectCore::poll(const Waker& waker, int family, const sockaddr* addr, socklen_t len) {
  using R = Result<PollEvented>;
  if (!started_) {
    started_ = true;
    Result<int> fd = fd_ >= 0 ? Result<int>(std::exchange(fd_, -1)) : sys::socket(family, SOCK_STREAM);
    if (!fd) return R(fd.error());
    const int rc = ::connect(*fd, addr, len);
    // EINTR: the connection keeps going asynchronously, just as with EINPROGRESS.
    const int err = rc == 0 ? 0 : errno;
    if (err != 0 && err != EINPROGRESS && err != EINTR) {
      ::close(*fd);
      return R(std::error_code(err, std::system_category()));
    }
    auto io = PollEvented::create(*fd, Interest::READABLE | Interest::WRITABLE);
    if (!io) return R(io.error());
    io_ = std::move(*io);
  }
  // Writability (or an error/hang-up, which also reads as writable) ends the connect.
  auto ev = io_.poll_ready(waker, io::Direction::Write);
  if (!ev) return Pending;
  if (!*ev) return R(ev->error());
  if (auto e = sys::take_error(io_.fd())) return R(e);
  return R(std::move(io_));
}

}  // namespace eddy::net::detail
