// echo_server: a TCP echo server on eddy. Each connection is echoed back until the peer closes
// its side (serve.cpp, lazy.cpp: how); this file holds the options, the runtimes and the
// shutdown.
//
//   echo_server [--port N] [--addr IP]     (port 0, the default, picks a free port)
//               [--threads N [--mode steal|per-core]] [--backend epoll|uring|auto]
//               [--uring-buffers N] [--metrics]
//
// Runtimes: without --threads, one current-thread runtime. With --threads N, --mode steal (the
// default) runs one multi-thread runtime with N work-stealing workers and one listener;
// --mode per-core runs N current-thread runtimes on N threads (thread-per-core, shared
// nothing: each its own driver, timers and tasks) with N SO_REUSEPORT listeners on the same
// port, among which the kernel spreads new connections. A connection stays on the runtime
// that accepted it. --backend picks how TCP runs, on either kind of runtime: epoll
// readiness, io_uring completion, or io_uring when the kernel allows it (on the multi-thread
// runtime, auto means epoll: there the workers share one ring, measured slower; docs/io-uring.md).
//
// It prints "listening on IP:PORT" once it accepts connections, and stops cleanly on Ctrl-C
// (SIGINT) or SIGTERM: it stops accepting, closes every connection and exits 0.
//
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "eddy/net.hpp"
#include "eddy/runtime.hpp"
#include "eddy/signal.hpp"
#include "serve.hpp"

namespace {

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--port N] [--addr IP] [--threads N [--mode steal|per-core]]\n"
               "          [--backend epoll|uring|auto] [--uring-buffers N] [--lazy] [--metrics]\n"
               "  port 0 = pick a free one; default 127.0.0.1:0\n"
               "  --threads N: N threads (0: one per CPU); without it, one current-thread runtime\n"
               "  --mode steal: one multi-thread (work-stealing) runtime with N workers (default)\n"
               "  --mode per-core: N current-thread runtimes, each with its own SO_REUSEPORT listener\n"
               "  --backend: TCP on epoll readiness, on io_uring completion (fails if refused), or\n"
               "             io_uring when the kernel allows it (auto, the default)\n"
               "  --uring-buffers N: provided 4 KiB receive buffers shared by all connections (1024)\n"
               "  --lazy: a waiting connection holds no task (one current-thread runtime only)\n"
               "  --metrics: print the scheduler's counters at exit\n",
               argv0);
  return 2;
}

// What the per-core runtimes share: the acceptors to abort on a signal (which only the first
// runtime listens for).
struct PerCore {
  std::mutex mutex;
  std::vector<eddy::AbortHandle> acceptors;  // guarded by mutex
  bool stopping = false;                     // guarded by mutex
  void add(eddy::AbortHandle h) {
    std::lock_guard<std::mutex> lock(mutex);
    if (stopping) h.abort();
    acceptors.push_back(std::move(h));
  }
  void stop_all() {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
    for (auto& h : acceptors) h.abort();
  }
};

eddy::Result<eddy::net::TcpListener> listen_reuseport(const eddy::net::SocketAddr& addr) {
  auto sock = addr.is_ipv4() ? eddy::net::TcpSocket::new_v4() : eddy::net::TcpSocket::new_v6();
  if (!sock) return sock.error();
  if (auto r = sock->set_reuseaddr(true); !r) return r.error();
  if (auto r = sock->set_reuseport(true); !r) return r.error();
  if (auto r = sock->bind(addr); !r) return r.error();
  return std::move(*sock).listen(1024);
}

// Serves on `addr_text` until a signal. per_core: the listener is an SO_REUSEPORT one, and
// the acceptor is registered in `shared` (only `leader` listens for signals; it stops all).
// `bound` is called with the listener's address once it accepts (and signals are watched).
eddy::Task<int> run(std::string addr_text, PerCore* shared, bool leader,
                    std::function<void(const eddy::net::SocketAddr&)> bound) {
  auto addr = eddy::net::SocketAddr::parse(addr_text);
  if (!addr) {
    std::fprintf(stderr, "echo_server: bad address '%s': %s\n", addr_text.c_str(), addr.error().message().c_str());
    co_return 2;
  }
  auto listener = shared != nullptr ? listen_reuseport(*addr) : eddy::net::TcpListener::bind(*addr);
  if (!listener) {
    std::fprintf(stderr, "echo_server: cannot listen on %s: %s\n", addr_text.c_str(), listener.error().message().c_str());
    co_return 1;
  }
  auto local = listener->local_addr();
  if (!local) {
    std::fprintf(stderr, "echo_server: local_addr: %s\n", local.error().message().c_str());
    co_return 1;
  }
  auto acceptor = eddy::spawn(echo::accept_loop(*listener));
  if (shared != nullptr) shared->add(acceptor.abort_handle());
  if (!leader) {
    bound(*local);
    (void)co_await acceptor;
    co_return 0;
  }
  // Listen for the signals before announcing the address, so that a SIGTERM sent as soon as
  // the address is seen is not lost.
  auto interrupt = eddy::signal::signal(eddy::signal::SignalKind::interrupt());
  auto terminate = eddy::signal::signal(eddy::signal::SignalKind::terminate());
  if (!interrupt || !terminate) {
    std::fprintf(stderr, "echo_server: cannot listen for signals: %s\n",
                 (!interrupt ? interrupt.error() : terminate.error()).message().c_str());
    acceptor.abort();
    (void)co_await acceptor;
    co_return 1;
  }
  bound(*local);

  // Whichever signal comes first aborts the acceptor(s); the main task waits for that.
  auto on_signal = [](eddy::signal::Signal& sig, eddy::JoinHandle<void>& target, PerCore* all) -> eddy::Task<void> {
    (void)co_await sig.recv();
    target.abort();
    if (all != nullptr) all->stop_all();
  };
  auto w1 = eddy::spawn(on_signal(*interrupt, acceptor, shared));
  auto w2 = eddy::spawn(on_signal(*terminate, acceptor, shared));
  (void)co_await acceptor;
  // The watchers refer to this frame (the Signals, the acceptor's handle): wait until both
  // have really finished (the one that did not fire is cancelled) before returning.
  w1.abort();
  w2.abort();
  (void)co_await w1;
  (void)co_await w2;
  // Returning ends block_on; destroying the runtime then destroys every connection task, which
  // closes its socket.
  co_return 0;
}

void print_metrics(const eddy::RuntimeMetrics& m, const char* label) {
  std::printf("metrics%s: workers=%zu alive_tasks=%zu injection_queue_depth=%zu budget_forced_yields=%llu\n", label,
              m.workers, m.alive_tasks, m.injection_queue_depth, static_cast<unsigned long long>(m.budget_forced_yields));
  for (std::size_t i = 0; i < m.worker.size(); ++i) {
    const auto& w = m.worker[i];
    std::printf("  worker %zu: polls=%llu steals=%llu steal_operations=%llu parks=%llu unparks=%llu overflows=%llu "
                "local_queue_depth=%zu busy_ms=%.1f\n",
                i, static_cast<unsigned long long>(w.polls), static_cast<unsigned long long>(w.steals),
                static_cast<unsigned long long>(w.steal_operations), static_cast<unsigned long long>(w.parks),
                static_cast<unsigned long long>(w.unparks), static_cast<unsigned long long>(w.overflows), w.local_queue_depth,
                static_cast<double>(w.busy_duration.count()) / 1e6);
  }
}

void announce(const eddy::net::SocketAddr& a) {
  std::printf("listening on %s\n", a.to_string().c_str());
  std::fflush(stdout);
}

void shutting_down() {
  const std::size_t open = echo::g_open.load();
  std::printf("echo_server: shutting down (%zu connection%s open)\n", open, open == 1 ? "" : "s");
  std::fflush(stdout);
}

// --mode per-core: N current-thread runtimes on N threads. The first binds (port 0: a free
// one) and watches the signals; the others bind the same port; the address is announced once
// all listen.
int run_per_core(const std::string& ip, const std::string& port, std::size_t n, bool metrics, eddy::IoBackend backend,
                 unsigned uring_buffers) {
  PerCore shared;
  std::vector<std::thread> threads;
  std::vector<int> rcs(n, 1);
  std::vector<eddy::RuntimeMetrics> ms(n);
  std::promise<std::optional<eddy::net::SocketAddr>> first_bound;
  auto first = first_bound.get_future();
  std::atomic<std::size_t> ready{0};
  std::mutex m;
  std::condition_variable cv;
  // `bound` is called exactly once: with the address, or with an unbound one on failure.
  auto core = [&](std::size_t i, std::string addr_text, std::function<void(const eddy::net::SocketAddr&)> bound) {
    bool called = false;
    auto once = [&](const eddy::net::SocketAddr& a) {
      called = true;
      bound(a);
    };
    auto rt = eddy::Builder::new_current_thread().enable_all().io_backend(backend).uring_recv_buffers(uring_buffers, 4096).build();
    if (!rt) {
      std::fprintf(stderr, "echo_server: cannot build runtime %zu: %s\n", i, rt.error().message().c_str());
    } else {
      rcs[i] = rt->block_on(run(std::move(addr_text), &shared, i == 0, once));
      ms[i] = rt->handle().metrics();
    }
    if (rcs[i] != 0) shared.stop_all();
    if (!called) bound(eddy::net::SocketAddr());
  };
  auto count_ready = [&](const eddy::net::SocketAddr&) {
    std::lock_guard<std::mutex> lock(m);
    ready.fetch_add(1);
    cv.notify_all();
  };
  const std::string addr0 = ip.find(':') != std::string::npos ? "[" + ip + "]:" + port : ip + ":" + port;
  threads.emplace_back(core, 0, addr0, [&](const eddy::net::SocketAddr& a) {
    first_bound.set_value(a);
    count_ready(a);
  });
  // A runtime that fails before announcing does so through rcs (and stop_all); the first
  // reports its address or nothing.
  std::optional<eddy::net::SocketAddr> a0;
  if (first.wait_for(std::chrono::seconds(30)) == std::future_status::ready) a0 = first.get();
  if (a0 && a0->port() != 0) {
    const std::string addr_i = a0->to_string();
    for (std::size_t i = 1; i < n; ++i) threads.emplace_back(core, i, addr_i, count_ready);
    std::unique_lock<std::mutex> lock(m);
    cv.wait_for(lock, std::chrono::seconds(30), [&] { return ready.load() >= n; });
    if (ready.load() >= n) announce(*a0);
  }
  for (auto& t : threads) t.join();
  shutting_down();
  int rc = 0;
  for (std::size_t i = 0; i < threads.size(); ++i) {
    if (rcs[i] != 0) rc = rcs[i];
    if (metrics) {
      const std::string label = " (runtime " + std::to_string(i) + ")";
      print_metrics(ms[i], label.c_str());
    }
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::string ip = "127.0.0.1";
  std::string port = "0";
  long threads = -1;  // -1: current-thread runtime
  bool metrics = false;
  bool per_core = false;
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
    } else if (a == "--lazy") {
      echo::g_options.lazy = true;
    } else if (a == "--metrics") {
      metrics = true;
    } else if (a == "--mode" && i + 1 < argc) {
      const std::string_view mode = argv[++i];
      if (mode != "steal" && mode != "per-core") return usage(argv[0]);
      per_core = mode == "per-core";
    } else if (a == "--threads" && i + 1 < argc) {
      char* end = nullptr;
      threads = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || threads < 0 || threads > 1024) return usage(argv[0]);
    } else {
      return usage(argv[0]);
    }
  }
  const std::string addr = ip.find(':') != std::string::npos ? "[" + ip + "]:" + port : ip + ":" + port;
  if (echo::g_options.lazy && (threads >= 0 || per_core)) return usage(argv[0]);
  if (per_core) {
    if (threads < 0) return usage(argv[0]);
    const std::size_t n = threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : static_cast<std::size_t>(threads);
    return run_per_core(ip, port, n, metrics, backend, uring_buffers);
  }

  echo::g_options.stealing = threads >= 0;
  auto builder = threads < 0 ? eddy::Builder::new_current_thread()
                             : eddy::Builder::new_multi_thread().worker_threads(static_cast<std::size_t>(threads));
  auto rt = builder.enable_all().io_backend(backend).uring_recv_buffers(uring_buffers, 4096).build();
  if (!rt) {
    std::fprintf(stderr, "echo_server: cannot build the runtime: %s\n", rt.error().message().c_str());
    return 1;
  }
  const int rc = rt->block_on(run(addr, nullptr, true, announce));
  shutting_down();
  // The waiting --lazy connections, on this thread (their ring's owner) while the runtime lives.
  echo::close_idle_lazy();
  if (metrics) print_metrics(rt->handle().metrics(), "");
  return rc;
}
