// ReadinessWord: the layout of a ScheduledIo's packed readiness word and every transition on
// it, as pure functions on the 64-bit value. ScheduledIo's CAS loops call these, and the tests
// call the very same functions (tick wrap, shutdown stickiness), so what is tested is what ships.
//
// Layout: bits 0..15 Ready bits, bits 16..47 the tick (32 bits, wraps at 2^32), bits 48..62
// always zero, bit 63 SHUTDOWN.
//
// Invariants kept by every transition below:
// - SHUTDOWN, once set, is carried through unchanged (tokio loses it on a clear; we must not).
// - Bits 48..62 stay zero: a tick carry out of bit 47 is masked off, never left to creep up.
// - READ_CLOSED and WRITE_CLOSED are never cleared: a closed side stays closed.
#pragma once

#include <cstdint>

#include "eddy/ready.hpp"

namespace eddy::io::detail {

struct ReadinessWord {
  static constexpr std::uint64_t kReadyMask = 0xffff;
  static constexpr unsigned kTickShift = 16;
  static constexpr std::uint64_t kTickMask = 0xffffffffull << kTickShift;
  static constexpr std::uint64_t kShutdownBit = 1ull << 63;
  static constexpr std::uint64_t kTickOne = 1ull << kTickShift;
  static constexpr std::uint64_t kKeep = kShutdownBit | kTickMask | kReadyMask;

  static constexpr Ready ready_of(std::uint64_t w) noexcept { return Ready::from_bits(w & kReadyMask); }
  static constexpr std::uint32_t tick_of(std::uint64_t w) noexcept {
    return static_cast<std::uint32_t>((w & kTickMask) >> kTickShift);
  }
  static constexpr bool is_shutdown(std::uint64_t w) noexcept { return (w & kShutdownBit) != 0; }

  static constexpr std::uint64_t pack(std::uint32_t tick, Ready ready, bool shutdown) noexcept {
    return (shutdown ? kShutdownBit : 0) | (static_cast<std::uint64_t>(tick) << kTickShift) | ready.bits();
  }

  // The driver saw an event: OR its readiness in and bump the tick. The tick's carry out of bit
  // 47 lands in bit 48, which kKeep masks off.
  static constexpr std::uint64_t dispatch(std::uint64_t w, Ready ready) noexcept {
    return ((w | ready.bits()) + kTickOne) & kKeep;
  }

  // The bits a clear of `ready` removes: never the closed bits.
  static constexpr std::uint64_t clear_bits(Ready ready) noexcept {
    return (ready - (Ready::READ_CLOSED | Ready::WRITE_CLOSED)).bits();
  }
  // Clearing `bits` from `w`; the caller applies it only while tick_of(w) is the event's tick.
  static constexpr std::uint64_t clear(std::uint64_t w, std::uint64_t bits) noexcept { return w & ~bits; }

  // The general update: the ready bits become `next`; the tick is bumped (an event) or kept.
  static constexpr std::uint64_t update(std::uint64_t w, std::uint32_t tick, Ready next) noexcept {
    return (w & kShutdownBit) | (static_cast<std::uint64_t>(tick) << kTickShift) | next.bits();
  }

  static constexpr std::uint64_t shutdown(std::uint64_t w) noexcept { return w | kShutdownBit; }

  // True when `mask` readiness (or shutdown) is present: the one-load fast test of every poll.
  static constexpr bool any(std::uint64_t w, Ready mask) noexcept {
    return (w & (mask.bits() | kShutdownBit)) != 0;
  }
};

}  // namespace eddy::io::detail
