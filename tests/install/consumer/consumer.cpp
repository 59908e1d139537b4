// Uses an installed eddy: a runtime, an AsyncFd on a pipe, and a wait until it is readable.
#if __has_include(<eddy/eddy.hpp>)
#include <eddy/eddy.hpp>
#endif
#include <eddy/async_fd.hpp>
#include <eddy/io.hpp>
#include <eddy/runtime.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace {

eddy::Task<int> wait_readable(int rfd, int wfd) {
  auto afd = eddy::AsyncFd<int>::create(int{rfd}, eddy::Interest::READABLE);
  if (!afd) co_return 1;
  if (::write(wfd, "x", 1) != 1) co_return 1;
  auto guard = co_await afd->readable();
  if (!guard) co_return 1;
  co_return guard->ready().is_readable() ? 0 : 1;
}

}  // namespace

int main() {
  auto rt = eddy::Builder::new_current_thread().enable_all().build();
  if (!rt) {
    std::fprintf(stderr, "Builder::build: %s\n", rt.error().message().c_str());
    return 1;
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return 1;
  const int rc = rt->block_on(wait_readable(fds[0], fds[1]));
  const auto* m = rt->handle().io_metrics();
  std::printf("eddy consumer: readable=%d registered=%llu\n", rc == 0 ? 1 : 0,
              static_cast<unsigned long long>(m ? m->fd_registered_count() : 0));
  ::close(fds[0]);
  ::close(fds[1]);
  return rc;
}
