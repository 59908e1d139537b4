// Thread-per-core serving (examples/echo_server --mode per-core): two current-thread runtimes
// on two threads, each with its own driver and an SO_REUSEPORT listener on the same port. The
// kernel spreads connections between the listeners; each runtime serves its own. With 32
// connections from distinct source ports, both runtimes getting some is near certain (all on
// one side: about 2^-31 with the kernel's 4-tuple hash).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "eddy/abort_handle.hpp"
#include "eddy/net/tcp_listener.hpp"
#include "eddy/net/tcp_socket.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/runtime.hpp"

namespace {

using eddy::Task;
using eddy::net::SocketAddr;

eddy::Result<eddy::net::TcpListener> listen_reuseport(const SocketAddr& addr) {
  auto sock = eddy::net::TcpSocket::new_v4();
  if (!sock) return sock.error();
  if (auto r = sock->set_reuseport(true); !r) return r.error();
  if (auto r = sock->bind(addr); !r) return r.error();
  return std::move(*sock).listen(128);
}

// Accepts and echoes 4 bytes per connection, counting connections, until aborted.
Task<void> serve(eddy::net::TcpListener& l, std::atomic<int>& served) {
  for (;;) {
    auto c = co_await l.accept();
    if (!c) continue;
    char buf[4];
    auto& s = c->first;
    if (co_await s.read_exact(eddy::net::MutableBuffer(buf, 4)) &&
        co_await s.write_all(eddy::net::ConstBuffer(buf, 4))) {
      served.fetch_add(1);
    }
  }
}

TEST(NetReuseportPerCore, TwoCurrentThreadRuntimesShareAPortAndBothServe) {
  constexpr int kRuntimes = 2;
  constexpr int kConnections = 32;
  std::atomic<int> served[kRuntimes] = {};
  std::mutex m;
  std::vector<eddy::AbortHandle> acceptors;
  std::promise<std::uint16_t> port0;
  std::promise<bool> ready1;
  auto core = [&](int i, std::uint16_t port, std::promise<std::uint16_t>* p, std::promise<bool>* r) {
    auto rt = eddy::Builder::new_current_thread().enable_io().build();
    if (!rt) {
      if (p) p->set_value(0);
      if (r) r->set_value(false);
      return;
    }
    rt->block_on([](int idx, std::uint16_t pt, std::promise<std::uint16_t>* pp, std::promise<bool>* rr,
                    std::atomic<int>& sv, std::mutex& mu, std::vector<eddy::AbortHandle>& acc) -> Task<void> {
      auto l = listen_reuseport(SocketAddr(eddy::net::IpAddr::v4(127, 0, 0, 1), pt));
      if (!l) {
        if (pp) pp->set_value(0);
        if (rr) rr->set_value(false);
        co_return;
      }
      auto h = eddy::spawn(serve(*l, sv));
      {
        std::lock_guard<std::mutex> lock(mu);
        acc.push_back(h.abort_handle());
      }
      auto local = l->local_addr();
      if (pp) pp->set_value(local ? local->port() : 0);
      if (rr) rr->set_value(true);
      (void)co_await h;  // until aborted
      (void)idx;
    }(i, port, p, r, served[i], m, acceptors));
  };
  std::thread t0(core, 0, 0, &port0, nullptr);
  const std::uint16_t port = port0.get_future().get();
  ASSERT_NE(port, 0);
  auto ready_future = ready1.get_future();
  std::thread t1(core, 1, port, nullptr, &ready1);
  ASSERT_TRUE(ready_future.get());

  int echoed = 0;
  for (int i = 0; i < kConnections; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};  // bounded: a stuck server fails the test instead of hanging it
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 && ::write(fd, "ping", 4) == 4) {
      char buf[4];
      std::size_t got = 0;
      while (got < 4) {
        const ssize_t n = ::read(fd, buf + got, 4 - got);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      if (got == 4 && std::string(buf, 4) == "ping") ++echoed;
    }
    ::close(fd);
  }
  {
    std::lock_guard<std::mutex> lock(m);
    for (auto& a : acceptors) a.abort();
  }
  t0.join();
  t1.join();
  EXPECT_EQ(echoed, kConnections);
  EXPECT_EQ(served[0].load() + served[1].load(), kConnections);
  EXPECT_GT(served[0].load(), 0) << "runtime 0 served none";
  EXPECT_GT(served[1].load(), 0) << "runtime 1 served none";
}

}  // namespace
