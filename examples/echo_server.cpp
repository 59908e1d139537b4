// echo_server: a TCP echo server on eddy. One task per connection echoes every byte back until
// the peer closes its side.
//
//   echo_server [--port N] [--addr IP] [--backend epoll|uring|auto]   (port 0 picks a free port)
//
// It prints "listening on IP:PORT" once it accepts connections, and stops cleanly on Ctrl-C
// (SIGINT) or SIGTERM: it stops accepting, closes every connection and exits 0.
//
// Memory per idle connection is what matters for a server holding many: here it is the
// connection task's coroutine frame, its task header and the socket's driver registration (a
// few hundred bytes; bench/echo/run measures it). No connection owns a read buffer. All
// connections read into one buffer, `g_scratch`, which is safe because of two facts:
//   - a read completes inside the awaiter's poll, and the runtime resumes the coroutine right
//     after that poll: no other task runs between the bytes landing in g_scratch and our code
//     using them (and while a read is still waiting, it has written nothing);
//   - the echo writes those bytes back with try_write, which does not suspend. Only when the
//     socket cannot take them all (the peer is slow to read) are the rest copied into a buffer
//     of this connection's own, and awaited with write_all. That buffer lives only until
//     they are sent.
// So a waiting connection holds no buffer, and a busy one holds at most what the peer has not
// yet taken.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "eddy/net.hpp"
#include "eddy/runtime.hpp"
#include "eddy/signal.hpp"
#include "eddy/time.hpp"

namespace {

using namespace std::chrono_literals;

// Shared by every connection of the (single-threaded) runtime; see the file comment.
constexpr std::size_t kScratchSize = 16 * 1024;
alignas(64) std::byte g_scratch[kScratchSize];

std::atomic<std::size_t> g_open{0};  // connections being served (for the shutdown message)

// Echoes until EOF or an error. Kept small: its frame (the stream, one awaiter at a time) is
// most of a connection's memory.
eddy::Task<void> serve(eddy::net::TcpStream stream) {
  ++g_open;
  for (;;) {
    auto n = co_await stream.read(eddy::net::MutableBuffer(g_scratch, kScratchSize));
    if (!n || *n == 0) break;  // error, or the peer closed its side: we are done
    auto w = stream.try_write(eddy::net::ConstBuffer(g_scratch, *n));
    std::size_t sent = w ? *w : 0;
    if (!w && w.error() != std::errc::resource_unavailable_try_again) break;  // would-block: EAGAIN
    if (sent < *n) {
      // The socket is full: keep the rest in a buffer of our own (g_scratch is reused by the
      // next task to run) and wait until it is all sent. Reading stops meanwhile, which is the
      // back-pressure: the peer's unsent bytes wait in the kernel.
      const std::size_t rest = *n - sent;
      auto pending = std::make_unique<std::byte[]>(rest);
      std::memcpy(pending.get(), g_scratch + sent, rest);
      auto all = co_await stream.write_all(eddy::net::ConstBuffer(pending.get(), rest));
      if (!all) break;
    }
  }
  --g_open;
}

// Accepts until aborted. On EMFILE/ENFILE (out of file descriptors) accept4 fails and the
// pending connection stays in the kernel's backlog; retrying at once would spin, since the
// listener stays readable. So it backs off for 100 ms (connections may close meanwhile) and
// tries again. Other accept errors (ECONNABORTED: the peer gave up while queued) are skipped.
eddy::Task<void> accept_loop(eddy::net::TcpListener& listener) {
  for (;;) {
    auto accepted = co_await listener.accept();
    if (!accepted) {
      const auto ec = accepted.error();
      if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system ||
          ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory) {
        std::fprintf(stderr, "echo_server: accept: %s; retrying in 100 ms\n", ec.message().c_str());
        (void)co_await eddy::time::sleep(100ms);
        continue;
      }
      if (ec == eddy::Error::shutdown) co_return;
      continue;
    }
    auto& stream = accepted->first;
    (void)stream.set_nodelay(true);  // echoes are small: send them now, no Nagle delay
    eddy::spawn(serve(std::move(stream))).detach();
  }
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--port N] [--addr IP] [--threads N] [--backend epoll|uring|auto] [--uring-buffers N] [--metrics]\n"
               "  port 0 = pick a free one; default 127.0.0.1:0\n"
               "  --threads N: the multi-thread (work-stealing) runtime with N workers (0: one per CPU);\n"
               "               without it, the current-thread runtime\n"
               "  --backend: TCP on epoll readiness, on io_uring completion (fails if refused), or\n"
               "             io_uring when the kernel allows it (auto, the default)\n"
               "  --uring-buffers N: provided 4 KiB receive buffers shared by all connections (1024)\n"
               "  --metrics: print the scheduler's counters at exit\n",
               argv0);
  return 2;
}

eddy::Task<int> run(std::string addr_text) {
  auto addr = eddy::net::SocketAddr::parse(addr_text);
  if (!addr) {
    std::fprintf(stderr, "echo_server: bad address '%s': %s\n", addr_text.c_str(), addr.error().message().c_str());
    co_return 2;
  }
  auto listener = eddy::net::TcpListener::bind(*addr);
  if (!listener) {
    std::fprintf(stderr, "echo_server: cannot listen on %s: %s\n", addr_text.c_str(), listener.error().message().c_str());
    co_return 1;
  }
  auto local = listener->local_addr();
  if (!local) {
    std::fprintf(stderr, "echo_server: local_addr: %s\n", local.error().message().c_str());
    co_return 1;
  }
  // Listen for the signals before announcing the address, so that a SIGTERM sent as soon as
  // the address is seen is not lost.
  auto interrupt = eddy::signal::signal(eddy::signal::SignalKind::interrupt());
  auto terminate = eddy::signal::signal(eddy::signal::SignalKind::terminate());
  if (!interrupt || !terminate) {
    std::fprintf(stderr, "echo_server: cannot listen for signals: %s\n",
                 (!interrupt ? interrupt.error() : terminate.error()).message().c_str());
    co_return 1;
  }
  std::printf("listening on %s\n", local->to_string().c_str());
  std::fflush(stdout);

  auto acceptor = eddy::spawn(accept_loop(*listener));
  // Whichever signal comes first aborts the acceptor; the main task waits for that.
  auto on_signal = [](eddy::signal::Signal& sig, eddy::JoinHandle<void>& target) -> eddy::Task<void> {
    (void)co_await sig.recv();
    target.abort();
  };
  auto w1 = eddy::spawn(on_signal(*interrupt, acceptor));
  auto w2 = eddy::spawn(on_signal(*terminate, acceptor));
  (void)co_await acceptor;
  // The watchers refer to this frame (the Signals, the acceptor's handle): wait until both
  // have really finished (the one that did not fire is cancelled) before returning.
  w1.abort();
  w2.abort();
  (void)co_await w1;
  (void)co_await w2;
  const std::size_t open = g_open.load();
  std::printf("echo_server: shutting down (%zu connection%s open)\n", open, open == 1 ? "" : "s");
  std::fflush(stdout);
  // Returning ends block_on; destroying the runtime then destroys every connection task, which
  // closes its socket.
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string ip = "127.0.0.1";
  std::string port = "0";
  long threads = -1;  // -1: current-thread runtime
  bool metrics = false;
  eddy::IoBackend backend = eddy::IoBackend::automatic;
  unsigned uring_buffers = 1024;  // provided 4 KiB receive buffers (uring backend), a power of two
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if ((a == "--port" || a == "--addr") && i + 1 < argc) {
      (a == "--port" ? port : ip) = argv[++i];
    } else if (a == "--backend" && i + 1 < argc) {
      const std::string_view b = argv[++i];
      if (b == "epoll") {
        backend = eddy::IoBackend::epoll;
      } else if (b == "uring") {
        backend = eddy::IoBackend::io_uring;
      } else if (b == "auto") {
        backend = eddy::IoBackend::automatic;
      } else {
        return usage(argv[0]);
      }
    } else if (a == "--uring-buffers" && i + 1 < argc) {
      char* end = nullptr;
      const long n = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || n < 1 || n > 32768 || (n & (n - 1)) != 0) return usage(argv[0]);
      uring_buffers = static_cast<unsigned>(n);
    } else if (a == "--metrics") {
      metrics = true;
    } else if (a == "--threads" && i + 1 < argc) {
      char* end = nullptr;
      threads = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || threads < 0 || threads > 1024) return usage(argv[0]);
    } else {
      return usage(argv[0]);
    }
  }
  const std::string addr = ip.find(':') != std::string::npos ? "[" + ip + "]:" + port : ip + ":" + port;

  auto builder = threads < 0 ? eddy::Builder::new_current_thread()
                             : eddy::Builder::new_multi_thread().worker_threads(static_cast<std::size_t>(threads));
  auto rt = builder.enable_all().io_backend(backend).uring_recv_buffers(uring_buffers, 4096).build();
  if (!rt) {
    std::fprintf(stderr, "echo_server: cannot build the runtime: %s\n", rt.error().message().c_str());
    return 1;
  }
  const int rc = rt->block_on(run(addr));
  if (metrics) {
    const eddy::RuntimeMetrics m = rt->handle().metrics();
    std::printf("metrics: workers=%zu injection_queue_depth=%zu\n", m.workers, m.injection_queue_depth);
    for (std::size_t i = 0; i < m.worker.size(); ++i) {
      const auto& w = m.worker[i];
      std::printf("  worker %zu: polls=%llu steals=%llu steal_operations=%llu parks=%llu overflows=%llu local_queue_depth=%zu\n",
                  i, static_cast<unsigned long long>(w.polls), static_cast<unsigned long long>(w.steals),
                  static_cast<unsigned long long>(w.steal_operations), static_cast<unsigned long long>(w.parks),
                  static_cast<unsigned long long>(w.overflows), w.local_queue_depth);
    }
  }
  return rc;
}
