// Suites that run once per runtime kind (tokio's rt_common.rs pattern): a test written with
// TEST_P(SuiteTest, Name) in a suite declared with EDDY_RT_SUITE(SuiteTest) runs on every kind
// in kRuntimeKinds, and eddy_test::rt_builder() / make_rt() build a runtime of the kind being
// tested. A new scheduler kind is one more enumerator here, and the whole runtime, net, time
// and signal suites run on it.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "eddy/runtime.hpp"

namespace eddy_test {

// current_thread_uring / multi_thread_uring: the scheduler with TCP in io_uring completion mode
// (Builder::io_backend(io_uring)); only the net suites (EDDY_NET_SUITE) run on them.
enum class RuntimeKind { current_thread, multi_thread, current_thread_uring, multi_thread_uring };

inline constexpr RuntimeKind kRuntimeKinds[] = {RuntimeKind::current_thread, RuntimeKind::multi_thread};
inline constexpr RuntimeKind kNetKinds[] = {RuntimeKind::current_thread, RuntimeKind::multi_thread,
                                            RuntimeKind::current_thread_uring, RuntimeKind::multi_thread_uring};

// The kind runs TCP in io_uring completion mode.
inline bool is_uring_kind(RuntimeKind k) noexcept {
  return k == RuntimeKind::current_thread_uring || k == RuntimeKind::multi_thread_uring;
}
// The kind runs its tasks on several worker threads.
inline bool is_multi_thread_kind(RuntimeKind k) noexcept {
  return k == RuntimeKind::multi_thread || k == RuntimeKind::multi_thread_uring;
}

// The kind the running test uses (set by the fixture before the test body).
inline RuntimeKind& current_runtime_kind() noexcept {
  static RuntimeKind kind = RuntimeKind::current_thread;
  return kind;
}

// A Builder for the kind under test.
inline eddy::Builder rt_builder() {
  switch (current_runtime_kind()) {
    case RuntimeKind::current_thread:
      break;
    case RuntimeKind::current_thread_uring:
      return eddy::Builder::new_current_thread().io_backend(eddy::IoBackend::io_uring);
    case RuntimeKind::multi_thread:
      // Two workers: as many as this machine's CPUs, and enough for every cross-worker path
      // (stealing, the driver held by one worker while the other sleeps on its condvar).
      return eddy::Builder::new_multi_thread().worker_threads(2);
    case RuntimeKind::multi_thread_uring:
      return eddy::Builder::new_multi_thread().worker_threads(2).io_backend(eddy::IoBackend::io_uring);
  }
  return eddy::Builder::new_current_thread();
}

inline std::string runtime_kind_name(const ::testing::TestParamInfo<RuntimeKind>& info) {
  switch (info.param) {
    case RuntimeKind::current_thread:
      break;
    case RuntimeKind::current_thread_uring:
      return "current_thread_uring";
    case RuntimeKind::multi_thread:
      return "multi_thread";
    case RuntimeKind::multi_thread_uring:
      return "multi_thread_uring";
  }
  return "current_thread";
}

class RuntimeKindTest : public ::testing::TestWithParam<RuntimeKind> {
 protected:
  void SetUp() override { current_runtime_kind() = GetParam(); }
};

}  // namespace eddy_test

// Skips the running test on the multi-thread kind, with the reason (a test that is inherently
// current-thread only: a single-threaded ordering, or the paused clock, which tokio also allows
// only on current_thread).
#define EDDY_CURRENT_THREAD_ONLY(reason)                                                         \
  do {                                                                                           \
    if (::eddy_test::is_multi_thread_kind(::eddy_test::current_runtime_kind())) {                 \
      GTEST_SKIP() << "current_thread only: " << (reason);                                     \
    }                                                                                            \
  } while (0)

// Skips the running test on the io_uring socket kind, with the reason (a test of epoll
// readiness itself: edges, the short-read trick; docs/io-uring.md says what differs).
#define EDDY_READINESS_ONLY(reason)                                                              \
  do {                                                                                           \
    if (::eddy_test::is_uring_kind(::eddy_test::current_runtime_kind())) {                       \
      GTEST_SKIP() << "epoll readiness mode only: " << (reason);                               \
    }                                                                                            \
  } while (0)

// Whether the test runs with TCP in io_uring completion mode.
#define EDDY_URING_KIND() (::eddy_test::is_uring_kind(::eddy_test::current_runtime_kind()))

// Declares the fixture `Suite` and runs its TEST_Ps once per runtime kind.
#define EDDY_RT_SUITE(Suite)                                                                     \
  class Suite : public ::eddy_test::RuntimeKindTest {};                                        \
  INSTANTIATE_TEST_SUITE_P(Kinds, Suite, ::testing::ValuesIn(::eddy_test::kRuntimeKinds),      \
                           ::eddy_test::runtime_kind_name)

// Declares the fixture `Suite` and runs its TEST_Ps once per runtime kind and once more with
// stream sockets in io_uring completion mode (the net suites; datagram sockets stay in
// readiness mode there, which shows the two modes side by side in one runtime).
#define EDDY_NET_SUITE(Suite)                                                                    \
  class Suite : public ::eddy_test::RuntimeKindTest {};                                        \
  INSTANTIATE_TEST_SUITE_P(Kinds, Suite, ::testing::ValuesIn(::eddy_test::kNetKinds),          \
                           ::eddy_test::runtime_kind_name)
