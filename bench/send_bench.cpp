// Large-write benchmark: one loopback TCP connection; a plain thread drains it with blocking
// recv() while the current-thread runtime writes S-byte buffers, in each of these ways:
//
//   epoll copy      readiness mode, write_all (send() from the caller's bytes)
//   epoll owned     readiness mode, write_all_owned
//   uring copy      completion mode, write_all (bytes copied into the send op, then SEND)
//   uring owned     completion mode, write_all_owned by SEND (SEND_ZC hidden by the probe seam)
//   uring owned zc  completion mode, write_all_owned by SEND_ZC forced (every size, and kept
//                   although the kernel reports that it copied)
//   uring copy zc   completion mode, write_all by SEND_ZC forced, from the op's copy
//   uring owned dfl completion mode, write_all_owned with the default policy: SEND_ZC from
//                   kSendZcMin until a notification says "copied" (on loopback: the first one)
//
// It prints, per size, the median over the rounds of the rate (MiB/s) and the writer thread's
// CPU time per MiB sent, with ratios against epoll copy measured in the same run. Loopback only:
// loopback delivers to a local socket by copying the pages (the notification says "copied"), so
// SEND_ZC cannot show its real benefit here (the copy skipped at send time is paid at delivery);
// on a NIC with scatter-gather the send side's copy is gone.
//
//   send_bench [--mib N] [--rounds N]   (defaults: 128 MiB per case, bounded by 2 s; 3 rounds)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "eddy/net.hpp"
#include "eddy/runtime.hpp"
#include "net/uring_send.hpp"

using Clock = std::chrono::steady_clock;

namespace {

enum class Mode { epoll_copy, epoll_owned, uring_copy, uring_owned, uring_owned_zc, uring_copy_zc, uring_owned_dfl };
constexpr std::array kModes = {Mode::epoll_copy,     Mode::epoll_owned,   Mode::uring_copy,     Mode::uring_owned,
                               Mode::uring_owned_zc, Mode::uring_copy_zc, Mode::uring_owned_dfl};
const char* name(Mode m) {
  switch (m) {
    case Mode::epoll_copy: return "epoll copy";
    case Mode::epoll_owned: return "epoll owned";
    case Mode::uring_copy: return "uring copy";
    case Mode::uring_owned: return "uring owned";
    case Mode::uring_owned_zc: return "uring owned zc";
    case Mode::uring_copy_zc: return "uring copy zc";
    case Mode::uring_owned_dfl: return "uring owned dfl";
  }
  return "?";
}
bool uses_uring(Mode m) { return m != Mode::epoll_copy && m != Mode::epoll_owned; }
bool uses_zc(Mode m) { return m == Mode::uring_owned_zc || m == Mode::uring_copy_zc; }
bool owned(Mode m) {
  return m == Mode::epoll_owned || m == Mode::uring_owned || m == Mode::uring_owned_zc || m == Mode::uring_owned_dfl;
}

double thread_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Sample {
  double mib_s = 0;
  double cpu_ms_per_mib = 0;
  bool ok = false;
};

// A connected loopback pair of plain fds: {writer side, reader side}.
bool socket_pair(int& w, int& r) {
  const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (l < 0 || ::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 1) != 0 ||
      ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (l >= 0) ::close(l);
    return false;
  }
  r = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (r < 0 || ::connect(r, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(l);
    return false;
  }
  w = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
  ::close(l);
  return w >= 0;
}

Sample run_case(Mode mode, std::size_t size, std::size_t total) {
  // Forced zero copy for the zc rows; the default policy for every other row.
  eddy::net::detail::set_send_zc_for_bench(uses_zc(mode) ? 1 : 0, uses_zc(mode));
  auto b = eddy::Builder::new_current_thread();
  b.enable_all();
  if (uses_uring(mode)) {
    b.io_backend(eddy::IoBackend::io_uring);
    if (!uses_zc(mode) && mode != Mode::uring_owned_dfl) b.uring_refuse_opcode_for_test(IORING_OP_SEND_ZC);
  }
  auto rt = b.build();
  if (!rt) return {};
  int wfd = -1, rfd = -1;
  if (!socket_pair(wfd, rfd)) return {};
  std::atomic<std::size_t> got{0};
  std::thread reader([&] {
    std::vector<char> buf(1 << 20);
    for (;;) {
      const ssize_t n = ::recv(rfd, buf.data(), buf.size(), 0);
      if (n <= 0) break;
      got.fetch_add(static_cast<std::size_t>(n), std::memory_order_relaxed);
    }
    ::close(rfd);
  });
  const auto t0 = Clock::now();
  const double c0 = thread_cpu_s();
  bool ok = rt->block_on([](int fd, Mode m, std::size_t sz, std::size_t tot) -> eddy::Task<bool> {
    auto s = eddy::net::TcpStream::from_fd(eddy::OwnedFd(fd));
    if (!s) co_return false;
    const bool uring_mode = s->poll_evented().uring() != nullptr;
    if (uring_mode != uses_uring(m)) co_return false;
    eddy::net::OwnedBuffer buf(sz);
    std::memset(buf.data(), 'x', sz);
    std::vector<char> copy(sz, 'y');
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    std::size_t sent = 0;
    while (sent < tot && Clock::now() < deadline) {
      if (owned(m)) {
        auto [r, back] = co_await s->write_all_owned(std::move(buf));
        if (!r) co_return false;
        buf = std::move(back);
      } else {
        if (!co_await s->write_all(eddy::net::ConstBuffer(copy.data(), copy.size()))) co_return false;
      }
      sent += sz;
    }
    (void)s->shutdown();
    co_return true;
  }(wfd, mode, size, total));
  const double cpu = thread_cpu_s() - c0;
  reader.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const double mib = static_cast<double>(got.load()) / (1024.0 * 1024.0);
  Sample out;
  out.ok = ok && mib > 0;
  out.mib_s = mib / secs;
  out.cpu_ms_per_mib = cpu * 1e3 / mib;
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = 128;
  int rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--mib") == 0) mib = std::strtoul(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
  }
  io_uring_probe* probe = io_uring_get_probe();
  const bool have_zc = probe != nullptr && io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
  if (probe != nullptr) io_uring_free_probe(probe);
  std::printf("send_bench: loopback, %zu MiB per case (2 s cap), median of %d rounds; SEND_ZC %s\n", mib, rounds,
              have_zc ? "available" : "missing (zc rows skipped)");
  std::printf("%-8s %-15s %10s %8s %12s %8s\n", "size", "mode", "MiB/s", "x epoll", "cpu ms/MiB", "x epoll");
  const std::size_t sizes[] = {4096, 16384, 65536, 262144, 1 << 20};
  for (std::size_t size : sizes) {
    std::vector<std::vector<double>> rate(kModes.size()), cpu(kModes.size());
    bool failed[kModes.size()] = {};
    for (int r = 0; r < rounds; ++r) {
      for (std::size_t k = 0; k < kModes.size(); ++k) {
        if (uses_zc(kModes[k]) && !have_zc) continue;
        const Sample s = run_case(kModes[k], size, mib << 20);
        if (!s.ok) {
          failed[k] = true;
          continue;
        }
        rate[k].push_back(s.mib_s);
        cpu[k].push_back(s.cpu_ms_per_mib);
      }
    }
    const double base_rate = median(rate[0]), base_cpu = median(cpu[0]);
    for (std::size_t k = 0; k < kModes.size(); ++k) {
      if (rate[k].empty()) {
        if (failed[k]) std::printf("%-8zu %-15s   failed\n", size, name(kModes[k]));
        continue;
      }
      const double rt = median(rate[k]), c = median(cpu[k]);
      std::printf("%-8zu %-15s %10.0f %8.2f %12.3f %8.2f\n", size, name(kModes[k]), rt, rt / base_rate, c,
                  c / base_cpu);
    }
  }
  eddy::net::detail::set_send_zc_for_bench(0, false);
  return 0;
}
