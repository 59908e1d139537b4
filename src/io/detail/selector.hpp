// The I/O driver's backend seam: the Selector concept, the reserved tokens, and the backend in
// use. The driver talks to its backend only through this interface; no backend's constants
// reach a public header.
//
// A Selector registers fds under 64-bit tokens, waits for a batch of events, and decodes one
// event into (token, Ready). Tokens are ScheduledIo addresses, except the reserved ones below.
//
// The release rule, stated for any backend: a ScheduledIo is freed only after the backend has
// confirmed that its token can no longer come back, and only by the driver, between two polls.
// `deregister` returns that confirmation: when it returns, the token is dead. (epoll: DEL is
// synchronous, so its return is the confirmation. A completion backend confirms with the
// completion of its cancel, and must not return from deregister before that.)
#pragma once

#include <concepts>
#include <cstdint>

#include "eddy/interest.hpp"
#include "eddy/io/detail/scheduled_io.hpp"
#include "eddy/ready.hpp"
#include "eddy/result.hpp"
#include "io/detail/epoll_selector.hpp"

namespace eddy::io::detail {

// The reserved tokens, in one table. Every token below kReservedTokens is reserved; an aligned
// ScheduledIo address (a non-null multiple of its alignment) is never one of them.
enum class ReservedToken : std::uint64_t {
  wakeup = 0,  // the driver's eventfd: an unpark; nothing to dispatch
  signal = 1,  // the signal layer's self-pipe: note it, the signal layer drains it
  uring = 2,   // the io_uring's completion eventfd (io/uring/ring.hpp): drain the ring's CQ
};
inline constexpr std::uint64_t kReservedTokens = 3;
static_assert(kReservedTokens <= alignof(ScheduledIo), "a ScheduledIo address could collide with a reserved token");

constexpr std::uint64_t token(ReservedToken t) noexcept { return static_cast<std::uint64_t>(t); }

template <class S>
concept Selector = requires(S& s, const S& cs, int fd, std::uint64_t tok, Interest interest,
                            typename S::Event* events, const typename S::Event& ev, int n) {
  { S::create() } -> std::same_as<Result<S>>;
  { cs.register_source(fd, tok, interest) } -> std::same_as<Result<void>>;
  { cs.reregister(fd, tok, interest) } -> std::same_as<Result<void>>;
  { cs.deregister(fd) } -> std::same_as<Result<void>>;
  // Waits at most timeout_ms (-1: no limit); the number of events, or -1 with errno set.
  { cs.select(events, n, n) } -> std::same_as<int>;
  { S::token_of(ev) } -> std::same_as<std::uint64_t>;
  { S::readiness_of(ev) } -> std::same_as<Ready>;
};

// The backend the driver is built with.
using DefaultSelector = EpollSelector;
static_assert(Selector<DefaultSelector>);

}  // namespace eddy::io::detail
