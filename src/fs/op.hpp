// One file operation, run on the current runtime's io_uring or on its blocking pool.
//
// Invariant: everything the kernel or a pool thread reads or writes for an operation (its
// buffer, its paths, its statx block) lives in the FileOp, which is shared (std::shared_ptr)
// between the submitter and the executor: the ring holds a reference from SQE to CQE
// (io/uring/op.hpp), a pool job holds one until the job returns. So destroying the awaiting
// coroutine never frees memory that is still being written.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "eddy/fs/metadata.hpp"
#include "eddy/result.hpp"
#include "eddy/task.hpp"
#include "io/uring/op.hpp"

namespace eddy::fs::detail {

enum class Kind : std::uint8_t { openat, read, write, fsync, fdatasync, statx, unlinkat, renameat, mkdirat, ftruncate };

struct FileOp final : io::uring::Op {
  explicit FileOp(Kind k) noexcept : kind(k) {}
  // An openat whose fd nobody took (its awaiting coroutine was destroyed before it could) closes
  // that fd here, when the last owner (ring, pool job or submitter) lets go: no fd leaks.
  ~FileOp() override;
  Kind kind;
  int fd = -1;
  int flags = 0;       // openat, statx, unlinkat
  unsigned mode = 0;   // openat, mkdirat
  std::int64_t offset = -1;  // read, write: -1 is the file position
  std::uint64_t len = 0;     // read, write: buffer length; ftruncate: the length
  std::unique_ptr<std::byte[]> buf;
  std::string path, path2;
  struct statx stx {};
  long sync_res = -1;     // the blocking pool's result (written by the pool thread)
  bool fd_taken = false;  // openat: the submitter took the fd
  // The pool path runs on a dup of the file's fd, closed with the op: a cancelled operation
  // still running on a pool thread must not use an fd number the File may already have closed
  // (and the process reused). The ring needs none: the kernel holds the file for the op.
  bool fd_owned = false;
};

// Runs `op`: on the current runtime's ring when the calling thread owns it (and the op has an
// opcode), else on the blocking pool. The syscall's result (>= 0), or its errno as a system
// error, or Error::shutdown. `op` must stay owned by the caller until the task completes (co_await
// it at once).
Task<Result<std::uint64_t>> execute(const std::shared_ptr<FileOp>& op);

// A statx result as Metadata.
Metadata to_metadata(const struct statx& stx) noexcept;

std::error_code errno_code(int e) noexcept;

}  // namespace eddy::fs::detail
