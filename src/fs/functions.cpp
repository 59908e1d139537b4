// The path helpers: each is one or a few FileOps (fs/op.hpp).
#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "eddy/fs/file.hpp"
#include "eddy/fs/functions.hpp"
#include "fs/op.hpp"

namespace eddy::fs {

using detail::FileOp;
using detail::Kind;

namespace {

Task<Result<void>> path_op(Kind kind, std::string path, int flags, unsigned mode, std::string path2 = {}) {
  auto op = std::make_shared<FileOp>(kind);
  op->path = std::move(path);
  op->path2 = std::move(path2);
  op->flags = flags;
  op->mode = mode;
  auto r = co_await detail::execute(op);
  if (!r) co_return r.error();
  co_return Result<void>();
}

Task<Result<Metadata>> stat_path(std::string path, int flags) {
  auto op = std::make_shared<FileOp>(Kind::statx);
  op->fd = AT_FDCWD;
  op->path = std::move(path);
  op->flags = flags;
  auto r = co_await detail::execute(op);
  if (!r) co_return r.error();
  co_return detail::to_metadata(op->stx);
}

// Reads the whole of `f` into `out`, growing it as needed. `hint` is the size statx reported
// (a file may grow or shrink meanwhile: the read goes on until it returns 0).
Task<Result<void>> read_all(File& f, std::vector<std::byte>& out, std::uint64_t hint) {
  std::size_t chunk = hint < 4096 ? 4096 : (hint > (std::size_t{1} << 24) ? (std::size_t{1} << 24) : hint + 1);
  for (;;) {
    const std::size_t at = out.size();
    out.resize(at + chunk);
    auto n = co_await f.read(std::span<std::byte>(out).subspan(at));
    if (!n) co_return n.error();
    out.resize(at + *n);
    if (*n == 0) co_return Result<void>();
    chunk = chunk < (std::size_t{1} << 24) ? chunk * 2 : chunk;
  }
}

}  // namespace

Task<Result<std::vector<std::byte>>> read(std::string path) {
  auto f = co_await File::open(std::move(path));
  if (!f) co_return f.error();
  auto meta = co_await f->metadata();
  if (!meta) co_return meta.error();
  std::vector<std::byte> out;
  if (meta->is_file()) out.reserve(meta->len);
  auto r = co_await read_all(*f, out, meta->len);
  if (!r) co_return r.error();
  co_return out;
}

Task<Result<std::string>> read_to_string(std::string path) {
  auto bytes = co_await read(std::move(path));
  if (!bytes) co_return bytes.error();
  co_return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

Task<Result<void>> write(std::string path, std::span<const std::byte> contents) {
  auto f = co_await File::create(std::move(path));
  if (!f) co_return f.error();
  co_return co_await f->write_all(contents);
}

Task<Result<void>> write(std::string path, std::string_view contents) {
  return write(std::move(path), std::as_bytes(std::span<const char>(contents.data(), contents.size())));
}

Task<Result<void>> create_dir(std::string path) { return path_op(Kind::mkdirat, std::move(path), 0, 0777); }

Task<Result<void>> create_dir_all(std::string path) {
  // Create from the deepest missing ancestor down: try the path; on ENOENT create its parent
  // first and try again. EEXIST is success only when the existing thing is a directory.
  if (path.empty()) co_return detail::errno_code(ENOENT);
  std::vector<std::string> todo{path};
  while (!todo.empty()) {
    const std::string p = todo.back();
    auto r = co_await create_dir(p);
    if (r) {
      todo.pop_back();
      continue;
    }
    if (r.error() == std::error_code(EEXIST, std::system_category())) {
      auto m = co_await metadata(p);
      if (!m || !m->is_dir()) co_return r.error();
      todo.pop_back();
      continue;
    }
    if (r.error() != std::error_code(ENOENT, std::system_category())) co_return r.error();
    std::string parent = p;
    while (!parent.empty() && parent.back() == '/') parent.pop_back();
    const auto slash = parent.rfind('/');
    if (slash == std::string::npos || slash == 0) co_return r.error();  // no parent left to make
    parent.resize(slash);
    todo.push_back(std::move(parent));
  }
  co_return Result<void>();
}

Task<Result<void>> remove_file(std::string path) { return path_op(Kind::unlinkat, std::move(path), 0, 0); }

Task<Result<void>> remove_dir(std::string path) { return path_op(Kind::unlinkat, std::move(path), AT_REMOVEDIR, 0); }

Task<Result<void>> rename(std::string from, std::string to) {
  return path_op(Kind::renameat, std::move(from), 0, 0, std::move(to));
}

Task<Result<Metadata>> metadata(std::string path) { return stat_path(std::move(path), 0); }

Task<Result<Metadata>> symlink_metadata(std::string path) { return stat_path(std::move(path), AT_SYMLINK_NOFOLLOW); }

}  // namespace eddy::fs
