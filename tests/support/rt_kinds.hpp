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

enum class RuntimeKind { current_thread };

inline constexpr RuntimeKind kRuntimeKinds[] = {RuntimeKind::current_thread};

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
  }
  return eddy::Builder::new_current_thread();
}

inline std::string runtime_kind_name(const ::testing::TestParamInfo<RuntimeKind>& info) {
  switch (info.param) {
    case RuntimeKind::current_thread:
      break;
  }
  return "current_thread";
}

class RuntimeKindTest : public ::testing::TestWithParam<RuntimeKind> {
 protected:
  void SetUp() override { current_runtime_kind() = GetParam(); }
};

}  // namespace eddy_test

// Declares the fixture `Suite` and runs its TEST_Ps once per runtime kind.
#define EDDY_RT_SUITE(Suite)                                                                     \
  class Suite : public ::eddy_test::RuntimeKindTest {};                                        \
  INSTANTIATE_TEST_SUITE_P(Kinds, Suite, ::testing::ValuesIn(::eddy_test::kRuntimeKinds),      \
                           ::eddy_test::runtime_kind_name)
