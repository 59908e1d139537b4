// fs::read_dir: a directory's entries (without "." and ".."). The listing is read in one job
// on the blocking pool (no io_uring opcode reads a directory) and handed out by next_entry().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eddy/fs/metadata.hpp"
#include "eddy/result.hpp"
#include "eddy/task.hpp"

namespace eddy::fs {

struct DirEntry {
  std::string file_name;
  std::string path;  // the directory's path joined with file_name
  FileType type = FileType::other;  // from the directory entry (lstat when the fs omits it)
};

class ReadDir {
 public:
  ReadDir() = default;
  explicit ReadDir(std::vector<DirEntry> entries) noexcept : entries_(std::move(entries)) {}
  // The next entry, or nullopt after the last. Order: as the file system lists them.
  std::optional<DirEntry> next_entry() {
    if (next_ == entries_.size()) return std::nullopt;
    return std::move(entries_[next_++]);
  }

 private:
  std::vector<DirEntry> entries_;
  std::size_t next_ = 0;
};

Task<Result<ReadDir>> read_dir(std::string path);

}  // namespace eddy::fs
