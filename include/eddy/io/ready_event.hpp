// The small value types the I/O driver passes around: ReadyEvent, Direction, Tick.
#pragma once

#include <cstdint>
#include "eddy/poll.hpp"
#include "eddy/ready.hpp"

namespace eddy {

namespace io {

// A snapshot of a resource's readiness, stamped with the resource's tick at the time it was
// taken. Clearing readiness with a stale event (an older tick) is a no-op, which is what keeps a
// newer edge from being erased (see ScheduledIo::clear_readiness).
//
// Unlike tokio, which keeps only the low 8 bits here, the tick is carried in full (32 bits), so
// an event that is 256 (or 32768) edges stale still cannot match.
struct ReadyEvent {
  std::uint32_t tick = 0;
  Ready ready;
  bool is_shutdown = false;

  constexpr ReadyEvent with_ready(Ready r) const noexcept { return {tick, r, is_shutdown}; }
};

// The two poll-style directions, each with its own waker slot.
enum class Direction : std::uint8_t { Read, Write };

// The readiness a poll-style waiter of `d` is woken by. A pending socket error is for the
// reader: an error-only event (a UDP socket's ICMP port-unreachable arrives as EPOLLERR |
// EPOLLOUT, with nothing to read) must wake a task waiting to receive, whose receive syscall
// then returns the error. The write side already sees such an event as WRITE_CLOSED.
constexpr Ready direction_mask(Direction d) noexcept {
  return d == Direction::Read ? (Ready::READABLE | Ready::READ_CLOSED | Ready::ERROR)
                              : (Ready::WRITABLE | Ready::WRITE_CLOSED);
}

// How set_readiness treats the resource's tick: Set bumps it (the driver saw an event),
// Clear(t) only applies when the tick still equals t.
struct Tick {
  enum class Kind : std::uint8_t { Set, Clear } kind;
  std::uint32_t value;

  static constexpr Tick set() noexcept { return {Kind::Set, 0}; }
  static constexpr Tick clear(std::uint32_t t) noexcept { return {Kind::Clear, t}; }
};

}  // namespace io
}  // namespace eddy
