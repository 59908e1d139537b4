// The ring under refusals from the kernel, forced deterministically through the ring's fault
// seam (src/io/uring/fault_seam.hpp): each errno the issue names at submit (io_uring_submit),
// at reap (io_uring_get_events) and in shutdown (io_uring_wait_cqe), on files (eddy::fs) and on
// TCP in completion mode. What each must show: transient refusals (EINTR, EAGAIN, EBUSY) are
// invisible (every byte arrives, nothing hangs); ENOMEM fails exactly the operations whose SQEs
// the kernel did not take, as error values, and the ring goes on; no fd is leaked and no op is
// left in flight. scripts/faults drives the same seam at random through tests/fault.
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "eddy/fs.hpp"
#include "eddy/net.hpp"
#include "eddy/runtime.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/time/timeout.hpp"
#include "io/uring/fault_seam.hpp"
#include "support/fs_backends.hpp"
#include "support/net_test_util.hpp"

using eddy::Task;
using eddy::io::uring::EnterSite;
using eddy::net::ConstBuffer;
using eddy::net::MutableBuffer;
using eddy::net::TcpStream;
using eddy_test::TempDir;
using namespace std::chrono_literals;
namespace fs = eddy::fs;

namespace {

std::error_code sys(int e) { return {e, std::system_category()}; }

// What the hook does at one site: fail every `every`-th call with `err`, `left` more times.
struct SitePlan {
  std::atomic<int> err{0};
  std::atomic<int> left{0};
  std::atomic<int> every{1};
  std::atomic<int> calls{0};
  std::atomic<int> injected{0};
};
std::array<SitePlan, 5> g_sites;  // one per EnterSite

int plan_hook(EnterSite site) noexcept {
  SitePlan& p = g_sites[static_cast<std::size_t>(site)];
  const int n = p.calls.fetch_add(1) + 1;
  if (p.left.load() <= 0 || n % p.every.load() != 0) return 0;
  p.left.fetch_sub(1);
  p.injected.fetch_add(1);
  return p.err.load();
}

// Installs the hook for its lifetime (nothing refused until refuse() says so).
class FaultPlan {
 public:
  FaultPlan() {
    for (auto& s : g_sites) {
      s.err = 0;
      s.left = 0;
      s.every = 1;
      s.calls = 0;
      s.injected = 0;
    }
    // (Under scripts/faults the interposer's hook is installed: it is put back afterwards.)
    previous_ = eddy::io::uring::set_fault_hook_for_test(&plan_hook);
  }
  ~FaultPlan() { eddy::io::uring::set_fault_hook_for_test(previous_); }
  FaultPlan(const FaultPlan&) = delete;
  FaultPlan& operator=(const FaultPlan&) = delete;

  void refuse(EnterSite s, int err, int times, int every = 1) {
    SitePlan& p = g_sites[static_cast<std::size_t>(s)];
    p.err = err;
    p.every = every;
    p.calls = 0;
    p.injected = 0;
    p.left = times;
  }
  void stop(EnterSite s) { g_sites[static_cast<std::size_t>(s)].left = 0; }
  int injected(EnterSite s) const { return g_sites[static_cast<std::size_t>(s)].injected.load(); }
  int calls(EnterSite s) const { return g_sites[static_cast<std::size_t>(s)].calls.load(); }

 private:
  eddy::io::uring::FaultHook previous_ = nullptr;
};

std::unique_ptr<eddy::Runtime> file_ring_rt() { return eddy_test::fs_runtime(eddy::FileBackend::io_uring); }

std::unique_ptr<eddy::Runtime> socket_ring_rt() {
  auto rt = eddy::Builder::new_current_thread().enable_all().io_backend(eddy::IoBackend::io_uring).build();
  if (!rt) return nullptr;
  return std::make_unique<eddy::Runtime>(std::move(*rt));
}

const eddy::io::IoDriverMetrics& metrics(const eddy::Runtime& rt) { return *rt.handle().io_metrics(); }

constexpr int kBlocks = 32;
constexpr std::size_t kBlock = 512;

std::vector<std::byte> block_data() {
  std::vector<std::byte> data(kBlocks * kBlock);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i / kBlock + i % 7);
  return data;
}

// Reads every block of `file` at once (one task per block) and counts the blocks that came back
// intact; `errors` collects the errors of the others.
Task<int> read_all_blocks(fs::File& file, std::vector<std::error_code>* errors) {
  const auto want = block_data();
  std::vector<eddy::JoinHandle<eddy::Result<std::vector<std::byte>>>> hs;
  for (int i = 0; i < kBlocks; ++i) {
    hs.push_back(eddy::spawn([](fs::File& f, int idx) -> Task<eddy::Result<std::vector<std::byte>>> {
      std::vector<std::byte> b(kBlock);
      auto r = co_await f.read_exact_at(b, static_cast<std::uint64_t>(idx) * kBlock);
      if (!r) co_return r.error();
      co_return b;
    }(file, i)));
  }
  int good = 0;
  for (int i = 0; i < kBlocks; ++i) {
    auto r = co_await hs[static_cast<std::size_t>(i)];
    if (!r) {
      errors->push_back(r.error());
      continue;
    }
    if (!*r) {
      errors->push_back(r->error());
      continue;
    }
    if (std::memcmp((*r)->data(), want.data() + static_cast<std::size_t>(i) * kBlock, kBlock) == 0) ++good;
  }
  co_return good;
}

// Writes the blocks to `path`, then reads every one back, with no error on the way.
Task<void> write_then_read_back(std::string path) {
  CO_ASSERT_OK(co_await fs::write(path, block_data()));
  auto f = co_await fs::File::open(path);
  CO_ASSERT_OK(f);
  std::vector<std::error_code> errors;
  EXPECT_EQ(co_await read_all_blocks(*f, &errors), kBlocks);
  EXPECT_TRUE(errors.empty());
}

}  // namespace

// --- files ---------------------------------------------------------------------------------

TEST(UringFaults, TransientSubmitRefusalsAreRetriedAndLoseNothing) {
  for (int err : {EINTR, EAGAIN, EBUSY}) {
    SCOPED_TRACE(err);
    TempDir dir;
    const int fds_before = eddy_test::open_fd_count();
    {
      auto rt = file_ring_rt();
      if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
      FaultPlan plan;
      // More refusals in a row than one turn tries (4): the SQEs wait for later turns.
      plan.refuse(EnterSite::submit, err, 10);
      rt->block_on([](std::string path) -> Task<void> {
        // Bounded: without the driver's capped wait the refused SQEs would wait for ever.
        auto r = co_await eddy::time::timeout(10s, write_then_read_back(path));
        CO_ASSERT_OK(r);
      }(dir.join("f")));
      EXPECT_EQ(plan.injected(EnterSite::submit), 10);
      EXPECT_EQ(metrics(*rt).uring_in_flight(), 0u);
    }
    EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
  }
}

TEST(UringFaults, EnomemOnSubmitFailsExactlyTheUnsubmittedOpsAndTheRingGoesOn) {
  for (int err : {ENOMEM, EFAULT}) {  // ENOMEM, and an errno the ring has no special case for
    SCOPED_TRACE(err);
    TempDir dir;
    const int fds_before = eddy_test::open_fd_count();
    {
      auto rt = file_ring_rt();
      if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
      FaultPlan plan;
      rt->block_on([](std::string p, FaultPlan& fp, int e) -> Task<void> {
        CO_ASSERT_OK(co_await fs::write(p, block_data()));
        auto f = co_await fs::File::open(p);
        CO_ASSERT_OK(f);
        // All 32 reads are prepared before the driver's next turn: its one submission is
        // refused, and every one of them fails with the errno.
        fp.refuse(EnterSite::submit, e, 1);
        std::vector<std::error_code> errors;
        EXPECT_EQ(co_await read_all_blocks(*f, &errors), 0);
        EXPECT_EQ(errors.size(), static_cast<std::size_t>(kBlocks));
        for (const auto& ec : errors) EXPECT_EQ(ec, sys(e));
        EXPECT_EQ(fp.injected(EnterSite::submit), 1);
        // The ring goes on: the same reads now succeed.
        errors.clear();
        EXPECT_EQ(co_await read_all_blocks(*f, &errors), kBlocks);
        // An open whose submission is refused opens nothing (no fd to leak) and says why.
        fp.refuse(EnterSite::submit, e, 1);
        auto g = co_await fs::File::open(p);
        CO_ASSERT_TRUE(!g);
        EXPECT_EQ(g.error(), sys(e));
        auto h = co_await fs::File::open(p);
        CO_ASSERT_OK(h);
      }(dir.join("f"), plan, err));
      EXPECT_EQ(metrics(*rt).uring_in_flight(), 0u);
    }
    EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
  }
}

TEST(UringFaults, RefusedGetEventsLeavesNoCompletionBehind) {
  // The eventfd's edge that announced the completions is spent when get_events is refused:
  // without the driver's capped wait, the turn would sleep on the completions for ever.
  for (int err : {EINTR, EAGAIN, EBUSY, ENOMEM}) {
    SCOPED_TRACE(err);
    TempDir dir;
    auto rt = file_ring_rt();
    if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
    FaultPlan plan;
    plan.refuse(EnterSite::get_events, err, 5);
    bool finished = false;
    rt->block_on([](std::string p, bool* done) -> Task<void> {
      auto r = co_await eddy::time::timeout(10s, write_then_read_back(p));
      CO_ASSERT_OK(r);
      *done = true;
    }(dir.join("f"), &finished));
    EXPECT_TRUE(finished);
    // get_events runs only with DEFER_TASKRUN (kernel 6.1+).
    if (plan.calls(EnterSite::get_events) == 0) GTEST_SKIP() << "no DEFER_TASKRUN: no get_events to refuse";
    EXPECT_EQ(plan.injected(EnterSite::get_events), 5);
    EXPECT_EQ(metrics(*rt).uring_in_flight(), 0u);
  }
}

namespace {

// 16 reads of an empty FIFO left in flight, then `refuse` is applied and the runtime dropped:
// its shutdown must cancel them, wait them out through the refusals, and close every fd.
void shutdown_with_reads_in_flight(const std::function<void(FaultPlan&)>& refuse, FaultPlan& plan) {
  TempDir dir;
  const std::string fifo = dir.join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int fds_before = eddy_test::open_fd_count();
  {
    auto rt = file_ring_rt();
    if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
    const auto& met = metrics(*rt);
    rt->block_on([](std::string path, const eddy::io::IoDriverMetrics& m) -> Task<void> {
      for (int i = 0; i < 16; ++i) {
        (void)eddy::spawn([](std::string p) -> Task<void> {
          auto f = co_await fs::File::open(p, fs::OpenOptions().read(true).write(true));
          if (!f) co_return;
          std::vector<std::byte> b(64);
          (void)co_await f->read(b);  // never completes: nobody writes
          ADD_FAILURE() << "a read of an empty FIFO completed";
        }(path));
      }
      for (int i = 0; i < 2000 && m.uring_in_flight() != 16; ++i) co_await eddy::time::sleep(1ms);
      EXPECT_EQ(m.uring_in_flight(), 16u);
    }(fifo, met));
    refuse(plan);
  }
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}

}  // namespace

TEST(UringFaults, ShutdownWaitsOutRefusedSubmissions) {
  for (int err : {EINTR, EAGAIN, EBUSY, ENOMEM}) {
    SCOPED_TRACE(err);
    FaultPlan plan;
    // The cancels are refused (ENOMEM too: a cancel is never failed, it is retried).
    shutdown_with_reads_in_flight([err](FaultPlan& p) { p.refuse(EnterSite::submit, err, 6); }, plan);
    EXPECT_EQ(plan.injected(EnterSite::submit), 6);
  }
}

TEST(UringFaults, ShutdownWaitsOutRefusedWaits) {
  int waited = 0;
  for (int err : {EINTR, EAGAIN, EBUSY, ENOMEM}) {
    SCOPED_TRACE(err);
    FaultPlan plan;
    // Every get_events refused, so only io_uring_wait_cqe can bring the cancelled reads'
    // completions in; its first three calls are refused too.
    shutdown_with_reads_in_flight(
        [err](FaultPlan& p) {
          p.refuse(EnterSite::get_events, err, 1 << 30);
          p.refuse(EnterSite::wait_cqe, err, 3);
        },
        plan);
    // Whether the shutdown needs to wait at all depends on the kernel's timing: with
    // DEFER_TASKRUN the cancelled reads usually complete as task work that only a wait runs
    // (every time in the release build here), but under TSan's slower clock some were found
    // already posted. When it waits, its first three waits are refused and waited out.
    if (plan.calls(EnterSite::wait_cqe) == 0) continue;
    ++waited;
    EXPECT_EQ(plan.injected(EnterSite::wait_cqe), 3);
    EXPECT_GT(plan.calls(EnterSite::wait_cqe), 3);
  }
  if (waited == 0) GTEST_SKIP() << "no shutdown here needed io_uring_wait_cqe";
}

// Regression (scripts/faults, rate 0.5): on the multi-thread runtime with a ring per worker, a
// read aborted while its task ran on the other worker had its cancel's flush refused, and the
// ring's own worker slept on: nobody gave the cancel to the kernel, and the read stayed in
// flight for ever. The canceller now fires the rings' eventfd and the driver's holder flushes
// the cancel (RingSet::drain_all), every 1 ms until the kernel takes it. Each round refuses the
// next 4 submits (one flush's attempts), which are the cancel's: nothing else is pending then.
// The rounds whose abort runs on the other worker are the ones that hung.
TEST(UringFaults, ACancelRefusedOnAnotherWorkerStillReachesTheKernel) {
  TempDir dir;
  const std::string fifo = dir.join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto rt = eddy_test::fs_runtime(eddy_test::FsKind{eddy::FileBackend::io_uring, true}, 256, 2);
  if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
  FaultPlan plan;
  const auto& met = metrics(*rt);
  rt->block_on([](std::string path, FaultPlan& p, const eddy::io::IoDriverMetrics& m) -> Task<void> {
    auto f = co_await fs::File::open(path, fs::OpenOptions().read(true).write(true));
    CO_ASSERT_OK(f);
    for (int round = 0; round < 16; ++round) {
      auto reader = eddy::spawn([](fs::File& file) -> Task<void> {
        std::vector<std::byte> b(16);
        (void)co_await file.read(b);  // never completes: nobody writes
        ADD_FAILURE() << "a read of an empty FIFO completed";
      }(*f));
      for (int i = 0; i < 2000 && m.uring_in_flight() != 1; ++i) co_await eddy::time::sleep(1ms);
      CO_ASSERT_TRUE(m.uring_in_flight() == 1u);
      p.refuse(EnterSite::submit, EAGAIN, 4);
      reader.abort();
      (void)co_await reader;
      // Bounded: 2 s is three orders of magnitude more than the retries take.
      for (int i = 0; i < 2000 && m.uring_in_flight() != 0; ++i) co_await eddy::time::sleep(1ms);
      EXPECT_EQ(m.uring_in_flight(), 0u) << "round " << round << ": the cancel never reached the kernel";
      CO_ASSERT_TRUE(m.uring_in_flight() == 0u);
      EXPECT_EQ(p.injected(EnterSite::submit), 4) << "round " << round;
    }
  }(fifo, plan, met));
  EXPECT_EQ(met.uring_cancelled_count(), 16u);
}

TEST(UringFaults, ARefusedRegistrationIsARefusalOrAPoolFallbackNeverAnAbort) {
  FaultPlan plan;
  // At creation (the eventfd registration): a refusal like any other.
  plan.refuse(EnterSite::register_, ENOMEM, 1);
  {
    auto req = eddy::Builder::new_current_thread().enable_all().file_backend(eddy::FileBackend::io_uring).build();
    ASSERT_FALSE(req);
    EXPECT_EQ(req.error(), sys(ENOMEM));
  }
  EXPECT_EQ(plan.injected(EnterSite::register_), 1);
  // At the claim (enabling the ring for its owner): this op runs on the blocking pool, the next
  // one claims the ring.
  auto rt = file_ring_rt();
  if (!rt) GTEST_SKIP() << "the kernel refuses io_uring here";
  TempDir dir;
  plan.refuse(EnterSite::register_, EAGAIN, 1);
  rt->block_on([](std::string p) -> Task<void> {
    CO_ASSERT_OK(co_await fs::write(p, std::string_view("pool then ring")));
    auto s = co_await fs::read_to_string(p);
    CO_ASSERT_OK(s);
    EXPECT_EQ(*s, "pool then ring");
  }(dir.join("f")));
  EXPECT_EQ(plan.injected(EnterSite::register_), 1);
  EXPECT_GT(metrics(*rt).uring_submitted_count(), 0u);
}

// --- sockets in completion mode --------------------------------------------------------------

TEST(UringFaults, TcpEchoSurvivesTransientRefusalsEverywhere) {
  for (int err : {EINTR, EAGAIN, EBUSY}) {
    SCOPED_TRACE(err);
    const int fds_before = eddy_test::open_fd_count();
    {
      auto rt = socket_ring_rt();
      if (!rt) GTEST_SKIP() << "the kernel refuses io_uring sockets here";
      FaultPlan plan;
      plan.refuse(EnterSite::submit, err, 100000, 2);      // every other submission
      plan.refuse(EnterSite::get_events, err, 100000, 3);  // every third reap
      plan.refuse(EnterSite::park, err, 100000, 4);        // every fourth park on the ring
      std::size_t echoed = 0;
      rt->block_on([](std::size_t* out) -> Task<void> {
        auto body = [](std::size_t* out_n) -> Task<void> {
          auto p = co_await eddy_test::tcp_pair();
          CO_ASSERT_OK(p);
          auto echo = eddy::spawn([](TcpStream s) -> Task<void> {
            std::vector<char> b(4096);
            for (;;) {
              auto r = co_await s.read(MutableBuffer(b.data(), b.size()));
              if (!r || *r == 0) co_return;
              auto w = co_await s.write_all(ConstBuffer(b.data(), *r));
              if (!w) co_return;
            }
          }(std::move(p->server)));
          std::string sent(256 * 1024, '\0');
          for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
          auto writer = eddy::spawn([](TcpStream& c, const std::string& data) -> Task<bool> {
            for (std::size_t off = 0; off < data.size(); off += 3000) {
              const std::size_t n = std::min<std::size_t>(3000, data.size() - off);
              if (!co_await c.write_all(ConstBuffer(data.data() + off, n))) co_return false;
            }
            co_return true;
          }(p->client, sent));
          std::string got;
          std::vector<char> b(8192);
          while (got.size() < sent.size()) {
            auto r = co_await p->client.read(MutableBuffer(b.data(), b.size()));
            CO_ASSERT_OK(r);
            CO_ASSERT_TRUE(*r > 0);
            got.append(b.data(), *r);
          }
          auto w = co_await writer;
          CO_ASSERT_OK(w);
          EXPECT_TRUE(*w);
          EXPECT_TRUE(got == sent);
          *out_n = got.size();
          CO_ASSERT_OK(p->client.shutdown());
          (void)co_await echo;
        };
        auto r = co_await eddy::time::timeout(20s, body(out));
        CO_ASSERT_OK(r);
      }(&echoed));
      EXPECT_EQ(echoed, 256u * 1024u);
      EXPECT_GT(plan.injected(EnterSite::submit), 0);
      EXPECT_GT(plan.injected(EnterSite::park), 0);  // socket mode parks on the ring
    }
    EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
  }
}

TEST(UringFaults, TcpEnomemFailsTheArmedAcceptAndReadAsValues) {
  const int fds_before = eddy_test::open_fd_count();
  {
    auto rt = socket_ring_rt();
    if (!rt) GTEST_SKIP() << "the kernel refuses io_uring sockets here";
    FaultPlan plan;
    rt->block_on([](FaultPlan& fp) -> Task<void> {
      auto l = eddy::net::TcpListener::bind(eddy_test::loopback_any_port());
      CO_ASSERT_OK(l);
      auto addr = l->local_addr();
      CO_ASSERT_OK(addr);
      auto client = eddy::spawn([](eddy::net::SocketAddr a) -> Task<eddy::Result<TcpStream>> {
        co_return co_await TcpStream::connect(a);
      }(*addr));
      // The multishot accept's submission is refused: that accept reports ENOMEM once, the next
      // one re-arms and gets the connection that was waiting.
      fp.refuse(EnterSite::submit, ENOMEM, 1);
      auto a1 = co_await l->accept();
      CO_ASSERT_TRUE(!a1);
      EXPECT_EQ(a1.error(), sys(ENOMEM));
      auto a2 = co_await l->accept();
      CO_ASSERT_OK(a2);
      auto c = co_await client;
      CO_ASSERT_OK(c);
      CO_ASSERT_OK(*c);
      TcpStream server = std::move(a2->first);
      // The multishot recv's submission is refused: the read fails with ENOMEM (a value).
      fp.refuse(EnterSite::submit, ENOMEM, 1);
      char b[16];
      auto r = co_await eddy::time::timeout(5s, server.read(MutableBuffer(b, sizeof b)));
      CO_ASSERT_OK(r);
      CO_ASSERT_TRUE(!*r);
      EXPECT_EQ(r->error(), sys(ENOMEM));
      EXPECT_EQ(fp.injected(EnterSite::submit), 1);
      // Writes go on (a send is its own op).
      CO_ASSERT_OK(co_await server.write_all(std::string_view("still here")));
      char got[10];
      CO_ASSERT_OK(co_await (*c)->read_exact(MutableBuffer(got, sizeof got)));
      EXPECT_EQ(std::string(got, sizeof got), "still here");
    }(plan));
  }
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}

static bool kernel_has_send_zc() {
  io_uring_probe* p = io_uring_get_probe();
  if (p == nullptr) return false;
  const bool ok = io_uring_opcode_supported(p, IORING_OP_SEND_ZC) != 0;
  io_uring_free_probe(p);
  return ok;
}

// The send op's refusals: each write whose SQE the kernel refuses with ENOMEM (a SEND, a SEND_ZC,
// owned or copied) fails with ENOMEM as a value; an owned write gets its buffer back; none of
// their bytes reach the peer; the next writes go on; nothing leaks (fds here, buffers under ASan).
TEST(UringFaults, TcpEnomemFailsEachKindOfSendAsAValue) {
  const int fds_before = eddy_test::open_fd_count();
  {
    auto rt = socket_ring_rt();
    if (!rt) GTEST_SKIP() << "the kernel refuses io_uring sockets here";
    FaultPlan plan;
    rt->block_on([](FaultPlan& fp, const eddy::io::IoDriverMetrics* m) -> Task<void> {
      auto p = co_await eddy_test::tcp_pair();
      CO_ASSERT_OK(p);
      // The reader runs all along (a 1 MiB send needs the peer to read), until the client's FIN.
      auto reader = eddy::spawn([](TcpStream& s) -> Task<std::string> {
        std::string got;
        std::vector<char> buf(1 << 16);
        for (;;) {
          auto n = co_await eddy::time::timeout(10s, s.read(MutableBuffer(buf.data(), buf.size())));
          if (!n || !*n || **n == 0) break;
          got.append(buf.data(), **n);
        }
        co_return got;
      }(p->server));
      co_await eddy::time::sleep(2ms);  // the reader's recv is armed: only the sends are refused below
      std::string expect;
      // 1 KiB goes by SEND; 1 MiB by SEND_ZC where the kernel has it (the first large send of
      // the socket, before any notification could turn zero copy off).
      for (std::size_t size : {std::size_t{1024}, std::size_t{1} << 20}) {
        const std::string body(size, static_cast<char>('a' + size % 26));
        const std::uint64_t zc0 = m->uring_send_zc_count();
        eddy::net::OwnedBuffer b = eddy::net::OwnedBuffer::copy_of(std::string_view(body));
        const std::byte* at = b.data();
        fp.refuse(EnterSite::submit, ENOMEM, 1);
        auto [r, back] = co_await p->client.write_all_owned(std::move(b));
        CO_ASSERT_TRUE(!r);
        EXPECT_EQ(r.error(), sys(ENOMEM));
        EXPECT_EQ(back.data(), at);  // the buffer came back whole
        EXPECT_EQ(back.size(), size);
        EXPECT_EQ(fp.injected(EnterSite::submit), 1);
        if (size > 16384 && kernel_has_send_zc()) {
          EXPECT_EQ(m->uring_send_zc_count(), zc0 + 1);  // the refused send was a SEND_ZC
        } else {
          EXPECT_EQ(m->uring_send_zc_count(), zc0);
        }
        // The copying write's send refused the same way.
        fp.refuse(EnterSite::submit, ENOMEM, 1);
        auto w = co_await p->client.write_all(ConstBuffer(body.data(), body.size()));
        CO_ASSERT_TRUE(!w);
        EXPECT_EQ(w.error(), sys(ENOMEM));
        // Then both work.
        auto r2 = co_await eddy::time::timeout(10s, p->client.write_all_owned(std::move(back)));
        CO_ASSERT_OK(r2);
        CO_ASSERT_OK(r2->result);
        expect += body;
      }
      CO_ASSERT_OK(p->client.shutdown());
      auto got = co_await reader;
      CO_ASSERT_OK(got);
      EXPECT_TRUE(*got == expect) << got->size() << " bytes, expected " << expect.size();
    }(plan, rt->handle().io_metrics()));
  }
  EXPECT_EQ(eddy_test::open_fd_count(), fds_before);
}
