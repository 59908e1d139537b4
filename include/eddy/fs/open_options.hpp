// fs::OpenOptions: how File::open opens a file (access mode, creation, truncation, permissions),
// with the same rules as Rust's std::fs::OpenOptions: an invalid combination (no access mode;
// create/truncate without write; append with truncate) fails with EINVAL before any syscall.
#pragma once

#include <cstdint>

#include "eddy/result.hpp"

namespace eddy::fs {

class OpenOptions {
 public:
  OpenOptions() = default;

  OpenOptions& read(bool v) noexcept { return set(read_, v); }
  OpenOptions& write(bool v) noexcept { return set(write_, v); }
  // Writes go to the end of the file (O_APPEND); implies write access.
  OpenOptions& append(bool v) noexcept { return set(append_, v); }
  // Truncates an existing file to length 0; needs write.
  OpenOptions& truncate(bool v) noexcept { return set(truncate_, v); }
  // Creates the file if it does not exist; needs write or append.
  OpenOptions& create(bool v) noexcept { return set(create_, v); }
  // Creates the file, failing with EEXIST if it exists (O_CREAT | O_EXCL); needs write or append.
  OpenOptions& create_new(bool v) noexcept { return set(create_new_, v); }
  // Permission bits for a created file (before the umask). Default 0666.
  OpenOptions& mode(std::uint32_t m) noexcept {
    mode_ = m;
    return *this;
  }

  // The open(2) flags (with O_CLOEXEC), or EINVAL for an invalid combination.
  Result<int> flags() const noexcept;
  std::uint32_t permissions() const noexcept { return mode_; }

 private:
  OpenOptions& set(bool& field, bool v) noexcept {
    field = v;
    return *this;
  }
  bool read_ = false, write_ = false, append_ = false, truncate_ = false, create_ = false, create_new_ = false;
  std::uint32_t mode_ = 0666;
};

}  // namespace eddy::fs
