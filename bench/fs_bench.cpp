// File benchmark: 4 KiB random reads from a cached file, with 1 and 32 reads in flight, on the
// runtime's io_uring against the blocking pool, and a plain pread loop on one thread as the
// floor (what a read costs without any runtime). Prints reads per second and the ratios, all
// measured in the same run.
//
//   fs_bench [--size-mib N] [--reads N] [--workers N]   (defaults: 64 MiB, 40,000 reads per
//                                                        case, 2 multi-thread workers)
//
// Each depth runs on the current-thread runtime (ring vs pool), then on the multi-thread runtime:
// the pool, one ring shared by the workers behind a lock (the default) and a ring per worker
// (Builder::uring_rings(workers): the alternative, measured beside it).
//
// The file is written under $TMPDIR (or /tmp) and read once before measuring, so every read is
// served from the page cache. 64 MiB rather than the 256 MiB keeps CI's disk and time
// small; --size-mib 256 runs the full size. Each case is bounded in count and in time (10 s).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "eddy/fs.hpp"
#include "eddy/runtime.hpp"

using Clock = std::chrono::steady_clock;
using eddy::Task;

namespace {

constexpr std::size_t kBlock = 4096;

struct Case {
  double reads_per_s = 0;
  std::size_t reads = 0;
};

std::vector<std::uint64_t> offsets(std::size_t n, std::uint64_t file_size, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> v(n);
  const std::uint64_t blocks = file_size / kBlock;
  for (auto& o : v) o = (rng() % blocks) * kBlock;
  return v;
}

Case pread_floor(const std::string& path, const std::vector<std::uint64_t>& offs) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::vector<char> buf(kBlock);
  const auto start = Clock::now();
  const auto limit = start + std::chrono::seconds(10);
  std::size_t done = 0;
  for (auto o : offs) {
    if (::pread(fd, buf.data(), kBlock, static_cast<off_t>(o)) != static_cast<ssize_t>(kBlock)) std::abort();
    if (++done % 1024 == 0 && Clock::now() > limit) break;
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  return {static_cast<double>(done) / s, done};
}

Task<std::size_t> reader(eddy::fs::File& f, const std::vector<std::uint64_t>& offs, std::size_t first, std::size_t step,
                         Clock::time_point limit) {
  std::vector<std::byte> buf(kBlock);
  std::size_t done = 0;
  for (std::size_t i = first; i < offs.size(); i += step) {
    auto r = co_await f.read_exact_at(buf, offs[i]);
    if (!r) std::abort();
    if (++done % 256 == 0 && Clock::now() > limit) break;
  }
  co_return done;
}

// The runtime a case runs on: the current-thread kind, or the multi-thread kind with `workers`
// workers and `rings` rings (1: one shared by all, behind one lock; `workers`: one each).
struct Kind {
  bool multi_thread = false;
  std::size_t workers = 2;
  unsigned rings = 1;
};

Case runtime_case(eddy::FileBackend backend, const std::string& path, const std::vector<std::uint64_t>& offs,
                  std::size_t depth, Kind kind = {}) {
  auto b = kind.multi_thread ? eddy::Builder::new_multi_thread().worker_threads(kind.workers).uring_rings(kind.rings)
                             : eddy::Builder::new_current_thread();
  auto rt = b.enable_all().file_backend(backend).build();
  if (!rt) {
    std::fprintf(stderr, "runtime: %s\n", rt.error().message().c_str());
    std::exit(1);
  }
  Case c;
  rt->block_on([](const std::string& p, const std::vector<std::uint64_t>& o, std::size_t d, Case& out) -> Task<void> {
    auto f = co_await eddy::fs::File::open(p);
    if (!f) std::abort();
    const auto start = Clock::now();
    const auto limit = start + std::chrono::seconds(10);
    std::vector<eddy::JoinHandle<std::size_t>> hs;
    for (std::size_t i = 0; i < d; ++i) hs.push_back(eddy::spawn(reader(*f, o, i, d, limit)));
    std::size_t total = 0;
    for (auto& h : hs) {
      auto n = co_await h;
      if (n) total += *n;
    }
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    out = {static_cast<double>(total) / s, total};
  }(path, offs, depth, c));
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t size_mib = 64, reads = 40000, mt_workers = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--size-mib") == 0) size_mib = std::strtoul(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--workers") == 0) mt_workers = std::strtoul(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--reads") == 0) reads = std::strtoul(argv[i + 1], nullptr, 10);
  }
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/eddy-fs-bench-" + std::to_string(::getpid());
  const std::uint64_t size = static_cast<std::uint64_t>(size_mib) << 20;
  {
    const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    std::vector<char> chunk(1 << 20, 'e');
    for (std::size_t i = 0; i < size_mib; ++i) {
      if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) std::abort();
    }
    ::close(fd);
    // Warm the page cache: read it all once.
    const int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    while (::read(rfd, chunk.data(), chunk.size()) > 0) {
    }
    ::close(rfd);
  }
  const auto offs = offsets(reads, size, 42);

  std::printf("fs_bench: 4 KiB random reads from a cached %zu MiB file, %zu reads per case\n", size_mib, reads);
  const Case floor = pread_floor(path, offs);
  std::printf("  %-28s %12.0f reads/s\n", "pread loop (floor)", floor.reads_per_s);
  std::printf("current-thread runtime:\n");
  for (std::size_t depth : {std::size_t{1}, std::size_t{32}}) {
    const Case pool = runtime_case(eddy::FileBackend::blocking_pool, path, offs, depth);
    const Case ring = runtime_case(eddy::FileBackend::io_uring, path, offs, depth);
    std::printf("  %-28s %12.0f reads/s\n", ("blocking pool, " + std::to_string(depth) + " in flight").c_str(), pool.reads_per_s);
    std::printf("  %-28s %12.0f reads/s   %.2fx the pool, %.2fx the pread floor\n",
                ("io_uring, " + std::to_string(depth) + " in flight").c_str(), ring.reads_per_s,
                ring.reads_per_s / pool.reads_per_s, ring.reads_per_s / floor.reads_per_s);
  }
  // The multi-thread runtime: the pool, one ring shared by the workers behind one lock (the
  // default) and a ring per worker (the alternative, measured beside it).
  std::printf("multi-thread runtime, %zu workers:\n", mt_workers);
  for (std::size_t depth : {std::size_t{1}, std::size_t{32}}) {
    const Case pool = runtime_case(eddy::FileBackend::blocking_pool, path, offs, depth, {true, mt_workers, 1});
    const Case per = runtime_case(eddy::FileBackend::io_uring, path, offs, depth,
                                  {true, mt_workers, static_cast<unsigned>(mt_workers)});
    const Case one = runtime_case(eddy::FileBackend::io_uring, path, offs, depth, {true, mt_workers, 1});
    const std::string d = std::to_string(depth) + " in flight";
    std::printf("  %-34s %12.0f reads/s\n", ("blocking pool, " + d).c_str(), pool.reads_per_s);
    std::printf("  %-34s %12.0f reads/s   %.2fx the pool, %.2fx the pread floor\n",
                ("io_uring ring per worker, " + d).c_str(), per.reads_per_s, per.reads_per_s / pool.reads_per_s,
                per.reads_per_s / floor.reads_per_s);
    std::printf("  %-34s %12.0f reads/s   %.2fx the pool, %.2fx the pread floor\n",
                ("io_uring one shared ring, " + d).c_str(), one.reads_per_s, one.reads_per_s / pool.reads_per_s,
                one.reads_per_s / floor.reads_per_s);
  }
  ::unlink(path.c_str());
  return 0;
}
