// fs::File: each call builds a FileOp (owning its buffer) and runs it (fs/op.hpp); reads copy
// out of the op's buffer after completion, writes copy into it before submission.
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include "eddy/error.hpp"
#include "eddy/fs/file.hpp"
#include "fs/op.hpp"

namespace eddy::fs {

using detail::FileOp;
using detail::Kind;

namespace {

// One read or write moves at most this much (the kernel's own cap on a transfer is a little
// under 2 GiB; the ring's length field is 32 bits).
constexpr std::size_t kMaxTransfer = std::size_t{1} << 30;

std::shared_ptr<FileOp> make_read(int fd, std::size_t len, std::int64_t offset) {
  auto op = std::make_shared<FileOp>(Kind::read);
  op->fd = fd;
  op->len = std::min(len, kMaxTransfer);
  op->offset = offset;
  op->buf = std::make_unique_for_overwrite<std::byte[]>(op->len == 0 ? 1 : op->len);
  return op;
}

std::shared_ptr<FileOp> make_write(int fd, std::span<const std::byte> data, std::int64_t offset) {
  auto op = std::make_shared<FileOp>(Kind::write);
  op->fd = fd;
  op->len = std::min(data.size(), kMaxTransfer);
  op->offset = offset;
  op->buf = std::make_unique_for_overwrite<std::byte[]>(op->len == 0 ? 1 : op->len);
  if (op->len != 0) std::memcpy(op->buf.get(), data.data(), op->len);
  return op;
}

Result<std::int64_t> checked_offset(std::uint64_t offset) {
  if (offset > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return detail::errno_code(EINVAL);
  return static_cast<std::int64_t>(offset);
}

Task<Result<std::size_t>> read_impl(int fd, std::span<std::byte> buf, std::int64_t offset) {
  auto op = make_read(fd, buf.size(), offset);
  auto r = co_await detail::execute(op);
  if (!r) co_return r.error();
  if (*r != 0) std::memcpy(buf.data(), op->buf.get(), *r);
  co_return static_cast<std::size_t>(*r);
}

Task<Result<std::size_t>> write_impl(int fd, std::span<const std::byte> buf, std::int64_t offset) {
  auto op = make_write(fd, buf, offset);
  auto r = co_await detail::execute(op);
  if (!r) co_return r.error();
  co_return static_cast<std::size_t>(*r);
}

Task<Result<void>> fsync_impl(int fd, Kind kind) {
  auto op = std::make_shared<FileOp>(kind);
  op->fd = fd;
  auto r = co_await detail::execute(op);
  if (!r) co_return r.error();
  co_return Result<void>();
}

}  // namespace

Task<Result<File>> File::open(std::string path, OpenOptions options) {
  auto flags = options.flags();
  if (!flags) co_return flags.error();
  auto op = std::make_shared<FileOp>(Kind::openat);
  op->path = std::move(path);
  op->flags = *flags;
  op->mode = options.permissions();
  auto r = co_await detail::execute(op);
  if (!r) co_return r.error();
  op->fd_taken = true;
  co_return File(OwnedFd(static_cast<int>(*r)));
}

Task<Result<File>> File::open(std::string path) { return open(std::move(path), OpenOptions().read(true)); }

Task<Result<File>> File::create(std::string path) {
  return open(std::move(path), OpenOptions().write(true).create(true).truncate(true));
}

Task<Result<std::size_t>> File::read(std::span<std::byte> buf) { return read_impl(fd_.fd(), buf, -1); }

Task<Result<std::size_t>> File::write(std::span<const std::byte> buf) { return write_impl(fd_.fd(), buf, -1); }

Task<Result<std::size_t>> File::read_at(std::span<std::byte> buf, std::uint64_t offset) {
  auto off = checked_offset(offset);
  if (!off) co_return off.error();
  co_return co_await read_impl(fd_.fd(), buf, *off);
}

Task<Result<std::size_t>> File::write_at(std::span<const std::byte> buf, std::uint64_t offset) {
  auto off = checked_offset(offset);
  if (!off) co_return off.error();
  co_return co_await write_impl(fd_.fd(), buf, *off);
}

Task<Result<void>> File::read_exact_at(std::span<std::byte> buf, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < buf.size()) {
    auto n = co_await read_at(buf.subspan(done), offset + done);
    if (!n) co_return n.error();
    if (*n == 0) co_return Error::unexpected_eof;
    done += *n;
  }
  co_return Result<void>();
}

Task<Result<void>> File::write_all_at(std::span<const std::byte> buf, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < buf.size()) {
    auto n = co_await write_at(buf.subspan(done), offset + done);
    if (!n) co_return n.error();
    if (*n == 0) co_return Error::write_zero;
    done += *n;
  }
  co_return Result<void>();
}

Task<Result<void>> File::write_all(std::span<const std::byte> buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    auto n = co_await write(buf.subspan(done));
    if (!n) co_return n.error();
    if (*n == 0) co_return Error::write_zero;
    done += *n;
  }
  co_return Result<void>();
}

Task<Result<void>> File::sync_all() { return fsync_impl(fd_.fd(), Kind::fsync); }

Task<Result<void>> File::sync_data() { return fsync_impl(fd_.fd(), Kind::fdatasync); }

Task<Result<void>> File::set_len(std::uint64_t len) {
  if (len > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) co_return detail::errno_code(EINVAL);
  auto op = std::make_shared<FileOp>(Kind::ftruncate);
  op->fd = fd_.fd();
  op->len = len;
  auto r = co_await detail::execute(op);
  if (!r) co_return r.error();
  co_return Result<void>();
}

Task<Result<Metadata>> File::metadata() {
  auto op = std::make_shared<FileOp>(Kind::statx);
  op->fd = fd_.fd();
  op->flags = AT_EMPTY_PATH;
  auto r = co_await detail::execute(op);
  if (!r) co_return r.error();
  co_return detail::to_metadata(op->stx);
}

}  // namespace eddy::fs
