// The file backends the fs tests run against (ports of tokio's fs_*.rs and fs_uring*.rs run on
// both): the runtime's io_uring and the blocking pool. A suite declared with
// EDDY_FS_SUITE(Suite) and written with TEST_P runs once per backend; fs_runtime() builds the
// runtime for the backend under test (the io_uring case is skipped where the kernel refuses a
// ring). Plus a temporary directory and an fd counter.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "eddy/runtime.hpp"

namespace eddy_test {

inline const char* fs_backend_name(const testing::TestParamInfo<eddy::FileBackend>& info) {
  return info.param == eddy::FileBackend::io_uring ? "uring" : "pool";
}

// A runtime (I/O, time) whose files run on `backend`; null (and the test skipped) when the
// kernel refuses io_uring.
inline std::unique_ptr<eddy::Runtime> fs_runtime(eddy::FileBackend backend, unsigned entries = 256) {
  auto rt = eddy::Builder::new_current_thread().enable_all().file_backend(backend).uring_entries(entries).build();
  if (!rt) return nullptr;
  return std::make_unique<eddy::Runtime>(std::move(*rt));
}

// Open fds of this process (/proc/self/fd, minus the listing's own).
inline int open_fd_count() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - 1;
}

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/eddy-fs-XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const noexcept { return path_; }
  std::string join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace eddy_test

#define EDDY_FS_SUITE(Suite)                                                                           \
  class Suite : public testing::TestWithParam<eddy::FileBackend> {                                     \
   protected:                                                                                          \
    void SetUp() override {                                                                            \
      rt_ = eddy_test::fs_runtime(GetParam());                                                         \
      if (!rt_) GTEST_SKIP() << "the kernel refuses io_uring here";                                    \
    }                                                                                                  \
    eddy::Runtime& rt() { return *rt_; }                                                               \
    std::unique_ptr<eddy::Runtime> rt_;                                                                  \
  };                                                                                                   \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite,                                                            \
                           testing::Values(eddy::FileBackend::io_uring, eddy::FileBackend::blocking_pool), \
                           eddy_test::fs_backend_name)
