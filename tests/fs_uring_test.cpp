// The io_uring in the I/O driver: refusals and fallback (each forced through the Builder's test
// seams), the metrics, cancellation of in-flight operations, shutdown with operations in
// flight, no fd leak after cancels, a small ring's CQ overflow, submission from a thread that
// does not own the ring, and a stress test that destroys coroutines at random points.
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "eddy/fs.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/time/timeout.hpp"
#include "eddy/yield_now.hpp"
#include "support/fs_backends.hpp"
#include "support/net_test_util.hpp"

using eddy::FileBackend;
using eddy::Task;
using eddy_test::TempDir;
using namespace std::chrono_literals;
namespace fs = eddy::fs;

namespace {

std::error_code sys(int e) { return {e, std::system_category()}; }

const eddy::io::IoDriverMetrics& metrics(const eddy::Runtime& rt) { return *rt.handle().io_metrics(); }

// Sleeps in 1 ms steps until `cond` holds (at most 2 s). True if it held.
Task<bool> wait_for(std::function<bool()> cond) {
  for (int i = 0; i < 2000; ++i) {
    if (cond()) co_return true;
    co_await eddy::time::sleep(1ms);
  }
  co_return cond();
}

// A FIFO opened read-write (so the open does not wait for a peer): a read of it stays in flight
// until someone writes.
std::string make_fifo(const TempDir& dir, const char* name) {
  std::string p = dir.join(name);
  EXPECT_EQ(::mkfifo(p.c_str(), 0600), 0);
  return p;
}

// After cancelled reads of the FIFO `f`: they took nothing, so bytes written now are all there
// for the next read.
Task<void> expect_cancelled_reads_took_nothing(fs::File& f) {
  CO_ASSERT_TRUE(::write(f.fd(), "abc", 3) == 3);
  std::vector<std::byte> b(16);
  auto n = co_await f.read(b);
  CO_ASSERT_OK(n);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), *n), "abc");
}

std::unique_ptr<eddy::Runtime> uring_runtime(unsigned entries = 256) {
  return eddy_test::fs_runtime(FileBackend::io_uring, entries);
}

}  // namespace

// --- refusals ------------------------------------------------------------------------------

TEST(UringFallback, EachSetupRefusalFallsBackToThePoolAndSaysSoOnce) {
  for (int err : {ENOSYS, EPERM, ENOMEM}) {
    SCOPED_TRACE(err);
    int calls = 0;
    std::error_code seen;
    auto rt = eddy::Builder::new_current_thread()
                  .enable_all()
                  .uring_refuse_setup_for_test(err)
                  .on_uring_fallback([&](std::error_code ec) {
                    ++calls;
                    seen = ec;
                  })
                  .build();
    ASSERT_TRUE(rt);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(seen, sys(err));
    EXPECT_EQ(rt->handle().uring_refusal(), sys(err));
    EXPECT_EQ(rt->handle().file_backend(), FileBackend::blocking_pool);
    EXPECT_EQ(metrics(*rt).uring_fallback_count(), 1u);
    TempDir dir;
    rt->block_on([](std::string p) -> Task<void> {
      CO_ASSERT_OK(co_await fs::write(p, std::string_view("pool")));
      auto s = co_await fs::read_to_string(p);
      CO_ASSERT_OK(s);
      EXPECT_EQ(*s, "pool");
    }(dir.join("f")));
    EXPECT_EQ(metrics(*rt).uring_submitted_count(), 0u);
    EXPECT_EQ(calls, 1);
  }
}

TEST(UringFallback, AMissingOpcodeFallsBack) {
  auto rt = eddy::Builder::new_current_thread().enable_all().uring_refuse_opcode_for_test(IORING_OP_STATX).build();
  ASSERT_TRUE(rt);
  if (rt->handle().uring_refusal() != sys(ENOSYS)) {
    // Either the probe refused as asked, or the kernel refused the ring itself earlier.
    ASSERT_TRUE(rt->handle().uring_refusal());
  }
  EXPECT_EQ(rt->handle().file_backend(), FileBackend::blocking_pool);
  EXPECT_EQ(metrics(*rt).uring_fallback_count(), 1u);
}

TEST(UringFallback, RequiredRingFailsTheBuildInstead) {
  auto rt = eddy::Builder::new_current_thread().enable_io().file_backend(FileBackend::io_uring).uring_refuse_setup_for_test(EPERM).build();
  ASSERT_FALSE(rt);
  EXPECT_EQ(rt.error(), sys(EPERM));
  auto no_io = eddy::Builder::new_current_thread().file_backend(FileBackend::io_uring).build();
  ASSERT_FALSE(no_io);
  EXPECT_EQ(no_io.error(), std::make_error_code(std::errc::invalid_argument));
}

// The multi-thread runtime has rings for files (automatic and required alike), and sockets on
// them only when asked for; a refused ring falls back once, as on the current-thread runtime.
TEST(UringFallback, MultiThreadRuntimeHasRingsForFilesAndSocketsWhenAsked) {
  auto rt = eddy::Builder::new_multi_thread().worker_threads(2).enable_all().build();
  ASSERT_TRUE(rt);
  if (rt->handle().uring_refusal()) GTEST_SKIP() << "the kernel refuses io_uring here";
  EXPECT_EQ(rt->handle().file_backend(), FileBackend::io_uring);
  EXPECT_EQ(rt->handle().io_backend(), eddy::IoBackend::epoll);
  auto required = eddy::Builder::new_multi_thread().worker_threads(2).enable_all().file_backend(FileBackend::io_uring).build();
  ASSERT_TRUE(required);
  EXPECT_EQ(required->handle().file_backend(), FileBackend::io_uring);
  auto sockets = eddy::Builder::new_multi_thread().worker_threads(2).enable_all().io_backend(eddy::IoBackend::io_uring).build();
  ASSERT_TRUE(sockets) << sockets.error().message();
  EXPECT_EQ(sockets->handle().io_backend(), eddy::IoBackend::io_uring);
  EXPECT_EQ(sockets->handle().file_backend(), FileBackend::io_uring);
  for (int err : {ENOSYS, EPERM, ENOMEM}) {
    SCOPED_TRACE(err);
    int calls = 0;
    auto fb = eddy::Builder::new_multi_thread()
                  .worker_threads(2)
                  .enable_all()
                  .uring_refuse_setup_for_test(err)
                  .on_uring_fallback([&](std::error_code) { ++calls; })
                  .build();
    ASSERT_TRUE(fb);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(fb->handle().uring_refusal(), sys(err));
    EXPECT_EQ(fb->handle().file_backend(), FileBackend::blocking_pool);
    EXPECT_EQ(metrics(*fb).uring_fallback_count(), 1u);
    TempDir dir;
    fb->block_on([](std::string p) -> Task<void> {
      CO_ASSERT_OK(co_await fs::write(p, std::string_view("pool")));
      auto s = co_await fs::read_to_string(p);
      CO_ASSERT_OK(s);
      EXPECT_EQ(*s, "pool");
    }(dir.join("f")));
    EXPECT_EQ(metrics(*fb).uring_submitted_count(), 0u);
    auto req = eddy::Builder::new_multi_thread().worker_threads(2).enable_all().file_backend(FileBackend::io_uring).uring_refuse_setup_for_test(err).build();
    ASSERT_FALSE(req);
    EXPECT_EQ(req.error(), sys(err));
  }
}

TEST(UringFallback, BlockingPoolBackendMakesNoRing) {
  auto rt = eddy::Builder::new_current_thread().enable_all().file_backend(FileBackend::blocking_pool).build();
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->handle().file_backend(), FileBackend::blocking_pool);
  EXPECT_FALSE(rt->handle().uring_refusal());
  EXPECT_EQ(metrics(*rt).uring_fallback_count(), 0u);
}

// --- the ring ------------------------------------------------------------------------------

TEST(Uring, CountsSubmissionsAndCompletions) {
  auto rt = uring_runtime();
  if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
  EXPECT_EQ(rt->handle().file_backend(), FileBackend::io_uring);
  TempDir dir;
  rt->block_on([](std::string p) -> Task<void> {
    CO_ASSERT_OK(co_await fs::write(p, std::string_view("ring")));  // open + write
    auto s = co_await fs::read_to_string(p);                        // open + statx + reads
    CO_ASSERT_OK(s);
    EXPECT_EQ(*s, "ring");
  }(dir.join("f")));
  EXPECT_GE(metrics(*rt).uring_submitted_count(), 5u);
  EXPECT_EQ(metrics(*rt).uring_completed_count(), metrics(*rt).uring_submitted_count());
  EXPECT_EQ(metrics(*rt).uring_in_flight(), 0u);
  EXPECT_EQ(metrics(*rt).uring_cancelled_count(), 0u);
}

TEST(Uring, SmallRingOverflowLosesNoCompletion) {
  // Two SQ entries, four CQ entries, 128 reads at once: the SQ fills (flushed mid-batch) and
  // cached reads complete faster than a turn reaps them (the kernel keeps the overflow).
  auto rt = uring_runtime(2);
  if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
  TempDir dir;
  rt->block_on([](std::string p) -> Task<void> {
    std::vector<std::byte> data(128 * 64);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i / 64);
    CO_ASSERT_OK(co_await fs::write(p, data));
    auto f = co_await fs::File::open(p);
    CO_ASSERT_OK(f);
    std::vector<eddy::JoinHandle<int>> hs;
    for (int i = 0; i < 128; ++i) {
      hs.push_back(eddy::spawn([](fs::File& file, int idx) -> Task<int> {
        std::vector<std::byte> b(64);
        auto r = co_await file.read_exact_at(b, static_cast<std::uint64_t>(idx) * 64);
        if (!r) co_return -1;
        for (auto x : b) {
          if (x != static_cast<std::byte>(idx)) co_return -1;
        }
        co_return idx;
      }(*f, i)));
    }
    for (int i = 0; i < 128; ++i) {
      auto r = co_await hs[static_cast<std::size_t>(i)];
      CO_ASSERT_OK(r);
      EXPECT_EQ(*r, i);
    }
  }(dir.join("f")));
  EXPECT_EQ(metrics(*rt).uring_in_flight(), 0u);
  std::printf("overflows handled: %llu\n", static_cast<unsigned long long>(metrics(*rt).uring_overflow_count()));
}

TEST(Uring, CancelledReadFreesItsStateAndLosesNoData) {
  auto rt = uring_runtime();
  if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
  TempDir dir;
  const std::string fifo = make_fifo(dir, "fifo");
  const auto& met = metrics(*rt);
  rt->block_on([](std::string fifo_path, const eddy::io::IoDriverMetrics& m) -> Task<void> {
    auto f = co_await fs::File::open(fifo_path, fs::OpenOptions().read(true).write(true));
    CO_ASSERT_OK(f);
    const auto before = m.uring_submitted_count();
    auto reader = eddy::spawn([](fs::File& file) -> Task<std::size_t> {
      std::vector<std::byte> b(16);
      auto n = co_await file.read(b);
      co_return n ? *n : 0;
    }(*f));
    CO_ASSERT_TRUE(co_await wait_for([&] { return m.uring_in_flight() == 1 && m.uring_submitted_count() > before; }));
    reader.abort();  // destroys the coroutine: a cancel goes to the ring
    CO_ASSERT_TRUE(co_await wait_for([&] { return m.uring_in_flight() == 0; }));
    EXPECT_EQ(m.uring_cancelled_count(), 1u);
    // The cancelled read took nothing: bytes written now are all there for the next read.
    co_await expect_cancelled_reads_took_nothing(*f);
  }(fifo, met));
}

TEST(Uring, ShutdownWithOpsInFlightCancelsAndWaitsForThem) {
  TempDir dir;
  const std::string fifo = make_fifo(dir, "fifo");
  const int fds_before = eddy_test::open_fd_count();
  {
    auto rt = uring_runtime();
    if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
    const auto& met = metrics(*rt);
    rt->block_on([](std::string fifo_path, const eddy::io::IoDriverMetrics& m) -> Task<void> {
      for (int i = 0; i < 16; ++i) {
        (void)eddy::spawn([](std::string path) -> Task<void> {
          auto f = co_await fs::File::open(path, fs::OpenOptions().read(true).write(true));
          if (!f) co_return;
          std::vector<std::byte> b(4096);
          (void)co_await f->read(b);  // never completes: nobody writes
          ADD_FAILURE() << "a read of an empty FIFO completed";
        }(fifo_path));
      }
      CO_ASSERT_TRUE(co_await wait_for([&] { return m.uring_in_flight() == 16; }));
    }(fifo, met));
    EXPECT_EQ(met.uring_in_flight(), 16u);
    // The runtime goes out of scope here: the tasks are destroyed (16 cancels), then the driver
    // waits for every CQE before closing the ring.
  }
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}

TEST(Uring, OwnerThreadOnlyOtherThreadsUseThePool) {
  auto rt = uring_runtime();
  if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
  TempDir dir;
  auto job = [](std::string p) -> Task<void> {
    CO_ASSERT_OK(co_await fs::write(p, std::string_view("x")));
    auto s = co_await fs::read_to_string(p);
    CO_ASSERT_OK(s);
    EXPECT_EQ(*s, "x");
  };
  // The first thread to use the ring owns it for good.
  std::thread t([&] { rt->block_on(job(dir.join("a"))); });
  t.join();
  const auto after_owner = metrics(*rt).uring_submitted_count();
  EXPECT_GT(after_owner, 0u);
  // Driven from another thread, the same runtime runs its files on the blocking pool.
  rt->block_on(job(dir.join("b")));
  EXPECT_EQ(metrics(*rt).uring_submitted_count(), after_owner);
}

// --- both backends -------------------------------------------------------------------------

EDDY_FS_SUITE(FsCancelTest);

TEST_P(FsCancelTest, NoFdLeakAfterCancels) {
  TempDir dir;
  const std::string p = dir.join("f");
  ASSERT_EQ(::close(::open(p.c_str(), O_CREAT | O_WRONLY, 0600)), 0);
  rt_.reset();
  const int fds_before = eddy_test::open_fd_count();
  {
    rt_ = eddy_test::fs_runtime(GetParam());
    ASSERT_TRUE(rt_);
    rt().block_on([](std::string path) -> Task<void> {
      std::mt19937 rng(12345);
      for (int i = 0; i < 300; ++i) {
        auto h = eddy::spawn([](std::string file_path) -> Task<void> {
          auto f = co_await fs::File::open(file_path);
          if (!f) co_return;
          std::vector<std::byte> b(64);
          (void)co_await f->read_at(b, 0);
        }(path));
        // Abort at a random point: before the open is submitted, while it or the read is in
        // flight, or after the task finished.
        const int yields = static_cast<int>(rng() % 4);
        for (int y = 0; y < yields; ++y) co_await eddy::yield_now();
        h.abort();
      }
      co_await eddy::time::sleep(20ms);
    }(p));
    rt_.reset();  // shutdown: the last CQEs and pool jobs end here
  }
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}

TEST_P(FsCancelTest, StressDestroyingCoroutinesWithOpsInFlight) {
  TempDir dir;
  const std::string p = dir.join("data");
  const std::string fifo = make_fifo(dir, "fifo");
  const bool uring = GetParam().backend == FileBackend::io_uring;
  rt().block_on([](std::string data_path, std::string fifo_path, bool on_ring) -> Task<void> {
    std::vector<std::byte> data(64 * 1024);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i % 251);
    CO_ASSERT_OK(co_await fs::write(data_path, data));
    auto f = co_await fs::File::open(data_path, fs::OpenOptions().read(true).write(true));
    CO_ASSERT_OK(f);
    std::mt19937 rng(777);
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    std::atomic<int> wrong{0};  // tasks on either worker of the multi-thread kinds
    for (int round = 0; round < 200 && std::chrono::steady_clock::now() < deadline; ++round) {
      std::vector<eddy::JoinHandle<void>> hs;
      std::vector<unsigned> kinds;
      for (int k = 0; k < 16; ++k) {
        const auto kind = static_cast<unsigned>(rng() % (on_ring ? 4 : 3));  // a FIFO read never ends on the pool: ring only
        kinds.push_back(kind);
        const std::uint64_t off = (rng() % 60) * 1024;
        hs.push_back(eddy::spawn([](fs::File& file, std::string dpath, std::string fpath, unsigned what, std::uint64_t at,
                                    const std::vector<std::byte>& expect, std::atomic<int>& errors) -> Task<void> {
          std::vector<std::byte> b(4096);
          if (what == 0) {
            if (auto r = co_await file.read_exact_at(b, at); r && !std::equal(b.begin(), b.end(), expect.begin() + static_cast<std::ptrdiff_t>(at))) ++errors;
          } else if (what == 1) {
            // Rewrites bytes with their own values, so readers still see the same data.
            (void)co_await file.write_all_at(std::span(expect).subspan(at, 1024), at);
          } else if (what == 2) {
            auto m = co_await fs::metadata(dpath);
            if (m && m->len != expect.size()) ++errors;
          } else {
            auto g = co_await fs::File::open(fpath, fs::OpenOptions().read(true).write(true));
            if (g) (void)co_await g->read(b);
          }
        }(*f, data_path, fifo_path, kind, off, data, wrong)));
      }
      const int yields = static_cast<int>(rng() % 5);
      for (int y = 0; y < yields; ++y) co_await eddy::yield_now();
      for (auto& h : hs) {
        if (rng() % 2 == 0) h.abort();
      }
      for (std::size_t i = 0; i < hs.size(); ++i) {
        // A FIFO reader waits forever unless aborted: abort the rest of them now.
        if (kinds[i] == 3 || rng() % 4 == 0) hs[i].abort();
        (void)co_await hs[i];
      }
    }
    EXPECT_EQ(wrong.load(), 0);
    if (on_ring) {
      const auto* m = eddy::RuntimeHandle::current().io_metrics();
      EXPECT_TRUE(co_await wait_for([m] { return m->uring_in_flight() == 0; }));
    }
  }(p, fifo, uring));
  if (uring) {
    const auto& m = metrics(rt());
    EXPECT_EQ(m.uring_completed_count(), m.uring_submitted_count()) << "an op still in the ring after the test";
  }
}

// --- the multi-thread runtime: a ring per worker (docs/io-uring.md) ------------------------

namespace {

std::unique_ptr<eddy::Runtime> mt_uring_runtime(unsigned rings, unsigned entries = 256) {
  return eddy_test::fs_runtime(eddy_test::FsKind{FileBackend::io_uring, true}, entries, rings);
}

}  // namespace

// Both designs the multi-thread runtime can run (two workers): one ring shared by the workers
// behind one lock (the default) and a ring per worker (uring_rings(2)).
class UringMt : public testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(Rings, UringMt, testing::Values(1u, 2u), [](const testing::TestParamInfo<unsigned>& i) {
  return i.param == 1 ? std::string("one_shared") : std::string("per_worker");
});

// A read that completes long after its submitter went to sleep (every worker parked, one on the
// driver, one on its condition variable) still wakes its task: the rings' eventfd is in the
// driver's epoll, and whichever worker turns the driver reaps every ring.
TEST_P(UringMt, ACompletionAfterEveryWorkerParkedWakesItsTask) {
  auto rt = mt_uring_runtime(GetParam());
  if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
  TempDir dir;
  const std::string fifo = make_fifo(dir, "fifo");
  const auto& met = metrics(*rt);
  for (int round = 0; round < 4; ++round) {
    rt->block_on([](std::string fifo_path, const eddy::io::IoDriverMetrics& m) -> Task<void> {
      auto f = co_await fs::File::open(fifo_path, fs::OpenOptions().read(true).write(true));
      CO_ASSERT_OK(f);
      const auto before = m.uring_in_flight();
      auto reader = eddy::spawn([](fs::File& file) -> Task<std::string> {
        std::vector<std::byte> b(16);
        auto n = co_await file.read(b);
        co_return n ? std::string(reinterpret_cast<const char*>(b.data()), *n) : std::string("error");
      }(*f));
      CO_ASSERT_TRUE(co_await wait_for([&] { return m.uring_in_flight() == before + 1; }));
      // The writer is a thread outside the runtime, after the workers had time to park.
      const int fd = f->fd();
      std::thread writer([fd] {
        std::this_thread::sleep_for(50ms);
        EXPECT_EQ(::write(fd, "late", 4), 4);
      });
      // Bounded: a lost completion fails here instead of hanging the test.
      auto got = co_await eddy::time::timeout(5s, reader);
      writer.join();
      CO_ASSERT_OK(got);
      CO_ASSERT_OK(*got);
      EXPECT_EQ(**got, "late");
    }(fifo, met));
  }
  EXPECT_EQ(met.uring_in_flight(), 0u);
  EXPECT_EQ(met.uring_completed_count(), met.uring_submitted_count());
}

// A read cancelled by destroying its task on whatever worker runs the abort: the cancel reaches
// the ring the read was submitted to, the op is freed at its CQE, and no byte is lost.
TEST_P(UringMt, CancelledReadFreesItsStateAndLosesNoData) {
  auto rt = mt_uring_runtime(GetParam());
  if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
  TempDir dir;
  const std::string fifo = make_fifo(dir, "fifo");
  const auto& met = metrics(*rt);
  rt->block_on([](std::string fifo_path, const eddy::io::IoDriverMetrics& m) -> Task<void> {
    auto f = co_await fs::File::open(fifo_path, fs::OpenOptions().read(true).write(true));
    CO_ASSERT_OK(f);
    for (int i = 0; i < 8; ++i) {
      auto reader = eddy::spawn([](fs::File& file) -> Task<std::size_t> {
        std::vector<std::byte> b(16);
        auto n = co_await file.read(b);
        co_return n ? *n : 0;
      }(*f));
      CO_ASSERT_TRUE(co_await wait_for([&] { return m.uring_in_flight() == 1; }));
      reader.abort();
      CO_ASSERT_TRUE(co_await wait_for([&] { return m.uring_in_flight() == 0; }));
    }
    EXPECT_EQ(m.uring_cancelled_count(), 8u);
    co_await expect_cancelled_reads_took_nothing(*f);
  }(fifo, met));
}

// Shutdown with reads in flight in the rings of both workers: every one is cancelled and its
// CQE waited for before the rings close; no fd is left open.
TEST_P(UringMt, ShutdownWithOpsInFlightOnEveryWorkerCancelsAndWaitsForThem) {
  TempDir dir;
  const std::string fifo = make_fifo(dir, "fifo");
  const int fds_before = eddy_test::open_fd_count();
  {
    auto rt = mt_uring_runtime(GetParam());
    if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
    const auto& met = metrics(*rt);
    rt->block_on([](std::string fifo_path, const eddy::io::IoDriverMetrics& m) -> Task<void> {
      for (int i = 0; i < 32; ++i) {
        (void)eddy::spawn([](std::string path) -> Task<void> {
          auto f = co_await fs::File::open(path, fs::OpenOptions().read(true).write(true));
          if (!f) co_return;
          co_await eddy::yield_now();  // may move to the other worker before the read
          std::vector<std::byte> b(4096);
          (void)co_await f->read(b);  // never completes: nobody writes
          ADD_FAILURE() << "a read of an empty FIFO completed";
        }(fifo_path));
      }
      CO_ASSERT_TRUE(co_await wait_for([&] { return m.uring_in_flight() == 32; }));
    }(fifo, met));
    EXPECT_EQ(met.uring_in_flight(), 32u);
  }
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}

// Many tasks, each doing file operations between yields (so they move between the workers and
// submit to one ring, then another), destroyed at random points by a third party: every op
// completes or is cancelled, the data read is right, nothing leaks (fds counted; ASan checks
// memory), and the rings hold nothing at the end.
TEST_P(UringMt, StressMigratingTasksDestroyedAtRandomPoints) {
  TempDir dir;
  const std::string data_path = dir.join("data");
  const std::string fifo = make_fifo(dir, "fifo");
  const int fds_before = eddy_test::open_fd_count();
  std::uint64_t submitted = 0;
  {
    auto rt = mt_uring_runtime(GetParam());
    if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
    std::atomic<int> wrong{0};
    std::atomic<int> finished{0};
    rt->block_on([](std::string dpath, std::string fpath, std::atomic<int>& errors, std::atomic<int>& done) -> Task<void> {
      std::vector<std::byte> data(64 * 1024);
      for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i % 251);
      CO_ASSERT_OK(co_await fs::write(dpath, data));
      std::mt19937 rng(4242);
      const auto deadline = std::chrono::steady_clock::now() + 3s;
      for (int round = 0; round < 60 && std::chrono::steady_clock::now() < deadline; ++round) {
        std::vector<eddy::JoinHandle<void>> hs;
        for (int k = 0; k < 24; ++k) {
          const unsigned seed = static_cast<unsigned>(rng());
          hs.push_back(eddy::spawn([](std::string d, std::string fifo_path, unsigned sd, const std::vector<std::byte>& expect,
                                      std::atomic<int>& errs, std::atomic<int>& fin) -> Task<void> {
            std::mt19937 r(sd);
            auto f = co_await fs::File::open(d, fs::OpenOptions().read(true).write(true));
            if (!f) {
              ++errs;
              co_return;
            }
            std::vector<std::byte> b(4096);
            for (int step = 0; step < 6; ++step) {
              co_await eddy::yield_now();  // stealable: the next op may go to another worker's ring
              const std::uint64_t at = (r() % 60) * 1024;
              switch (r() % 4) {
                case 0:
                  if (auto n = co_await f->read_exact_at(b, at); !n || !std::equal(b.begin(), b.end(), expect.begin() + static_cast<std::ptrdiff_t>(at))) ++errs;
                  break;
                case 1:
                  if (!co_await f->write_all_at(std::span(expect).subspan(at, 1024), at)) ++errs;
                  break;
                case 2:
                  if (auto m = co_await fs::metadata(d); !m || m->len != expect.size()) ++errs;
                  break;
                default: {
                  // A read that waits until destroyed: nobody writes the FIFO.
                  auto g = co_await fs::File::open(fifo_path, fs::OpenOptions().read(true).write(true));
                  if (g) (void)co_await g->read(b);
                  break;
                }
              }
            }
            ++fin;
          }(dpath, fpath, seed, data, errors, done)));
        }
        const int yields = static_cast<int>(rng() % 6);
        for (int y = 0; y < yields; ++y) co_await eddy::yield_now();
        // Destroy about half now, at whatever point they reached, and the rest after a little
        // more progress (the FIFO readers never finish on their own).
        for (auto& h : hs) {
          if (rng() % 2 == 0) h.abort();
        }
        co_await eddy::time::sleep(std::chrono::microseconds(rng() % 500));
        for (auto& h : hs) h.abort();
        for (auto& h : hs) (void)co_await h;
      }
      const auto* m = eddy::RuntimeHandle::current().io_metrics();
      EXPECT_TRUE(co_await wait_for([m] { return m->uring_in_flight() == 0; }));
    }(data_path, fifo, wrong, finished));
    EXPECT_EQ(wrong.load(), 0);
    const auto& m = metrics(*rt);
    submitted = m.uring_submitted_count();
    EXPECT_EQ(m.uring_completed_count(), submitted) << "an op still in a ring after the test";
    EXPECT_GT(m.uring_cancelled_count(), 0u);
    std::printf("ops submitted %llu, cancelled %llu, tasks that finished %d\n", static_cast<unsigned long long>(submitted),
                static_cast<unsigned long long>(m.uring_cancelled_count()), finished.load());
  }
  EXPECT_GT(submitted, 100u);
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}
