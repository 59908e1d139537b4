// echo_server: a TCP echo server on eddy. One task per connection echoes every byte back until
// the peer closes its side.
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
// that accepted it. --backend picks how TCP runs on each current-thread runtime: epoll
// readiness, io_uring completion, or io_uring when the kernel allows it (the multi-thread
// runtime runs on epoll).
//
// It prints "listening on IP:PORT" once it accepts connections, and stops cleanly on Ctrl-C
// (SIGINT) or SIGTERM: it stops accepting, closes every connection and exits 0.
//
// Memory per idle connection is what matters for a server holding many: here it is the
// connection task's coroutine frame, its task header and the socket's driver registration (a
// few hundred bytes; bench/echo/run measures it). No connection owns a read buffer. All
// connections of a thread read into one buffer, `g_scratch` (one per thread), which is safe
// because of two facts (on the multi-thread runtime, serve_stealing keeps them another way):
//   - a read completes inside the awaiter's poll, and the runtime resumes the coroutine right
//     after that poll: no other task runs between the bytes landing in g_scratch and our code
//     using them (and while a read is still waiting, it has written nothing);
//   - the echo writes those bytes back with try_write, which does not suspend. Only when the
//     socket cannot take them all (the peer is slow to read) are the rest copied into a buffer
//     of this connection's own, and awaited with write_all. That buffer lives only until
//     they are sent.
// So a waiting connection holds no buffer, and a busy one holds at most what the peer has not
// yet taken.
//
// With TCP in io_uring completion mode (--backend uring, or auto where the kernel allows it),
// serve_owned reads with read_buf instead: the bytes are echoed straight from the provided
// buffer the kernel received them into (no copy into g_scratch), and the buffer goes back to
// the ring as soon as try_write has taken them. Epoll mode keeps serve (read into g_scratch).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>
#include <cstdint>
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

// Shared by every connection polled on this thread; see the file comment.
constexpr std::size_t kScratchSize = 16 * 1024;
alignas(64) thread_local std::byte g_scratch[kScratchSize];

std::atomic<std::size_t> g_open{0};  // connections being served (for the shutdown message)

// Writes back what a read put in `data` without suspending. What the socket could not take is
// copied into `rest` (a buffer of this connection's own: the scratch is reused by the next task
// to run); false on an error.
struct Echoed {
  bool ok = true;
  std::unique_ptr<std::byte[]> rest;
  std::size_t rest_len = 0;
};
[[gnu::always_inline]] inline Echoed echo_now(eddy::net::TcpStream& stream, const std::byte* data, std::size_t n) {
  Echoed e;
  auto w = stream.try_write(eddy::net::ConstBuffer(data, n));
  if (!w && w.error() != std::errc::resource_unavailable_try_again) {  // would-block is EAGAIN
    e.ok = false;
    return e;
  }
  const std::size_t sent = w ? *w : 0;
  if (sent < n) {
    e.rest_len = n - sent;
    e.rest = std::make_unique<std::byte[]>(e.rest_len);
    std::memcpy(e.rest.get(), data + sent, e.rest_len);
  }
  return e;
}

// The slow path, in a frame of its own that lives only while the peer is slow to read. A
// connection spends its idle life suspended in serve()'s read, and whatever serve() keeps
// across a suspension (every local and awaiter in scope, whether or not it is live: that is how
// g++ and clang lay out frames) is per-connection memory; this keeps write_all's awaiter out.
// Reading stops meanwhile, which is the back-pressure: the peer's unsent bytes wait in the
// kernel.
eddy::Task<bool> send_rest(eddy::net::TcpStream& stream, Echoed e) {
  auto all = co_await stream.write_all(eddy::net::ConstBuffer(e.rest.get(), e.rest_len));
  co_return static_cast<bool>(all);
}

// Echoes until EOF or an error. Kept small: its frame (the stream, the read's awaiter and
// result) is most of a connection's memory.
eddy::Task<void> serve(eddy::net::TcpStream stream) {
  ++g_open;
  for (;;) {
    auto n = co_await stream.read(eddy::net::MutableBuffer(g_scratch, kScratchSize));
    if (!n || *n == 0) break;  // error, or the peer closed its side: we are done
    Echoed e = echo_now(stream, g_scratch, *n);
    if (!e.ok) break;
    if (e.rest && !co_await send_rest(stream, std::move(e))) break;
  }
  --g_open;
}
// echo_now for serve_owned, out of line: inlined there as well, it would use up g++'s inlining
// budget for this file and cost serve (epoll mode) its inlined read path (+50 instructions per
// round trip, measured).
[[gnu::noinline]] Echoed echo_lease(eddy::net::TcpStream& stream, eddy::net::RecvBuffer& b) {
  Echoed e = echo_now(stream, b.data(), b.size());
  b.reset();
  return e;
}

// serve() in completion mode: the read lends the received buffer (eddy::net::RecvBuffer); it is
// given back before any suspension of the slow path, so a connection waiting for its peer pins
// no buffer of the shared pool.
eddy::Task<void> serve_owned(eddy::net::TcpStream stream) {
  ++g_open;
  for (;;) {
    Echoed e;
    {  // the lease's scope ends before send_rest's suspension: it is not kept in the frame
      auto b = co_await stream.read_buf();
      if (!b || b->empty()) break;  // error, or the peer closed its side: we are done
      e = echo_lease(stream, *b);
    }
    if (!e.ok) break;
    if (e.rest && !co_await send_rest(stream, std::move(e))) break;
  }
  --g_open;
}

// This thread's scratch buffer, looked up after every resumption: on the multi-thread runtime a
// task may resume on another worker, and g_scratch's address (a thread_local, which a compiler
// may cache across the suspension) may be another thread's.
[[gnu::noinline]] std::byte* this_thread_scratch() noexcept { return g_scratch; }

// serve() for the multi-thread runtime (--mode steal), where the read's buffer cannot be chosen
// before the task suspends: wait for readability, then read into this thread's scratch and
// echo it within one poll (no suspension between the two), so no other task of this thread
// touches the scratch meanwhile.
eddy::Task<void> serve_stealing(eddy::net::TcpStream stream) {
  ++g_open;
  for (;;) {
    if (!co_await stream.readable()) break;
    std::byte* scratch = this_thread_scratch();
    auto n = stream.try_read(eddy::net::MutableBuffer(scratch, kScratchSize));
    if (!n) {
      if (n.error() == std::errc::resource_unavailable_try_again) continue;  // spurious readiness
      break;
    }
    if (*n == 0) break;
    Echoed e = echo_now(stream, scratch, *n);
    if (!e.ok) break;
    if (e.rest && !co_await send_rest(stream, std::move(e))) break;
  }
  --g_open;
}

bool g_stealing = false;  // set before the runtime starts: --mode steal

// --lazy (one current-thread runtime): a connection waiting for bytes holds no task, so no
// coroutine frame; what it holds is its stream (a heap block of 56 bytes), a slot in this
// thread's table and, in completion mode, the socket's completion state. It waits through
// poll_read_buf with a waker of its own (Waker::from_raw) whose data is the connection's fd:
// waking it spawns a short task, burst(), that echoes what is queued and parks the connection
// again. The fd, not a pointer, is the key, so a wake that comes late (the connection already
// running, or closed and its fd reused) finds no connection or a live one: at worst a poll
// that finds nothing. The cost is a spawn per burst of messages.
namespace lazy {

struct Conn {
  explicit Conn(eddy::net::TcpStream s) noexcept : stream(std::move(s)) { ++g_open; }
  ~Conn() { --g_open; }
  eddy::net::TcpStream stream;
};

// This thread's waiting connections, by fd. A connection is owned here while it waits, and by
// its burst() task while that runs.
thread_local std::vector<Conn*> t_idle;

eddy::Task<void> burst(std::unique_ptr<Conn> c);

void* key(int fd) noexcept { return reinterpret_cast<void*>(static_cast<std::uintptr_t>(fd)); }

void wake(void* data) noexcept {
  const auto fd = static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(data));
  if (fd >= t_idle.size() || t_idle[fd] == nullptr) return;  // running already, or closed
  std::unique_ptr<Conn> c(std::exchange(t_idle[fd], nullptr));
  eddy::spawn(burst(std::move(c))).detach();
}
void* clone(void* data) noexcept { return data; }
void drop(void* /*data*/) noexcept {}
constexpr eddy::WakerVTable kWaker{&clone, &wake, &wake, &drop};

// Echoes what is queued, then parks the connection (ends with it idle in t_idle, or closed).
eddy::Task<void> burst(std::unique_ptr<Conn> c) {
  const int fd = c->stream.fd();
  const auto slot = static_cast<std::size_t>(fd);
  for (;;) {
    // In the table during the poll: a wake from inside it (the budget spent) finds the
    // connection there and spawns the next burst, which then owns it.
    if (t_idle.size() <= slot) t_idle.resize(slot + 1, nullptr);
    Conn* raw = c.release();
    t_idle[slot] = raw;
    auto p = raw->stream.poll_read_buf(eddy::Waker::from_raw(key(fd), &kWaker));
    if (p.is_pending()) co_return;  // waiting (or already handed to the next burst)
    c.reset(std::exchange(t_idle[slot], nullptr));
    auto& b = *p;
    if (!b || b->empty()) co_return;  // error, or the peer closed its side: `c` closes it
    Echoed e = echo_lease(c->stream, *b);
    if (!e.ok) co_return;
    if (e.rest && !co_await send_rest(c->stream, std::move(e))) co_return;
  }
}

// After block_on, before the runtime is destroyed, on the thread that ran it: closes every
// waiting connection (a running one is closed with its task, when the runtime is destroyed).
// Closing a stream drops the waker it kept.
void close_idle() {
  for (Conn*& c : t_idle) delete std::exchange(c, nullptr);
}

}  // namespace lazy

bool g_lazy = false;  // set before the runtime starts: --lazy

// Accepts until aborted. On EMFILE/ENFILE (out of file descriptors) accept4 fails and the
// pending connection stays in the kernel's backlog; retrying at once would spin, since the
// listener stays readable. So it backs off for 100 ms (connections may close meanwhile) and
// tries again. Other accept errors (ECONNABORTED: the peer gave up while queued) are skipped.
eddy::Task<void> accept_loop(eddy::net::TcpListener& listener) {
  const bool owned = !g_stealing && eddy::RuntimeHandle::current().io_backend() == eddy::IoBackend::io_uring;
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
    if (g_lazy) {
      eddy::spawn(lazy::burst(std::make_unique<lazy::Conn>(std::move(stream)))).detach();
    } else if (owned) {
      eddy::spawn(serve_owned(std::move(stream))).detach();
    } else {
      eddy::spawn(g_stealing ? serve_stealing(std::move(stream)) : serve(std::move(stream))).detach();
    }
  }
}

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
  auto acceptor = eddy::spawn(accept_loop(*listener));
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
  const std::size_t open = g_open.load();
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
      g_lazy = true;
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
  if (g_lazy && (threads >= 0 || per_core)) return usage(argv[0]);
  if (per_core) {
    if (threads < 0) return usage(argv[0]);
    const std::size_t n = threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : static_cast<std::size_t>(threads);
    return run_per_core(ip, port, n, metrics, backend, uring_buffers);
  }

  g_stealing = threads >= 0;
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
  lazy::close_idle();
  if (metrics) print_metrics(rt->handle().metrics(), "");
  return rc;
}
