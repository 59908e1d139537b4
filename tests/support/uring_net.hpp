// Helpers of the io_uring socket tests (net_uring_test, net_uring_unix_test, net_owned_write_test,
// net_recv_buffer_test): a current-thread runtime with sockets on the ring, the skip where the
// kernel refuses one, a deterministic byte pattern, and the guard that forces SEND_ZC.
#pragma once

#include <cstddef>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "eddy/runtime.hpp"
#include "net/uring_send.hpp"

namespace eddy_test {

// `b` with I/O and time, sockets in io_uring completion mode; null where the kernel refuses
// (see SKIP_IF_NO_URING).
inline std::unique_ptr<eddy::Runtime> uring_rt(eddy::Builder b = eddy::Builder::new_current_thread()) {
  auto rt = b.enable_all().io_backend(eddy::IoBackend::io_uring).build();
  if (!rt) return nullptr;
  return std::make_unique<eddy::Runtime>(std::move(*rt));
}

// `n` letters from a generator seeded with `seed`: a lost, doubled or reordered byte shows.
inline std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

// Every large send by SEND_ZC for the guard's life, even where the kernel copies (loopback),
// which the default policy stops doing after the first such notification.
struct ForceSendZc {
  ForceSendZc() { eddy::net::detail::set_send_zc_for_bench(1, true); }
  ~ForceSendZc() { eddy::net::detail::set_send_zc_for_bench(0, false); }
  ForceSendZc(const ForceSendZc&) = delete;
  ForceSendZc& operator=(const ForceSendZc&) = delete;
};

}  // namespace eddy_test

#define SKIP_IF_NO_URING(rt) \
  if (!(rt)) GTEST_SKIP() << "the kernel refuses io_uring sockets here"
