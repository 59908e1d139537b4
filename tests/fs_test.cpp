// eddy::fs against both backends (io_uring and the blocking pool): ports of tokio's fs_file.rs,
// fs_open_options.rs, fs_dir.rs, fs_remove*.rs, fs_rename.rs, fs_link.rs behaviours, and the
// errors each path must give alike.
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "eddy/fs.hpp"
#include "eddy/runtime.hpp"
#include "support/fs_backends.hpp"
#include "support/net_test_util.hpp"

using eddy::Task;
using eddy_test::TempDir;
namespace fs = eddy::fs;

namespace {

std::error_code sys(int e) { return {e, std::system_category()}; }

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> v(s.size());
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

std::string str_of(std::span<const std::byte> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

}  // namespace

EDDY_FS_SUITE(FsTest);

TEST_P(FsTest, WriteThenReadWholeFile) {
  TempDir dir;
  rt().block_on([](std::string p) -> Task<void> {
    auto w = co_await fs::write(p, std::string_view("hello, world"));
    CO_ASSERT_OK(w);
    auto r = co_await fs::read(p);
    CO_ASSERT_OK(r);
    EXPECT_EQ(str_of(*r), "hello, world");
    auto s = co_await fs::read_to_string(p);
    CO_ASSERT_OK(s);
    EXPECT_EQ(*s, "hello, world");
    // Overwriting truncates.
    CO_ASSERT_OK(co_await fs::write(p, std::string_view("hi")));
    auto s2 = co_await fs::read_to_string(p);
    CO_ASSERT_OK(s2);
    EXPECT_EQ(*s2, "hi");
  }(dir.join("a.txt")));
}

TEST_P(FsTest, ReadsALargeFileWhole) {
  TempDir dir;
  rt().block_on([](std::string p) -> Task<void> {
    std::vector<std::byte> data(3 * 1024 * 1024 + 17);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 131 + 7);
    CO_ASSERT_OK(co_await fs::write(p, data));
    auto r = co_await fs::read(p);
    CO_ASSERT_OK(r);
    EXPECT_TRUE(*r == data);
  }(dir.join("big")));
}

TEST_P(FsTest, OpenMissingFileIsNotFound) {
  TempDir dir;
  rt().block_on([](std::string p) -> Task<void> {
    auto f = co_await fs::File::open(p);
    CO_ASSERT_TRUE(!f);
    EXPECT_EQ(f.error(), sys(ENOENT));
    auto r = co_await fs::read(p);
    EXPECT_EQ(r.error(), sys(ENOENT));
    auto m = co_await fs::metadata(p);
    EXPECT_EQ(m.error(), sys(ENOENT));
    EXPECT_EQ((co_await fs::remove_file(p)).error(), sys(ENOENT));
  }(dir.join("missing")));
}

TEST_P(FsTest, ReadingADirectoryIsEisdir) {
  TempDir dir;
  rt().block_on([](std::string p) -> Task<void> {
    auto r = co_await fs::read(p);
    CO_ASSERT_TRUE(!r);
    EXPECT_EQ(r.error(), sys(EISDIR));
    auto w = co_await fs::File::open(p, fs::OpenOptions().write(true));
    CO_ASSERT_TRUE(!w);
    EXPECT_EQ(w.error(), sys(EISDIR));
  }(dir.path()));
}

// Drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from every thread made after this call (pool
// threads inherit the creator's), so that permission bits count even when the tests run as root.
void drop_dac_capabilities() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  ASSERT_EQ(::syscall(SYS_capget, &hdr, data), 0);
  for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH}) {
    data[cap / 32].effective &= ~(1u << (cap % 32));
  }
  ASSERT_EQ(::syscall(SYS_capset, &hdr, data), 0);
}

TEST_P(FsTest, PermissionDeniedIsEacces) {
  TempDir dir;
  const std::string p = dir.join("secret");
  {
    auto rt2 = eddy_test::fs_runtime(eddy::FileBackend::blocking_pool);
    ASSERT_TRUE(rt2);
    rt2->block_on([](std::string path) -> Task<void> {
      CO_ASSERT_OK(co_await fs::write(path, std::string_view("x")));
    }(p));
  }
  ASSERT_EQ(::chmod(p.c_str(), 0), 0);
  rt_.reset();
  drop_dac_capabilities();  // this test runs in its own process (gtest_discover_tests)
  rt_ = eddy_test::fs_runtime(GetParam());
  ASSERT_TRUE(rt_);
  rt().block_on([](std::string path) -> Task<void> {
    auto f = co_await fs::File::open(path);
    CO_ASSERT_TRUE(!f);
    EXPECT_EQ(f.error(), sys(EACCES));
    auto r = co_await fs::read(path);
    EXPECT_EQ(r.error(), sys(EACCES));
  }(p));
}

TEST_P(FsTest, OpenOptionsRules) {
  TempDir dir;
  rt().block_on([](std::string p) -> Task<void> {
    // No access mode; truncate without write; append with truncate: EINVAL, nothing created.
    EXPECT_EQ((co_await fs::File::open(p, fs::OpenOptions())).error(), sys(EINVAL));
    EXPECT_EQ((co_await fs::File::open(p, fs::OpenOptions().read(true).create(true))).error(), sys(EINVAL));
    EXPECT_EQ((co_await fs::File::open(p, fs::OpenOptions().append(true).truncate(true))).error(), sys(EINVAL));
    EXPECT_EQ((co_await fs::metadata(p)).error(), sys(ENOENT));
    // create_new creates once, then EEXIST.
    auto f = co_await fs::File::open(p, fs::OpenOptions().write(true).create_new(true));
    CO_ASSERT_OK(f);
    EXPECT_EQ((co_await fs::File::open(p, fs::OpenOptions().write(true).create_new(true))).error(), sys(EEXIST));
    // Append goes to the end whatever the position.
    CO_ASSERT_OK(co_await f->write_all(bytes_of("abc")));
    auto a = co_await fs::File::open(p, fs::OpenOptions().append(true));
    CO_ASSERT_OK(a);
    CO_ASSERT_OK(co_await a->write_all(bytes_of("def")));
    auto s = co_await fs::read_to_string(p);
    CO_ASSERT_OK(s);
    EXPECT_EQ(*s, "abcdef");
    // Mode bits are applied (under the umask).
    auto m = co_await fs::File::open(p + ".mode", fs::OpenOptions().write(true).create(true).mode(0600));
    CO_ASSERT_OK(m);
    auto md = co_await m->metadata();
    CO_ASSERT_OK(md);
    EXPECT_EQ(md->permissions & 0777, 0600u);
  }(dir.join("f")));
}

TEST_P(FsTest, ReadAndWriteAtThePositionAndAtOffsets) {
  TempDir dir;
  rt().block_on([](std::string p) -> Task<void> {
    auto f = co_await fs::File::open(p, fs::OpenOptions().read(true).write(true).create(true));
    CO_ASSERT_OK(f);
    CO_ASSERT_OK(co_await f->write_all(bytes_of("0123456789")));
    // The position is at 10: a read there gives the end.
    std::vector<std::byte> buf(4);
    auto n = co_await f->read(buf);
    CO_ASSERT_OK(n);
    EXPECT_EQ(*n, 0u);
    // At an offset, without moving the position.
    n = co_await f->read_at(buf, 3);
    CO_ASSERT_OK(n);
    EXPECT_EQ(str_of(std::span(buf).first(*n)), "3456");
    CO_ASSERT_OK(co_await f->write_all_at(bytes_of("xy"), 1));
    CO_ASSERT_OK(co_await f->write_all(bytes_of("!")));  // still at the position: 10
    auto s = co_await fs::read_to_string(p);
    CO_ASSERT_OK(s);
    EXPECT_EQ(*s, "0xy3456789!");
    // read_exact_at: fills the buffer, or unexpected_eof when the file ends first.
    std::vector<std::byte> four(4);
    CO_ASSERT_OK(co_await f->read_exact_at(four, 7));
    EXPECT_EQ(str_of(four), "789!");
    auto eof = co_await f->read_exact_at(four, 9);
    CO_ASSERT_TRUE(!eof);
    EXPECT_EQ(eof.error(), eddy::Error::unexpected_eof);
    // A position read after reopening starts at 0.
    auto g = co_await fs::File::open(p);
    CO_ASSERT_OK(g);
    n = co_await g->read(buf);
    CO_ASSERT_OK(n);
    EXPECT_EQ(str_of(std::span(buf).first(*n)), "0xy3");
    n = co_await g->read(buf);
    CO_ASSERT_OK(n);
    EXPECT_EQ(str_of(std::span(buf).first(*n)), "4567");
    // Writing to a read-only file: EBADF.
    EXPECT_EQ((co_await g->write(bytes_of("z"))).error(), sys(EBADF));
  }(dir.join("pos")));
}

TEST_P(FsTest, SetLenMetadataAndSync) {
  TempDir dir;
  rt().block_on([](std::string p) -> Task<void> {
    auto f = co_await fs::File::create(p);
    CO_ASSERT_OK(f);
    CO_ASSERT_OK(co_await f->write_all(bytes_of("abcdef")));
    CO_ASSERT_OK(co_await f->sync_all());
    CO_ASSERT_OK(co_await f->sync_data());
    auto m = co_await f->metadata();
    CO_ASSERT_OK(m);
    EXPECT_TRUE(m->is_file());
    EXPECT_EQ(m->len, 6u);
    CO_ASSERT_OK(co_await f->set_len(2));
    m = co_await fs::metadata(p);
    CO_ASSERT_OK(m);
    EXPECT_EQ(m->len, 2u);
    CO_ASSERT_OK(co_await f->set_len(4096));
    m = co_await fs::metadata(p);
    CO_ASSERT_OK(m);
    EXPECT_EQ(m->len, 4096u);
    EXPECT_GT(m->modified.time_since_epoch().count(), 0);
  }(dir.join("len")));
}

TEST_P(FsTest, DirectoriesRemoveAndRename) {
  TempDir dir;
  rt().block_on([](std::string base) -> Task<void> {
    const std::string deep = base + "/a/b/c";
    CO_ASSERT_OK(co_await fs::create_dir_all(deep));
    CO_ASSERT_OK(co_await fs::create_dir_all(deep));  // exists already: fine
    auto m = co_await fs::metadata(deep);
    CO_ASSERT_OK(m);
    EXPECT_TRUE(m->is_dir());
    // create_dir_all over a file: EEXIST (it is not a directory).
    CO_ASSERT_OK(co_await fs::write(base + "/file", std::string_view("x")));
    EXPECT_EQ((co_await fs::create_dir_all(base + "/file")).error(), sys(EEXIST));
    EXPECT_EQ((co_await fs::create_dir_all(base + "/file/sub")).error(), sys(ENOTDIR));
    EXPECT_EQ((co_await fs::create_dir(deep)).error(), sys(EEXIST));
    // remove_dir of a non-empty directory; of a file; remove_file of a directory.
    EXPECT_EQ((co_await fs::remove_dir(base + "/a")).error(), sys(ENOTEMPTY));
    EXPECT_EQ((co_await fs::remove_dir(base + "/file")).error(), sys(ENOTDIR));
    EXPECT_EQ((co_await fs::remove_file(deep)).error(), sys(EISDIR));
    CO_ASSERT_OK(co_await fs::remove_dir(deep));
    EXPECT_EQ((co_await fs::metadata(deep)).error(), sys(ENOENT));
    // rename moves, and replaces an existing file.
    CO_ASSERT_OK(co_await fs::write(base + "/other", std::string_view("other")));
    CO_ASSERT_OK(co_await fs::rename(base + "/file", base + "/a/moved"));
    CO_ASSERT_OK(co_await fs::rename(base + "/other", base + "/a/moved"));
    auto s = co_await fs::read_to_string(base + "/a/moved");
    CO_ASSERT_OK(s);
    EXPECT_EQ(*s, "other");
    EXPECT_EQ((co_await fs::rename(base + "/nope", base + "/x")).error(), sys(ENOENT));
    CO_ASSERT_OK(co_await fs::remove_file(base + "/a/moved"));
    EXPECT_EQ((co_await fs::metadata(base + "/a/moved")).error(), sys(ENOENT));
  }(dir.path()));
}

TEST_P(FsTest, ReadDirListsEntries) {
  TempDir dir;
  rt().block_on([](std::string base) -> Task<void> {
    CO_ASSERT_OK(co_await fs::write(base + "/one", std::string_view("1")));
    CO_ASSERT_OK(co_await fs::write(base + "/two", std::string_view("2")));
    CO_ASSERT_OK(co_await fs::create_dir(base + "/sub"));
    auto rd = co_await fs::read_dir(base);
    CO_ASSERT_OK(rd);
    std::set<std::string> names;
    while (auto e = rd->next_entry()) {
      names.insert(e->file_name);
      EXPECT_EQ(e->path, base + "/" + e->file_name);
      EXPECT_EQ(e->type, e->file_name == "sub" ? fs::FileType::dir : fs::FileType::file);
    }
    EXPECT_EQ(names, (std::set<std::string>{"one", "two", "sub"}));
    EXPECT_EQ((co_await fs::read_dir(base + "/missing")).error(), sys(ENOENT));
    EXPECT_EQ((co_await fs::read_dir(base + "/one")).error(), sys(ENOTDIR));
  }(dir.path()));
}

TEST_P(FsTest, ManyConcurrentOperations) {
  TempDir dir;
  rt().block_on([](std::string p) -> Task<void> {
    constexpr std::size_t kBlocks = 256, kBlock = 512;
    std::vector<std::byte> data(kBlocks * kBlock);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>((i / kBlock) ^ (i * 7));
    CO_ASSERT_OK(co_await fs::write(p, data));
    auto f = co_await fs::File::open(p);
    CO_ASSERT_OK(f);
    std::vector<eddy::JoinHandle<bool>> handles;
    for (std::size_t b = 0; b < kBlocks; ++b) {
      handles.push_back(eddy::spawn([](fs::File& file, std::size_t block, const std::vector<std::byte>& expect) -> Task<bool> {
        std::vector<std::byte> buf(kBlock);
        auto r = co_await file.read_exact_at(buf, block * kBlock);
        co_return r && std::equal(buf.begin(), buf.end(), expect.begin() + static_cast<std::ptrdiff_t>(block * kBlock));
      }(*f, b, data)));
    }
    std::size_t ok = 0;
    for (auto& h : handles) {
      auto r = co_await h;
      if (r && *r) ++ok;
    }
    EXPECT_EQ(ok, kBlocks);
  }(dir.join("many")));
}
