// Helpers for the eddy::net tests: running a coroutine on a fresh runtime, assertions usable
// inside coroutines, a connected loopback TCP pair and a "would this poll be pending" probe.
#pragma once

#include <gtest/gtest.h>

#include <utility>

#include "eddy/net/tcp_listener.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/runtime.hpp"
#include "eddy/task.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// ASSERT_* returns from the function, which a coroutine cannot do: these co_return instead.
#define CO_ASSERT_TRUE(cond)                         \
  do {                                               \
    if (!(cond)) {                                   \
      ADD_FAILURE() << "assertion failed: " #cond;   \
      co_return;                                     \
    }                                                \
  } while (0)

#define CO_ASSERT_OK(result)                                                          \
  do {                                                                                \
    if (!(result)) {                                                                  \
      ADD_FAILURE() << #result " failed: " << (result).error().message();             \
      co_return;                                                                      \
    }                                                                                 \
  } while (0)

namespace eddy_test {

// Runs `task` to completion on a new current-thread runtime with I/O.
inline void run(eddy::Task<void> task) {
  auto rt = eddy_test::rt_builder().enable_all().build();
  if (!rt && EDDY_URING_KIND()) {
    GTEST_SKIP() << "the kernel refuses io_uring sockets here: " << rt.error().message();
  }
  ASSERT_TRUE(rt);
  if (EDDY_URING_KIND()) {
    ASSERT_EQ(rt->handle().io_backend(), eddy::IoBackend::io_uring);
  }
  rt->block_on(std::move(task));
}

inline eddy::net::SocketAddr loopback_any_port() {
  return eddy::net::SocketAddr(eddy::net::IpAddr::v4_loopback(), 0);
}

struct TcpPair {
  eddy::net::TcpStream client;
  eddy::net::TcpStream server;
};

// A connected loopback pair (client side, accepted side), or the first error.
// static, not inline: clang 14 with ASan fails ("Cannot represent a difference across
// sections") on coroutines emitted in COMDAT sections.
[[maybe_unused]] static eddy::Task<eddy::Result<TcpPair>> tcp_pair() {
  auto l = eddy::net::TcpListener::bind(loopback_any_port());
  if (!l) co_return l.error();
  auto addr = l->local_addr();
  if (!addr) co_return addr.error();
  auto c = co_await eddy::net::TcpStream::connect(*addr);
  if (!c) co_return c.error();
  auto a = co_await l->accept();
  if (!a) co_return a.error();
  co_return TcpPair{std::move(*c), std::move(a->first)};
}

// True when `p` (a poll result) is Pending.
template <class P>
bool is_pending(const P& p) {
  return p.is_pending();
}

}  // namespace eddy_test
