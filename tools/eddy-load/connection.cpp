// One connection's task. Pipelining: up to `inflight` messages are outstanding; each time bytes
// come back they are checked against the connection's pattern stream, every message they
// complete has its round trip recorded, and as many new messages are sent (in one write).
//
// Why one task can both write and read without deadlock: it writes only while at most
// opts.inflight * opts.size bytes (<= 64 KiB, checked by the options) are unanswered, which the
// loopback socket buffers between the two ends always hold, so a write never waits on the server
// while the server waits on us to read.
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "load.hpp"
#include "pattern.hpp"

namespace eddy_load {
namespace {

std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

std::string describe(std::uint32_t id, const char* what, std::error_code ec = {}) {
  std::string s = "connection " + std::to_string(id) + ": " + what;
  if (ec) s += ": " + ec.message();
  return s;
}

}  // namespace

eddy::Task<void> run_connection(LoadState& state, std::uint32_t id, eddy::net::TcpStream stream) {
  const Options& o = state.opts;
  const std::size_t size = o.size;
  const std::size_t window = static_cast<std::size_t>(o.inflight) * size;  // bytes in flight, max
  // One allocation per connection: the receive buffer and the send times of the messages in
  // flight (slot m % inflight holds message m's; it is free again once m is answered).
  const Pattern pattern(id, window);
  auto recv_buf = std::make_unique<std::byte[]>(window);
  auto sent_at = std::make_unique<std::int64_t[]>(o.inflight);

  std::uint64_t sent = 0;      // messages sent
  std::uint64_t answered = 0;  // messages fully echoed
  std::uint64_t received = 0;  // bytes echoed (and checked)

  // Stamps the next k messages' send time and returns their bytes (one contiguous slice).
  auto next_messages = [&](std::uint32_t k) {
    const std::int64_t t = now_ns();
    for (std::uint32_t j = 0; j < k; ++j) sent_at[(sent + j) % o.inflight] = t;
    std::span<const std::byte> bytes(pattern.at(sent * size), k * size);
    sent += k;
    return bytes;
  };

  bool ok = true;
  if (const std::uint32_t k = state.take(o.idle ? 1 : o.inflight); k > 0) {
    auto w = co_await stream.write_all(next_messages(k));
    if (!w) {
      state.fail(describe(id, "write", w.error()));
      ok = false;
    }
  }
  while (ok && answered < sent) {
    auto r = co_await stream.read(std::span<std::byte>(recv_buf.get(), window));
    if (!r) {
      state.fail(describe(id, "read", r.error()));
      break;
    }
    const std::size_t n = *r;
    if (n == 0) {
      state.fail(describe(id, "the server closed the connection with messages in flight"));
      break;
    }
    if (received + n > sent * size) {
      state.fail(describe(id, "the server sent more bytes than it was sent"));
      break;
    }
    if (!pattern.matches(received, recv_buf.get(), n)) {
      state.fail(describe(id, ("echoed bytes differ from the bytes sent, within stream bytes " +
                               std::to_string(received) + ".." + std::to_string(received + n))
                                  .c_str()));
      break;
    }
    received += n;
    state.bytes_verified += n;
    const std::uint64_t now_answered = received / size;
    if (now_answered == answered) continue;
    const std::int64_t t = now_ns();
    const bool measuring = state.phase == Phase::Measure;
    for (std::uint64_t m = answered; m < now_answered; ++m) {
      if (measuring) state.latency.record(static_cast<std::uint64_t>(t - sent_at[m % o.inflight]));
    }
    const auto done = static_cast<std::uint32_t>(now_answered - answered);
    if (measuring) state.round_trips += done;
    state.all_round_trips += done;
    answered = now_answered;
    if (const std::uint32_t k = o.idle ? 0 : state.take(done); k > 0) {
      auto w = co_await stream.write_all(next_messages(k));
      if (!w) {
        state.fail(describe(id, "write", w.error()));
        break;
      }
    }
  }

  if (ok && o.idle && state.phase != Phase::Stop) {
    // Hold the connection open, idle, until the run aborts this task. Anything the server sends
    // now (data or EOF) is unexpected.
    ++state.idle;
    for (;;) {
      auto g = co_await stream.readable();
      if (!g) {
        if (state.phase != Phase::Stop) state.fail(describe(id, "waiting while idle", g.error()));
        break;
      }
      // Readiness left over from the round trip wakes us at once: confirm with a read.
      std::byte probe[1];
      auto r = stream.try_read(std::span<std::byte>(probe, 1));
      if (!r && eddy::io::is_would_block(r.error())) continue;
      if (state.phase != Phase::Stop) {
        state.fail(describe(id, r ? (*r == 0 ? "the server closed an idle connection" : "the server sent data on an idle connection")
                                  : "read while idle", r ? std::error_code{} : r.error()));
      }
      break;
    }
    --state.idle;
  }
  (void)stream.shutdown(eddy::net::Shutdown::Write);  // tells the server we are done; it sees EOF
  --state.active;
  state.last_finish = Clock::now();
}

}  // namespace eddy_load
