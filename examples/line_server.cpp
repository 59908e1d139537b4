// line_server: a tiny line protocol over TCP, showing buffered line reading, per-read timeouts
// and Ctrl-C handling on eddy.
//
//   line_server [--port N] [--idle-timeout SECS]      (port 0, the default, picks a free port)
//
// Each request is one line (LF or CRLF ended, at most 1024 bytes); each reply is one line:
//   PING          -> PONG
//   ECHO text     -> text
//   UPPER text    -> TEXT
//   COUNT         -> how many requests this connection has made, this one included
//   QUIT          -> BYE, then the server closes the connection
//   anything else -> ERR unknown command
// A connection that sends nothing for --idle-timeout seconds (default 30) is told
// "ERR idle timeout" and closed; one that sends a longer line is told "ERR line too long" and
// closed. Try it with: nc 127.0.0.1 PORT
//
// Ctrl-C stops the server: it stops accepting and closes every connection.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "eddy/net.hpp"
#include "eddy/runtime.hpp"
#include "eddy/signal.hpp"
#include "eddy/time.hpp"

namespace {

constexpr std::size_t kMaxLine = 1024;

std::chrono::seconds g_idle_timeout{30};

// The reply to one request line (without its line ending). Sets `quit` for QUIT.
std::string reply_to(std::string_view line, std::uint64_t count, bool& quit) {
  const auto space = line.find(' ');
  const std::string_view cmd = line.substr(0, space);
  const std::string_view arg = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  if (cmd == "PING") return "PONG";
  if (cmd == "ECHO") return std::string(arg);
  if (cmd == "UPPER") {
    std::string s(arg);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
  }
  if (cmd == "COUNT") return std::to_string(count);
  if (cmd == "QUIT") {
    quit = true;
    return "BYE";
  }
  return "ERR unknown command";
}

// One read, as a Task so that it can be given a deadline with eddy::time::timeout.
eddy::Task<eddy::Result<std::size_t>> read_some(eddy::net::TcpStream& s, eddy::net::MutableBuffer buf) {
  co_return co_await s.read(buf);
}

eddy::Task<void> serve(eddy::net::TcpStream stream) {
  // Bytes received but not yet answered: at most one line plus one read's worth.
  char buf[kMaxLine + 1];
  std::size_t have = 0;
  std::uint64_t requests = 0;
  std::string out;
  for (;;) {
    // Answer every complete line in the buffer.
    bool quit = false;
    while (!quit) {
      auto* nl = static_cast<char*>(std::memchr(buf, '\n', have));
      if (nl == nullptr) break;
      std::string_view line(buf, static_cast<std::size_t>(nl - buf));
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      out += reply_to(line, ++requests, quit);
      out += '\n';
      const std::size_t used = static_cast<std::size_t>(nl - buf) + 1;
      std::memmove(buf, buf + used, have - used);
      have -= used;
    }
    if (!out.empty()) {
      if (!co_await stream.write_all(eddy::net::ConstBuffer(out.data(), out.size()))) co_return;
      out.clear();
    }
    if (quit) co_return;
    if (have == sizeof buf) {
      (void)co_await stream.write_all("ERR line too long\n");
      co_return;
    }
    // Wait for more, at most the idle timeout. On timeout the inner read is cancelled before it
    // consumed anything (see eddy/time/timeout.hpp), so nothing is lost but the connection.
    auto n = co_await eddy::time::timeout(g_idle_timeout, read_some(stream, eddy::net::MutableBuffer(buf + have, sizeof buf - have)));
    if (!n) {
      if (n.error() == eddy::Error::timed_out) (void)co_await stream.write_all("ERR idle timeout\n");
      co_return;
    }
    if (!*n || **n == 0) co_return;  // read error, or the client closed its side
    have += **n;
  }
}

eddy::Task<void> accept_loop(eddy::net::TcpListener& listener) {
  for (;;) {
    auto accepted = co_await listener.accept();
    if (!accepted) {
      if (accepted.error() == eddy::Error::shutdown) co_return;
      // Out of descriptors (EMFILE/ENFILE): the connection waits in the backlog; back off
      // instead of spinning on a listener that stays readable.
      (void)co_await eddy::time::sleep(std::chrono::milliseconds(100));
      continue;
    }
    eddy::spawn(serve(std::move(accepted->first))).detach();
  }
}

eddy::Task<int> run(std::string addr_text) {
  auto addr = eddy::net::SocketAddr::parse(addr_text);
  if (!addr) {
    std::fprintf(stderr, "line_server: bad address '%s': %s\n", addr_text.c_str(), addr.error().message().c_str());
    co_return 2;
  }
  auto listener = eddy::net::TcpListener::bind(*addr);
  if (!listener) {
    std::fprintf(stderr, "line_server: cannot listen on %s: %s\n", addr_text.c_str(), listener.error().message().c_str());
    co_return 1;
  }
  auto local = listener->local_addr();
  if (!local) co_return 1;
  auto interrupt = eddy::signal::signal(eddy::signal::SignalKind::interrupt());
  if (!interrupt) {
    std::fprintf(stderr, "line_server: cannot listen for Ctrl-C: %s\n", interrupt.error().message().c_str());
    co_return 1;
  }
  std::printf("listening on %s (try: nc %s %u, then PING)\n", local->to_string().c_str(),
              addr_text.substr(0, addr_text.rfind(':')).c_str(), static_cast<unsigned>(local->port()));
  std::fflush(stdout);

  auto acceptor = eddy::spawn(accept_loop(*listener));
  co_await interrupt->recv();
  acceptor.abort();
  (void)co_await acceptor;
  std::printf("line_server: Ctrl-C, shutting down\n");
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string port = "0";
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = argv[++i];
    } else if (a == "--idle-timeout" && i + 1 < argc) {
      const long s = std::strtol(argv[++i], nullptr, 10);
      if (s <= 0 || s > 86400) {
        std::fprintf(stderr, "line_server: --idle-timeout wants 1..86400 seconds\n");
        return 2;
      }
      g_idle_timeout = std::chrono::seconds(s);
    } else {
      std::fprintf(stderr, "usage: %s [--port N] [--idle-timeout SECS]\n", argv[0]);
      return 2;
    }
  }
  auto rt = eddy::Builder::new_current_thread().enable_all().build();
  if (!rt) {
    std::fprintf(stderr, "line_server: cannot build the runtime: %s\n", rt.error().message().c_str());
    return 1;
  }
  return rt->block_on(run("127.0.0.1:" + port));
}
