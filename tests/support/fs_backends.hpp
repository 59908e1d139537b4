// The file backends the fs tests run against (ports of tokio's fs_*.rs and fs_uring*.rs run on
// both): the runtime's io_uring and the blocking pool. A suite declared with
// EDDY_FS_SUITE(Suite) and written with TEST_P runs once per backend; fs_runtime() builds the
// runtime for the backend under test, on both runtime kinds (the io_uring case is skipped where
// the kernel refuses a ring). The temporary directory and the fd counter: support/temp_dir.hpp.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "eddy/runtime.hpp"
#include "support/temp_dir.hpp"

namespace eddy_test {

// One fs test configuration: the backend, on the current-thread or the multi-thread runtime
// (two workers; for io_uring, its default rings). Converts to its backend.
struct FsKind {
  eddy::FileBackend backend;
  bool multi_thread = false;
  operator eddy::FileBackend() const noexcept { return backend; }  // NOLINT: the tests compare backends
};

inline constexpr FsKind kFsKinds[] = {{eddy::FileBackend::io_uring, false},
                                      {eddy::FileBackend::blocking_pool, false},
                                      {eddy::FileBackend::io_uring, true},
                                      {eddy::FileBackend::blocking_pool, true}};

inline std::string fs_backend_name(const testing::TestParamInfo<FsKind>& info) {
  const char* b = info.param.backend == eddy::FileBackend::io_uring ? "uring" : "pool";
  return info.param.multi_thread ? std::string("mt_") + b : std::string(b);
}

// A runtime (I/O, time) whose files run on `backend`; null (and the test skipped) when the
// kernel refuses io_uring. `rings`: the multi-thread runtime's ring count (0: its default).
inline std::unique_ptr<eddy::Runtime> fs_runtime(FsKind kind, unsigned entries = 256, unsigned rings = 0) {
  auto b = kind.multi_thread ? eddy::Builder::new_multi_thread().worker_threads(2) : eddy::Builder::new_current_thread();
  auto rt = b.enable_all().file_backend(kind.backend).uring_entries(entries).uring_rings(rings).build();
  if (!rt) return nullptr;
  return std::make_unique<eddy::Runtime>(std::move(*rt));
}
inline std::unique_ptr<eddy::Runtime> fs_runtime(eddy::FileBackend backend, unsigned entries = 256) {
  return fs_runtime(FsKind{backend, false}, entries);
}

}  // namespace eddy_test

#define EDDY_FS_SUITE(Suite)                                                                           \
  class Suite : public testing::TestWithParam<eddy_test::FsKind> {                                     \
   protected:                                                                                          \
    void SetUp() override {                                                                            \
      rt_ = eddy_test::fs_runtime(GetParam());                                                         \
      if (!rt_) GTEST_SKIP() << "the kernel refuses io_uring here";                                    \
    }                                                                                                  \
    eddy::Runtime& rt() { return *rt_; }                                                               \
    std::unique_ptr<eddy::Runtime> rt_;                                                                  \
  };                                                                                                   \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, testing::ValuesIn(eddy_test::kFsKinds), eddy_test::fs_backend_name)
