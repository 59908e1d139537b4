// Uses an installed eddy: registers a pipe with an I/O driver and sees it become readable.
#if __has_include(<eddy/eddy.hpp>)
#include <eddy/eddy.hpp>
#endif
#include <eddy/io.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

int main() {
  auto driver = eddy::io::Driver::create();
  if (!driver) {
    std::fprintf(stderr, "Driver::create: %s\n", driver.error().message().c_str());
    return 1;
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return 1;

  auto reg = eddy::io::Registration::create(driver->handle(), fds[0], eddy::Interest::READABLE);
  if (!reg) return 1;
  if (::write(fds[1], "x", 1) != 1) return 1;
  driver->park_timeout(std::chrono::seconds(5));

  const bool readable =
      reg->scheduled_io().ready_event(eddy::Interest::READABLE).ready.is_readable();
  if (!reg->deregister(fds[0])) return 1;
  ::close(fds[0]);
  ::close(fds[1]);
  std::printf("eddy consumer: readable=%d registered=%llu\n", readable ? 1 : 0,
              static_cast<unsigned long long>(driver->handle()->metrics().fd_registered_count()));
  return readable ? 0 : 1;
}
