// eddy::fs: files and the file-system helpers, over io_uring or the blocking pool.
#pragma once

#include "eddy/fs/file.hpp"
#include "eddy/fs/functions.hpp"
#include "eddy/fs/metadata.hpp"
#include "eddy/fs/open_options.hpp"
#include "eddy/fs/read_dir.hpp"
