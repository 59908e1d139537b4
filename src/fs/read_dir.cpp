// fs::read_dir: the whole listing in one blocking-pool job (no io_uring opcode for getdents).
#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "eddy/blocking.hpp"
#include "eddy/fs/read_dir.hpp"
#include "fs/op.hpp"

namespace eddy::fs {

namespace {

FileType type_of(unsigned char d_type, const std::string& path) {
  switch (d_type) {
    case DT_REG: return FileType::file;
    case DT_DIR: return FileType::dir;
    case DT_LNK: return FileType::symlink;
    case DT_UNKNOWN: {
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0) return FileType::other;
      if (S_ISREG(st.st_mode)) return FileType::file;
      if (S_ISDIR(st.st_mode)) return FileType::dir;
      if (S_ISLNK(st.st_mode)) return FileType::symlink;
      return FileType::other;
    }
    default: return FileType::other;
  }
}

Result<std::vector<DirEntry>> list(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return detail::errno_code(errno);
  std::vector<DirEntry> out;
  const std::string prefix = !path.empty() && path.back() == '/' ? path : path + '/';
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(dir);
    if (e == nullptr) break;
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    DirEntry d;
    d.file_name = e->d_name;
    d.path = prefix + d.file_name;
    d.type = type_of(e->d_type, d.path);
    out.push_back(std::move(d));
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return detail::errno_code(err);
  return out;
}

}  // namespace

Task<Result<ReadDir>> read_dir(std::string path) {
  // A named handle: g++ 12 mishandles a resource-holding temporary inside co_await (fs/op.cpp).
  auto pending = spawn_blocking([p = std::move(path)] { return list(p); });
  auto r = co_await pending;
  if (!r) co_return r.error();
  if (!*r) co_return r->error();
  co_return ReadDir(std::move(**r));
}

}  // namespace eddy::fs
