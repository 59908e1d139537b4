// pubsub_server: a chat room over TCP, showing eddy::sync the way a server uses it.
//
//   pubsub_server [--port N]     (port 0, the default, picks a free port; try: nc 127.0.0.1 PORT)
//   pubsub_server --self-test    (serves, connects two clients, checks a message goes across and
//                                 that shutdown reaches both, exits 0 on success)
//
// Every line a client sends is published on a broadcast channel and written to every other
// client as "[id] text". A client too slow to keep up is told how many messages it missed
// (broadcast's lagged error) and carries on. Ctrl-C stops the server gracefully: a
// CancellationToken tells the accept loop and every client task to stop, each client is sent
// "* server shutting down", and the server waits for all of them through a JoinSet.
//
// Each client task waits for three things at once with when_any: bytes from its socket, a
// message on the bus, the shutdown token. The two that lose are cancelled every round, which is
// safe because all three are cancel-safe (a cancelled socket read consumed nothing; a cancelled
// broadcast recv keeps its position; a cancelled token wait changes nothing).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "eddy/net.hpp"
#include "eddy/runtime.hpp"
#include "eddy/signal.hpp"
#include "eddy/sync.hpp"

namespace {

using eddy::Task;
using eddy::net::TcpStream;
namespace sync = eddy::sync;

struct Msg {
  std::uint64_t from;
  std::string text;
};
using MsgPtr = std::shared_ptr<const Msg>;
using Bus = sync::broadcast::Sender<MsgPtr>;

// What woke a client task up.
struct Event {
  enum Kind { read, bus, stop } kind;
  std::size_t n = 0;        // read: bytes (0 = the client closed)
  std::error_code ec;       // read or bus error
  MsgPtr msg;               // bus: the message
};

Task<Event> next_read(TcpStream& s, char* buf, std::size_t size) {
  auto r = co_await s.read(eddy::net::MutableBuffer(buf, size));
  co_return Event{Event::read, r ? *r : 0, r.error(), nullptr};
}

Task<Event> next_message(sync::broadcast::Receiver<MsgPtr>& rx) {
  auto m = co_await rx.recv();
  co_return Event{Event::bus, 0, m.error(), m ? *m : nullptr};
}

Task<Event> stopped(sync::CancellationToken& stop) {
  co_await stop.cancelled();
  co_return Event{Event::stop, 0, {}, nullptr};
}

Task<void> client(TcpStream s, std::uint64_t id, Bus bus, sync::CancellationToken stop) {
  auto rx = bus.subscribe();
  char buf[1024];
  std::string partial;
  for (;;) {
    Event ev = (co_await sync::when_any(next_read(s, buf, sizeof buf), next_message(rx), stopped(stop))).value;
    if (ev.kind == Event::stop) {
      (void)co_await s.write_all("* server shutting down\n");
      co_return;
    }
    if (ev.kind == Event::read) {
      if (ev.ec || ev.n == 0) co_return;  // error or the client left
      partial.append(buf, ev.n);
      for (std::size_t nl; (nl = partial.find('\n')) != std::string::npos;) {
        std::string line = partial.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        partial.erase(0, nl + 1);
        (void)bus.send(std::make_shared<const Msg>(Msg{id, std::move(line)}));
      }
      if (partial.size() > 4096) co_return;  // no line ending in sight: drop the client
      continue;
    }
    // A bus message, or why there was none.
    std::string out;
    if (auto missed = sync::lagged_count(ev.ec)) {
      out = "* you missed " + std::to_string(*missed) + " message(s)\n";
    } else if (ev.ec) {
      co_return;  // the bus closed
    } else if (ev.msg->from != id) {
      out = "[" + std::to_string(ev.msg->from) + "] " + ev.msg->text + "\n";
    }
    if (!out.empty() && !co_await s.write_all(eddy::net::ConstBuffer(std::string_view(out)))) co_return;
  }
}

Task<std::optional<TcpStream>> next_client(eddy::net::TcpListener& l) {
  for (;;) {
    auto c = co_await l.accept();
    if (c) co_return std::move(c->first);
    // EMFILE and friends: a real server would back off (see echo_server); here we just retry.
  }
}

Task<std::optional<TcpStream>> stop_accepting(sync::CancellationToken& stop) {
  co_await stop.cancelled();
  co_return std::nullopt;
}

Task<void> serve(eddy::net::TcpListener& l, sync::CancellationToken stop) {
  auto [bus, unused] = sync::broadcast::channel<MsgPtr>(256);
  { auto drop = std::move(unused); }  // clients subscribe; nobody reads this one
  sync::JoinSet<void> clients;
  for (std::uint64_t id = 1;; ++id) {
    auto next = co_await sync::when_any(next_client(l), stop_accepting(stop));
    if (!next.value) break;
    clients.spawn(client(std::move(*next.value), id, bus, stop.child_token()));
    while (clients.try_join_next()) {
    }  // forget clients that have left
  }
  // Every client saw the token too; wait until each has said goodbye.
  for (;;) {
    auto r = co_await clients.join_next();
    if (!r) break;
  }
}

// --self-test: two clients; B's "ready" reaching A shows both are subscribed; then A's "hello"
// must reach B, and the shutdown notice must reach both.
Task<bool> read_until(TcpStream& s, std::string_view want) {
  std::string got;
  char buf[256];
  while (got.find(want) == std::string::npos) {
    auto n = co_await s.read(eddy::net::MutableBuffer(buf, sizeof buf));
    if (!n || *n == 0) co_return false;
    got.append(buf, *n);
  }
  co_return true;
}

Task<bool> self_test(eddy::net::SocketAddr addr, sync::CancellationToken stop) {
  auto a = co_await TcpStream::connect(addr);
  auto b = co_await TcpStream::connect(addr);
  if (!a || !b) co_return false;
  bool ok = true;
  ok = ok && co_await b->write_all("ready\n");
  ok = ok && co_await read_until(*a, "[2] ready\n");
  ok = ok && co_await a->write_all("hello\n");
  ok = ok && co_await read_until(*b, "[1] hello\n");
  stop.cancel();
  ok = ok && co_await read_until(*a, "* server shutting down\n");
  ok = ok && co_await read_until(*b, "* server shutting down\n");
  co_return ok;
}

Task<int> run(std::string addr_text, bool test) {
  auto addr = eddy::net::SocketAddr::parse(addr_text);
  if (!addr) co_return 2;
  auto l = eddy::net::TcpListener::bind(*addr);
  if (!l) {
    std::fprintf(stderr, "bind: %s\n", l.error().message().c_str());
    co_return 1;
  }
  auto local = l->local_addr();
  if (!local) co_return 1;
  sync::CancellationToken stop;
  if (test) {
    auto checker = eddy::spawn(self_test(*local, stop));
    co_await serve(*l, stop);
    auto ok = co_await checker;
    std::printf("pubsub_server self-test: %s\n", ok && *ok ? "ok" : "FAILED");
    co_return ok && *ok ? 0 : 1;
  }
  std::printf("pubsub_server listening on port %u (Ctrl-C stops it)\n", static_cast<unsigned>(local->port()));
  std::fflush(stdout);
  auto on_ctrl_c = eddy::spawn([](sync::CancellationToken t) -> Task<void> {
    (void)co_await eddy::signal::ctrl_c();
    t.cancel();
  }(stop));
  co_await serve(*l, stop);
  on_ctrl_c.abort();
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string port = "0";
  bool test = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = argv[++i];
    } else if (a == "--self-test") {
      test = true;
    } else {
      std::fprintf(stderr, "usage: %s [--port N] [--self-test]\n", argv[0]);
      return 2;
    }
  }
  auto rt = eddy::Builder::new_current_thread().enable_all().build();
  if (!rt) return 1;
  return rt->block_on(run("127.0.0.1:" + port, test));
}
