// echo_server's connections: how each one is served (serve.cpp: a task per connection;
// lazy.cpp: no task while it waits) and the accept loop that picks the model. main.cpp holds
// the runtimes, the options and the shutdown. Invariant: the options below are set before any
// runtime starts and never change after.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>

#include "eddy/net.hpp"
#include "eddy/task.hpp"

namespace echo {

struct Options {
  bool stealing = false;  // --threads without --mode per-core: one multi-thread runtime
  bool lazy = false;      // --lazy: a waiting connection holds no task
};
extern Options g_options;

// Connections being served (for the shutdown message).
extern std::atomic<std::size_t> g_open;

// Accepts until aborted, and serves each connection by the model the options and the runtime's
// backend pick.
eddy::Task<void> accept_loop(eddy::net::TcpListener& listener);

// --lazy (lazy.cpp): serves `stream` until it waits, then parks it without a task.
eddy::Task<void> start_lazy(eddy::net::TcpStream stream);

// --lazy, after block_on and before the runtime is destroyed, on the thread that ran it:
// closes every waiting connection.
void close_idle_lazy();

// What an echo could not write at once (serve.cpp); shared with lazy.cpp.
struct Echoed {
  bool ok = true;
  std::unique_ptr<std::byte[]> rest;
  std::size_t rest_len = 0;
};
Echoed echo_lease(eddy::net::TcpStream& stream, eddy::net::RecvBuffer& b);
eddy::Task<bool> send_rest(eddy::net::TcpStream& stream, Echoed e);

}  // namespace echo
