// driver_demo: the I/O driver on its own, driven by hand with the poll-style API. The driver is
// internal to the library (applications reach it through a Runtime, AsyncFd and the socket
// types); this tour uses its private headers to show what a runtime does underneath.
//
// What happens:
//   1. We create a Driver (epoll + a wake-up eventfd) and register the read end of a pipe.
//   2. We poll the registration for read readiness with our own Waker: nothing is there yet,
//      so the poll returns Pending and the driver keeps our waker.
//   3. Another thread writes a message into the pipe and then closes its end.
//   4. This thread parks the driver. epoll reports the edge, the driver records the readiness
//      (bumping the resource's tick) and calls our waker.
//   5. We poll again, read until the pipe would block, and clear the readiness we consumed,
//      then go back to step 4 until we read end-of-file.
//   6. We deregister, shut the driver down and print its metrics.
//
// An executor does the same thing for you: its waker reschedules a task instead of counting.

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "eddy/error.hpp"
#include "eddy/io.hpp"
#include "eddy/io/detail/registration.hpp"
#include "io/driver.hpp"

namespace {

using namespace std::chrono_literals;

// A Waker is a data pointer plus a table of four functions. Ours points at a static counter, so
// clone and drop have nothing to manage; wake just counts (and would reschedule a task in a real
// executor). The driver calls it from the thread that parks, never with a lock held.
std::atomic<int> g_wakes{0};

void* waker_clone(void* data) noexcept { return data; }
void waker_wake(void* data) noexcept {
  static_cast<std::atomic<int>*>(data)->fetch_add(1, std::memory_order_relaxed);
  std::printf("  [waker] woken by the driver\n");
}
void waker_drop(void*) noexcept {}

constexpr eddy::WakerVTable kCountingWakerVTable{waker_clone, waker_wake, waker_wake, waker_drop};

int fail(const char* what, std::error_code ec) {
  std::fprintf(stderr, "driver_demo: %s: %s\n", what, ec.message().c_str());
  return 1;
}

}  // namespace

int main() {
  // 1. The driver, and a non-blocking pipe registered for readability (edge-triggered).
  auto driver = eddy::io::Driver::create();
  if (!driver) return fail("Driver::create", driver.error());

  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return fail("pipe2", eddy::last_error());
  const int read_fd = fds[0];
  const int write_fd = fds[1];

  auto reg = eddy::io::Registration::create(driver->handle(), read_fd, eddy::Interest::READABLE);
  if (!reg) return fail("Registration::create", reg.error());
  std::printf("registered the pipe's read end (fd %d) with the driver\n", read_fd);

  const eddy::Waker waker = eddy::Waker::from_raw(&g_wakes, &kCountingWakerVTable);

  // 2. Nothing written yet: Pending, and the driver now holds (a clone of) our waker.
  if (reg->poll_read_ready(waker).is_ready()) {
    std::fprintf(stderr, "driver_demo: the pipe was readable before anything was written\n");
    return 1;
  }
  std::printf("poll_read_ready: Pending (waker stored)\n");

  // 3. The writer thread (a jthread, so an early return still joins it).
  const std::string message = "hello from another thread";
  std::jthread writer([write_fd, &message] {
    std::this_thread::sleep_for(50ms);
    [[maybe_unused]] auto n = ::write(write_fd, message.data(), message.size());
    std::this_thread::sleep_for(50ms);
    ::close(write_fd);  // the reader will see READ_CLOSED, then end-of-file
  });

  std::string received;
  bool eof = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!eof) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "driver_demo: timed out waiting for the pipe\n");
      return 1;
    }
    // 5. Ask for readiness. Pending means "not yet": the waker fires when it changes.
    auto polled = reg->poll_read_ready(waker);
    if (!polled) {
      // 4. Block in epoll_wait until an event (or an unpark) arrives, then dispatch it. A
      // bounded wait keeps the demo from hanging if something is wrong.
      std::printf("parking the driver...\n");
      driver->park_timeout(2s);
      continue;
    }
    if (!*polled) return fail("poll_read_ready", polled->error());
    const eddy::io::ReadyEvent event = **polled;
    std::printf("poll_read_ready: Ready (tick %u, readable=%d, read_closed=%d)\n",
                static_cast<unsigned>(event.tick), event.ready.is_readable() ? 1 : 0,
                event.ready.is_read_closed() ? 1 : 0);

    // Edge-triggered: read until the kernel says "would block" (or end-of-file).
    char buf[64];
    for (;;) {
      const ssize_t n = ::read(read_fd, buf, sizeof buf);
      if (n > 0) {
        received.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) {
        eof = true;
        break;
      }
      if (errno == EINTR) continue;
      if (eddy::last_error() != std::errc::resource_unavailable_try_again) return fail("read", eddy::last_error());
      // Drained: forget the readiness we consumed. The event's tick makes this a no-op if a
      // newer edge arrived after we polled, so no notification can be lost.
      reg->clear_readiness(event);
      break;
    }
  }
  writer.join();
  std::printf("received \"%s\", then end-of-file\n", received.c_str());

  // 6. Deregister before closing the fd; the driver frees the ScheduledIo at its next turn.
  if (auto r = reg->deregister(read_fd); !r) return fail("deregister", r.error());
  ::close(read_fd);
  driver->park_timeout(0ns);  // one non-blocking turn releases the deregistered resource
  driver->shutdown();

  const auto& m = driver->handle()->metrics();
  std::printf("driver metrics: registered=%llu deregistered=%llu ready_events=%llu live=%llu\n",
              static_cast<unsigned long long>(m.fd_registered_count()),
              static_cast<unsigned long long>(m.fd_deregistered_count()),
              static_cast<unsigned long long>(m.ready_count()),
              static_cast<unsigned long long>(m.fd_count()));
  std::printf("waker calls: %d\n", g_wakes.load());

  const bool ok = received == message && m.fd_count() == 0 && g_wakes.load() >= 1;
  std::printf("%s\n", ok ? "driver_demo: OK" : "driver_demo: FAILED");
  return ok ? 0 : 1;
}
