// OpenOptions -> open(2) flags, with Rust's std::fs rules for invalid combinations.
#include <fcntl.h>

#include <cerrno>

#include "eddy/fs/open_options.hpp"
#include "fs/op.hpp"

namespace eddy::fs {

Result<int> OpenOptions::flags() const noexcept {
  int access;
  if (append_) access = read_ ? (O_RDWR | O_APPEND) : (O_WRONLY | O_APPEND);
  else if (read_ && write_) access = O_RDWR;
  else if (write_) access = O_WRONLY;
  else if (read_) access = O_RDONLY;
  else return detail::errno_code(EINVAL);  // no access mode

  const bool writable = write_ || append_;
  if (!writable && (truncate_ || create_ || create_new_)) return detail::errno_code(EINVAL);
  if (append_ && truncate_ && !create_new_) return detail::errno_code(EINVAL);

  int creation = 0;
  if (create_new_) creation = O_CREAT | O_EXCL;
  else if (create_ && truncate_) creation = O_CREAT | O_TRUNC;
  else if (create_) creation = O_CREAT;
  else if (truncate_) creation = O_TRUNC;
  return access | creation | O_CLOEXEC;
}

}  // namespace eddy::fs
