// fault_inject: an LD_PRELOAD interposer that makes the syscalls eddy's runtime depends on fail
// now and then, the way real kernels and networks make them fail. For tests only (scripts/faults).
//
// Configuration (environment, read once):
//   EDDY_FAULT_MODE  transparent  EINTR only, plus EAGAIN on eventfd writes: faults a correct
//                                 program absorbs without any visible change
//                    hard         also ECONNRESET / EPIPE / ENOMEM / ENOBUFS on stream sockets,
//                                 EMFILE / ENFILE / ENOMEM / ECONNABORTED on accept4: faults that
//                                 must surface as error values
//   EDDY_FAULT_RATE  probability of a fault per eligible call (default 0.1)
//   EDDY_FAULT_SEED  seed of the decision sequence (default 1)
//   EDDY_FAULT_STATS path: at exit, append "calls=N faults=M" per function there
//   EDDY_FAULT_SCOPE registered (default): only fds registered with epoll (see below);
//                    nonblocking: every non-blocking fd (for a program with no test code of its
//                    own, such as echo_server: reaches the signal handler's wake-up socket too)
//
// Invariant: a fault is injected only where the kernel could return that errno for that call
// on that fd, and before the call has any effect (the real call is then not made, so nothing
// is consumed or sent). Hence only on the fds the runtime drives: non-blocking and registered
// with an epoll instance (epoll_ctl and close are watched; a test's own helpers writing to the
// other end of a pipe are left alone); network resets only on TCP sockets (AF_INET/AF_INET6;
// an in-process socket pair has no network to reset it); and never a spurious EAGAIN on an
// edge-triggered socket: the kernel
// does not report EAGAIN while data is pending, and an edge-triggered reactor that trusted a
// fake one would wait for an edge that never comes. epoll_wait gets EINTR only.
//
// io_uring_enter cannot be interposed (liburing enters the kernel with its own syscall
// instruction, not through libc): eddy's ring asks `eddy_fault_io_uring_enter` below instead,
// through its fault seam (src/io/uring/fault_seam.hpp), before each submit, get_events and
// wait_cqe. Transparent mode refuses those with EINTR, EAGAIN or EBUSY (the kernel's transient
// refusals: nothing consumed, retry); hard mode also with ENOMEM (the ops whose SQEs were not
// taken fail with it). The register calls are never refused here (that is setup: the Builder's
// seams and tests/uring_fault_test.cpp force those refusals). Stats add one line per errno.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

enum Fn { kEpollWait, kAccept4, kRecv, kRecvfrom, kRecvmsg, kSend, kSendto, kSendmsg, kRead, kWrite, kUringEnter, kFnCount };
const char* const kFnNames[kFnCount] = {"epoll_wait", "accept4", "recv", "recvfrom", "recvmsg", "send",
                                        "sendto",     "sendmsg", "read", "write",    "io_uring_enter"};

// The errnos io_uring_enter is refused with (the first three in transparent mode).
constexpr int kUringErrnos[] = {EINTR, EAGAIN, EBUSY, ENOMEM};
const char* const kUringErrnoNames[] = {"EINTR", "EAGAIN", "EBUSY", "ENOMEM"};
std::atomic<std::uint64_t> g_uring_faults[4];

struct Config {
  bool enabled = false;
  bool hard = false;
  std::uint64_t threshold = 0;  // fault when the next 64-bit draw is below this
  std::uint64_t seed = 1;
  const char* stats = nullptr;
  bool all_nonblocking = false;
};

Config g_cfg;
std::atomic<std::uint64_t> g_counter{0};
std::atomic<std::uint64_t> g_calls[kFnCount];
std::atomic<std::uint64_t> g_faults[kFnCount];

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t draw() { return splitmix(g_cfg.seed * 0x100000001b3ull + g_counter.fetch_add(1, std::memory_order_relaxed)); }

void write_stats() {
  if (g_cfg.stats == nullptr) return;
  FILE* f = std::fopen(g_cfg.stats, "a");
  if (f == nullptr) return;
  for (int i = 0; i < kFnCount; ++i) {
    const auto c = g_calls[i].load();
    if (c != 0) std::fprintf(f, "%s calls=%llu faults=%llu\n", kFnNames[i], static_cast<unsigned long long>(c),
                             static_cast<unsigned long long>(g_faults[i].load()));
  }
  for (int i = 0; i < 4; ++i) {
    const auto n = g_uring_faults[i].load();
    if (n != 0) std::fprintf(f, "io_uring_enter/%s calls=0 faults=%llu\n", kUringErrnoNames[i], static_cast<unsigned long long>(n));
  }
  std::fclose(f);
}

__attribute__((constructor)) void init() {
  const char* mode = std::getenv("EDDY_FAULT_MODE");
  if (mode == nullptr) return;
  g_cfg.hard = std::strcmp(mode, "hard") == 0;
  g_cfg.enabled = g_cfg.hard || std::strcmp(mode, "transparent") == 0;
  double rate = 0.1;
  if (const char* r = std::getenv("EDDY_FAULT_RATE")) rate = std::atof(r);
  if (rate < 0) rate = 0;
  if (rate > 0.9) rate = 0.9;  // always leave the program a way forward
  g_cfg.threshold = static_cast<std::uint64_t>(rate * 18446744073709551615.0);
  if (const char* s = std::getenv("EDDY_FAULT_SEED")) g_cfg.seed = std::strtoull(s, nullptr, 10);
  g_cfg.stats = std::getenv("EDDY_FAULT_STATS");
  if (const char* sc = std::getenv("EDDY_FAULT_SCOPE")) g_cfg.all_nonblocking = std::strcmp(sc, "nonblocking") == 0;
  std::atexit(write_stats);
}

template <class F>
F real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

// fds currently registered with some epoll instance.
constexpr int kMaxFd = 1 << 16;
std::atomic<bool> g_registered[kMaxFd];

bool registered(int fd) { return fd >= 0 && fd < kMaxFd && g_registered[fd].load(std::memory_order_relaxed); }

enum class Kind { Other, Stream, TcpStream, Datagram, EventFd };

// What the fd is, if it is one the runtime drives (non-blocking); Other otherwise.
Kind kind_of(int fd) {
  const int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || (fl & O_NONBLOCK) == 0) return Kind::Other;
  struct stat st {};
  if (fstat(fd, &st) != 0) return Kind::Other;
  if (S_ISSOCK(st.st_mode)) {
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return Kind::Other;
    if (type != SOCK_STREAM) return Kind::Datagram;
    sockaddr_storage ss{};
    socklen_t sl = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl) != 0) return Kind::Stream;
    return ss.ss_family == AF_INET || ss.ss_family == AF_INET6 ? Kind::TcpStream : Kind::Stream;
  }
  char path[64], target[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(path, target, sizeof target - 1);
  if (n > 0) {
    target[n] = '\0';
    if (std::strcmp(target, "anon_inode:[eventfd]") == 0) return Kind::EventFd;
  }
  return Kind::Other;
}

// Decides whether this call fails, and with which errno (0: make the real call).
int decide(Fn fn, int fd, bool is_accept = false) {
  if (!g_cfg.enabled) return 0;
  g_calls[fn].fetch_add(1, std::memory_order_relaxed);
  if (draw() >= g_cfg.threshold) return 0;
  const std::uint64_t pick = draw();
  int err = 0;
  if (fn == kEpollWait) {
    err = EINTR;
  } else if (g_cfg.all_nonblocking || registered(fd)) {
    const Kind k = kind_of(fd);
    const bool sending = fn == kSend || fn == kSendto || fn == kSendmsg || fn == kWrite;
    if (k == Kind::EventFd) {
      // A full eventfd counter makes a non-blocking write fail with EAGAIN.
      if (fn == kWrite) err = EAGAIN;
    } else if (k != Kind::Other) {
      if (!g_cfg.hard || pick % 2 == 0) {
        err = EINTR;
      } else if (is_accept) {
        static const int kAccept[] = {EMFILE, ENFILE, ENOMEM, ECONNABORTED};
        err = kAccept[(pick >> 8) % 4];
      } else if (k == Kind::Stream) {
        err = EINTR;  // an in-process socket pair: nothing else is plausible
      } else if (k == Kind::TcpStream) {
        static const int kSendErr[] = {ECONNRESET, EPIPE, ENOBUFS};
        static const int kRecvErr[] = {ECONNRESET, ENOMEM};
        err = sending ? kSendErr[(pick >> 8) % 3] : kRecvErr[(pick >> 8) % 2];
      } else {
        err = sending ? ENOBUFS : ENOMEM;
      }
    }
  }
  if (err != 0) g_faults[fn].fetch_add(1, std::memory_order_relaxed);
  return err;
}

}  // namespace

#define FAIL_IF(...)                     \
  do {                                   \
    if (int e_ = decide(__VA_ARGS__)) {  \
      errno = e_;                        \
      return -1;                         \
    }                                    \
  } while (0)

extern "C" {

int epoll_ctl(int epfd, int op, int fd, struct epoll_event* ev) {
  static auto f = real<int (*)(int, int, int, struct epoll_event*)>("epoll_ctl");
  const int r = f(epfd, op, fd, ev);
  if (r == 0 && fd >= 0 && fd < kMaxFd) {
    if (op == EPOLL_CTL_ADD) g_registered[fd].store(true, std::memory_order_relaxed);
    if (op == EPOLL_CTL_DEL) g_registered[fd].store(false, std::memory_order_relaxed);
  }
  return r;
}

// Closing an fd removes it from every epoll set (once no other fd shares its file; good enough
// for deciding where to inject).
int close(int fd) {
  static auto f = real<int (*)(int)>("close");
  if (fd >= 0 && fd < kMaxFd) g_registered[fd].store(false, std::memory_order_relaxed);
  return f(fd);
}

int epoll_wait(int epfd, struct epoll_event* events, int maxevents, int timeout) {
  static auto f = real<int (*)(int, struct epoll_event*, int, int)>("epoll_wait");
  FAIL_IF(kEpollWait, epfd);
  return f(epfd, events, maxevents, timeout);
}

int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
  static auto f = real<int (*)(int, struct sockaddr*, socklen_t*, int)>("accept4");
  FAIL_IF(kAccept4, fd, true);
  return f(fd, addr, len, flags);
}

ssize_t recv(int fd, void* buf, size_t n, int flags) {
  static auto f = real<ssize_t (*)(int, void*, size_t, int)>("recv");
  FAIL_IF(kRecv, fd);
  return f(fd, buf, n, flags);
}

ssize_t recvfrom(int fd, void* buf, size_t n, int flags, struct sockaddr* addr, socklen_t* len) {
  static auto f = real<ssize_t (*)(int, void*, size_t, int, struct sockaddr*, socklen_t*)>("recvfrom");
  FAIL_IF(kRecvfrom, fd);
  return f(fd, buf, n, flags, addr, len);
}

ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  static auto f = real<ssize_t (*)(int, struct msghdr*, int)>("recvmsg");
  FAIL_IF(kRecvmsg, fd);
  return f(fd, msg, flags);
}

ssize_t send(int fd, const void* buf, size_t n, int flags) {
  static auto f = real<ssize_t (*)(int, const void*, size_t, int)>("send");
  FAIL_IF(kSend, fd);
  return f(fd, buf, n, flags);
}

ssize_t sendto(int fd, const void* buf, size_t n, int flags, const struct sockaddr* addr, socklen_t len) {
  static auto f = real<ssize_t (*)(int, const void*, size_t, int, const struct sockaddr*, socklen_t)>("sendto");
  FAIL_IF(kSendto, fd);
  return f(fd, buf, n, flags, addr, len);
}

ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  static auto f = real<ssize_t (*)(int, const struct msghdr*, int)>("sendmsg");
  FAIL_IF(kSendmsg, fd);
  return f(fd, msg, flags);
}

ssize_t read(int fd, void* buf, size_t n) {
  static auto f = real<ssize_t (*)(int, void*, size_t)>("read");
  FAIL_IF(kRead, fd);
  return f(fd, buf, n);
}

ssize_t write(int fd, const void* buf, size_t n) {
  static auto f = real<ssize_t (*)(int, const void*, size_t)>("write");
  FAIL_IF(kWrite, fd);
  return f(fd, buf, n);
}

// Asked by eddy's ring before it enters the kernel (site: 0 submit, 1 get_events, 2 wait_cqe,
// 3 register, 4 park). Returns 0 (go ahead) or the errno to fail with; the ring then makes no
// call. Registrations are left alone.
int eddy_fault_io_uring_enter(int site) {
  if (!g_cfg.enabled || site < 0 || site == 3 || site > 4) return 0;
  g_calls[kUringEnter].fetch_add(1, std::memory_order_relaxed);
  if (draw() >= g_cfg.threshold) return 0;
  const std::uint64_t pick = draw() >> 8;
  const unsigned i = static_cast<unsigned>(pick % (g_cfg.hard ? 4 : 3));
  g_faults[kUringEnter].fetch_add(1, std::memory_order_relaxed);
  g_uring_faults[i].fetch_add(1, std::memory_order_relaxed);
  return kUringErrnos[i];
}

}  // extern "C"
