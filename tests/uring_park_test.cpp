// The current-thread driver parked on its ring (socket mode; docs/io-uring.md, "Parking on the
// ring"; models/ring_park.pml). While it sleeps in io_uring_enter, everything that reaches it
// through epoll must still wake it: a spawn or a wake from another thread (the wake-up eventfd),
// a signal (the signal pipe), an AsyncFd's readiness; and a timer must end the park. Each test
// first checks that the driver really parks on the ring (the watch is armed), so a regression
// to the epoll park cannot pass unnoticed; every wait is bounded by a timeout.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "eddy/async_fd.hpp"
#include "eddy/net.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/runtime.hpp"
#include "eddy/signal.hpp"
#include "eddy/sync/oneshot.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/time/timeout.hpp"
#include "eddy/yield_now.hpp"
#include "io/driver.hpp"
#include "io/uring/ring.hpp"
#include "support/net_test_util.hpp"

using eddy::Task;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<eddy::Runtime> socket_mode_rt() {
  auto rt = eddy::Builder::new_current_thread().enable_all().io_backend(eddy::IoBackend::io_uring).build();
  if (!rt) return nullptr;
  return std::make_unique<eddy::Runtime>(std::move(*rt));
}

#define SKIP_IF_NO_URING(rt) \
  if (!(rt)) GTEST_SKIP() << "the kernel refuses io_uring sockets here"

// Makes the runtime's thread the ring's owner (a TCP socket in completion mode claims it) and
// turns the driver once, which arms the watch. True when the driver now parks on the ring.
Task<bool> park_on_ring(const eddy::Runtime* rt) {
  auto listener = eddy::net::TcpListener::bind(eddy_test::loopback_any_port());
  if (!listener) co_return false;
  co_await eddy::time::sleep(1ms);  // a turn that waits: the watch is armed first
  const eddy::io::uring::Ring* ring = rt->handle().io_handle()->ring();
  co_return ring != nullptr && ring->watching();
}

}  // namespace

TEST(UringPark, SocketModeParksOnTheRing) {
  auto rt = socket_mode_rt();
  SKIP_IF_NO_URING(rt);
  EXPECT_TRUE(rt->block_on(park_on_ring(rt.get())));
  // The watch is the driver's own: no operation of the program's is counted in flight.
  EXPECT_EQ(rt->handle().io_metrics()->uring_in_flight(), 0u);
}

TEST(UringPark, ASpawnFromAnotherThreadWakesTheParkedDriver) {
  auto rt = socket_mode_rt();
  SKIP_IF_NO_URING(rt);
  auto handle = rt->handle();
  rt->block_on([](const eddy::Runtime* r, eddy::RuntimeHandle h) -> Task<void> {
    CO_ASSERT_TRUE(co_await park_on_ring(r));
    auto [tx, rx] = eddy::sync::oneshot::channel<int>();
    std::thread other([h, tx = std::move(tx)]() mutable {
      std::this_thread::sleep_for(30ms);  // the driver is parked by then
      h.spawn([](eddy::sync::oneshot::Sender<int> s) -> Task<void> {
         (void)s.send(7);
         co_return;
       }(std::move(tx)))
          .detach();
    });
    auto got = co_await eddy::time::timeout(5s, std::move(rx));
    other.join();
    CO_ASSERT_TRUE(static_cast<bool>(got));  // not the timeout
    CO_ASSERT_TRUE(static_cast<bool>(*got));
    EXPECT_EQ(**got, 7);
  }(rt.get(), handle));
}

TEST(UringPark, ASignalReachesTheParkedDriver) {
  auto rt = socket_mode_rt();
  SKIP_IF_NO_URING(rt);
  rt->block_on([](const eddy::Runtime* r) -> Task<void> {
    auto sig = eddy::signal::signal(eddy::signal::SignalKind::user_defined2());
    CO_ASSERT_TRUE(static_cast<bool>(sig));
    CO_ASSERT_TRUE(co_await park_on_ring(r));
    std::thread other([] {
      std::this_thread::sleep_for(30ms);
      ::kill(::getpid(), SIGUSR2);
    });
    auto got = co_await eddy::time::timeout(5s, [](eddy::signal::Signal& s) -> Task<void> { co_await s.recv(); }(*sig));
    other.join();
    EXPECT_TRUE(static_cast<bool>(got));  // the signal, not the timeout
  }(rt.get()));
}

TEST(UringPark, AnAsyncFdBesideRingSocketsWakesTheParkedDriver) {
  auto rt = socket_mode_rt();
  SKIP_IF_NO_URING(rt);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  const int writer = sv[1];
  rt->block_on([](const eddy::Runtime* r, int fd, int peer) -> Task<void> {
    CO_ASSERT_TRUE(co_await park_on_ring(r));
    auto afd = eddy::AsyncFd<eddy::OwnedFd>::create(eddy::OwnedFd(fd), eddy::Interest::READABLE);
    CO_ASSERT_TRUE(static_cast<bool>(afd));
    // Three bytes, each written after the driver went back to sleep on the ring: each is an
    // edge that only the watch of the epoll fd can bring to the driver.
    // (The raw calls retry EINTR: scripts/faults refuses them at random too.)
    std::thread other([peer] {
      for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(30ms);
        const char c = 'x';
        while (::write(peer, &c, 1) != 1) {
        }
      }
    });
    int got = 0;
    while (got < 3) {
      auto guard = co_await eddy::time::timeout(5s, afd->readable());
      if (!guard || !*guard) break;  // the timeout, or an error: checked below
      char b[8];
      const ssize_t n = ::read(fd, b, sizeof b);
      if (n > 0) got += static_cast<int>(n);
      if (n < 0 && errno != EINTR) (*guard)->clear_ready();  // drained: wait for the next edge
    }
    other.join();
    EXPECT_EQ(got, 3);
  }(rt.get(), sv[0], writer));
  ::close(writer);
}

TEST(UringPark, ATimerEndsThePark) {
  auto rt = socket_mode_rt();
  SKIP_IF_NO_URING(rt);
  rt->block_on([](const eddy::Runtime* r) -> Task<void> {
    CO_ASSERT_TRUE(co_await park_on_ring(r));
    const auto t0 = std::chrono::steady_clock::now();
    co_await eddy::time::sleep(40ms);
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(waited, 40ms);
    EXPECT_LT(waited, 5s);
  }(rt.get()));
}
