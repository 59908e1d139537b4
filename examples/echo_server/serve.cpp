// A task per connection: each echoes every byte back until the peer closes its side.
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
//
// The two serve loops stay in this one file, and g++ gets a higher inlining cap for it
// (examples/CMakeLists.txt): both hot paths must be inlined into their loops.
#include "serve.hpp"

#include <chrono>
#include <cstdio>

#include "eddy/runtime.hpp"
#include "eddy/time.hpp"

namespace echo {

Options g_options;
std::atomic<std::size_t> g_open{0};

namespace {

using namespace std::chrono_literals;

// Shared by every connection polled on this thread; see the file comment.
constexpr std::size_t kScratchSize = 16 * 1024;
alignas(64) thread_local std::byte g_scratch[kScratchSize];

// Writes back what a read put in `data` without suspending. What the socket could not take is
// copied into `rest` (a buffer of this connection's own: the scratch is reused by the next task
// to run); false on an error.
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

}  // namespace

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

// echo_now for serve_owned, out of line: inlined there as well, it would use up g++'s inlining
// budget for this file and cost serve (epoll mode) its inlined read path (+50 instructions per
// round trip, measured).
[[gnu::noinline]] Echoed echo_lease(eddy::net::TcpStream& stream, eddy::net::RecvBuffer& b) {
  Echoed e = echo_now(stream, b.data(), b.size());
  b.reset();
  return e;
}

// On EMFILE/ENFILE (out of file descriptors) accept4 fails and the pending connection stays in
// the kernel's backlog; retrying at once would spin, since the listener stays readable. So it
// backs off for 100 ms (connections may close meanwhile) and tries again. Other accept errors
// (ECONNABORTED: the peer gave up while queued) are skipped.
eddy::Task<void> accept_loop(eddy::net::TcpListener& listener) {
  const bool owned =
      !g_options.stealing && eddy::RuntimeHandle::current().io_backend() == eddy::IoBackend::io_uring;
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
    if (g_options.lazy) {
      eddy::spawn(start_lazy(std::move(stream))).detach();
    } else if (owned) {
      eddy::spawn(serve_owned(std::move(stream))).detach();
    } else {
      eddy::spawn(g_options.stealing ? serve_stealing(std::move(stream)) : serve(std::move(stream))).detach();
    }
  }
}

}  // namespace echo
