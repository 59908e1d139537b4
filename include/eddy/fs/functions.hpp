// The path helpers of eddy::fs: whole-file read and write, directories, removal, rename,
// metadata. Each runs on the runtime's io_uring when it has one, on the blocking pool otherwise
// (same results and errors: std::error_code in the system category, such as ENOENT, EACCES,
// EISDIR, ENOTEMPTY). co_await them in a task of a runtime. Cancellation (the awaiting coroutine
// destroyed): the operation in flight is cancelled or runs to its end; its outcome is dropped
// and no buffer of the caller is touched (see eddy/fs/file.hpp).
//
// The Tasks are lazy: `contents` (and any span given to File) is read when the task runs, so it
// must outlive the co_await (co_await the call in the same expression, as in the examples).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/fs/metadata.hpp"
#include "eddy/result.hpp"
#include "eddy/task.hpp"

namespace eddy::fs {

// The whole file's bytes.
Task<Result<std::vector<std::byte>>> read(std::string path);
// The whole file as a string (bytes as they are; no encoding check).
Task<Result<std::string>> read_to_string(std::string path);
// Creates or truncates `path` and writes `contents` (mode 0666 before the umask).
Task<Result<void>> write(std::string path, std::span<const std::byte> contents);
Task<Result<void>> write(std::string path, std::string_view contents);

// mkdir -p: creates every missing directory of `path` (mode 0777 before the umask); success if
// it exists as a directory already.
Task<Result<void>> create_dir(std::string path);
Task<Result<void>> create_dir_all(std::string path);
Task<Result<void>> remove_file(std::string path);
// Removes an empty directory.
Task<Result<void>> remove_dir(std::string path);
Task<Result<void>> rename(std::string from, std::string to);
// Follows symbolic links; symlink_metadata does not.
Task<Result<Metadata>> metadata(std::string path);
Task<Result<Metadata>> symlink_metadata(std::string path);

}  // namespace eddy::fs
