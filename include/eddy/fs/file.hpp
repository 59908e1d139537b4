// fs::File: an open file whose operations run on the runtime's io_uring when it has one (and the
// calling thread owns it), on the blocking pool otherwise, with the same results and errors.
//
//   auto f = co_await fs::File::open("data.bin", fs::OpenOptions().read(true));   // Result<File>
//   std::vector<std::byte> buf(4096);
//   auto n = co_await f->read_at(buf, 8192);                                      // Result<size_t>
//
// Every operation returns a Task; co_await it in a task of a runtime. Errors are std::error_code
// in the system category (ENOENT, EACCES, EISDIR, EBADF...), or eddy::Error::shutdown when the
// runtime shut down first.
//
// Buffers and cancellation: an operation never lets the kernel (or a pool thread) touch the
// caller's buffer. A read fills a buffer the operation owns and copies into the caller's span
// when it completes; a write copies the caller's bytes first. If the awaiting coroutine is
// destroyed while the operation is in flight, a cancel is submitted, the operation's own buffer
// lives until its completion arrives, and its outcome is dropped: a read's bytes are lost, a
// write may or may not have happened, and a read or write at the file position may or may not
// have moved the position.
//
// A File is not safe to use from two tasks at once at the file position (as with read(2)); the
// *_at calls are. Dropping a File closes its fd at once (close(2) of a regular file does not
// block on I/O; call sync_all first to flush).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "eddy/fs/metadata.hpp"
#include "eddy/fs/open_options.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/result.hpp"
#include "eddy/task.hpp"

namespace eddy::fs {

class File {
 public:
  File() = default;
  // Takes ownership of an open fd.
  explicit File(OwnedFd fd) noexcept : fd_(std::move(fd)) {}

  // Opens `path` as `options` say.
  static Task<Result<File>> open(std::string path, OpenOptions options);
  // Opens for reading.
  static Task<Result<File>> open(std::string path);
  // Opens for writing, creating it or truncating it.
  static Task<Result<File>> create(std::string path);

  // At the file position (which moves by the bytes transferred). 0 from read: the end.
  Task<Result<std::size_t>> read(std::span<std::byte> buf);
  Task<Result<std::size_t>> write(std::span<const std::byte> buf);
  // At `offset`; the file position does not move.
  Task<Result<std::size_t>> read_at(std::span<std::byte> buf, std::uint64_t offset);
  Task<Result<std::size_t>> write_at(std::span<const std::byte> buf, std::uint64_t offset);
  // Fills `buf` from `offset`, or Error::unexpected_eof if the file ends first.
  Task<Result<void>> read_exact_at(std::span<std::byte> buf, std::uint64_t offset);
  // Writes all of `buf` at `offset` (Error::write_zero if a write makes no progress).
  Task<Result<void>> write_all_at(std::span<const std::byte> buf, std::uint64_t offset);
  // Writes all of `buf` at the file position.
  Task<Result<void>> write_all(std::span<const std::byte> buf);

  // fsync(2) / fdatasync(2).
  Task<Result<void>> sync_all();
  Task<Result<void>> sync_data();
  // ftruncate(2): always on the blocking pool (no io_uring opcode on the kernels liburing 2.3
  // knows).
  Task<Result<void>> set_len(std::uint64_t len);
  Task<Result<Metadata>> metadata();

  int fd() const noexcept { return fd_.fd(); }
  bool is_open() const noexcept { return fd_.valid(); }
  // Gives the fd up without closing it.
  OwnedFd into_fd() noexcept { return std::move(fd_); }

 private:
  OwnedFd fd_;
};

}  // namespace eddy::fs
