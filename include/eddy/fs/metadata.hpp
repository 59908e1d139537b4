// fs::Metadata: what statx(2) says about a file (type, length, permissions, times).
#pragma once

#include <chrono>
#include <cstdint>

namespace eddy::fs {

enum class FileType : std::uint8_t { file, dir, symlink, other };

struct Metadata {
  FileType type = FileType::other;
  std::uint64_t len = 0;          // bytes
  std::uint32_t permissions = 0;  // the mode's permission bits (07777)
  std::uint64_t inode = 0;
  std::uint64_t blocks = 0;       // 512-byte blocks allocated
  std::chrono::system_clock::time_point modified;
  std::chrono::system_clock::time_point accessed;
  bool has_created = false;       // the file system reports a birth time
  std::chrono::system_clock::time_point created;

  bool is_file() const noexcept { return type == FileType::file; }
  bool is_dir() const noexcept { return type == FileType::dir; }
  bool is_symlink() const noexcept { return type == FileType::symlink; }
};

}  // namespace eddy::fs
