// --lazy (one current-thread runtime): a connection waiting for bytes holds no task, so no
// coroutine frame. What it holds is its stream (a heap block of 56 bytes), a slot in this
// thread's table and, in completion mode, the socket's completion state. It waits through
// poll_read_buf with a waker of its own (Waker::from_raw) whose data is the connection's fd:
// waking it spawns a short task, burst(), that echoes what is queued and parks the connection
// again. Invariant: a connection is owned by exactly one of this thread's table (while it
// waits) and its running burst(). The fd, not a pointer, is the key, so a wake that comes late
// (the connection already running, or closed and its fd reused) finds no connection or a live
// one: at worst a poll that finds nothing. The cost is a spawn per burst of messages.
#include <cstdint>
#include <utility>
#include <vector>

#include "eddy/runtime.hpp"
#include "serve.hpp"

namespace echo {
namespace {

struct Conn {
  explicit Conn(eddy::net::TcpStream s) noexcept : stream(std::move(s)) { ++g_open; }
  ~Conn() { --g_open; }
  eddy::net::TcpStream stream;
};

// This thread's waiting connections, by fd.
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

}  // namespace

eddy::Task<void> start_lazy(eddy::net::TcpStream stream) { return burst(std::make_unique<Conn>(std::move(stream))); }

// A running connection is closed with its task, when the runtime is destroyed. Closing a stream
// drops the waker it kept.
void close_idle_lazy() {
  for (Conn*& c : t_idle) delete std::exchange(c, nullptr);
}

}  // namespace echo
