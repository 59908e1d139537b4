#include "signal/registry.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "util/wake_list.hpp"

namespace eddy::detail::signal {

namespace {

// Read by the handler; set once, before any handler is installed.
sync::Atomic<Registry*> g_registry{nullptr};

void handler(int signum, siginfo_t* info, void* ctx) {
  // Only reachable after g_registry was set (handlers are installed through it).
  if (Registry* r = g_registry.load(std::memory_order_acquire)) r->on_signal(signum, info, ctx);
}

bool forbidden(int signum) noexcept {
  return signum == SIGKILL || signum == SIGSTOP || signum == SIGILL || signum == SIGFPE || signum == SIGSEGV;
}

}  // namespace

Result<Registry*> Registry::instance() noexcept {
  struct Holder {
    Registry* registry = nullptr;
    std::error_code error;
  };
  static const Holder holder = []() noexcept {
    Holder h;
    int fds[2];
    // A socket pair rather than a pipe: the same choice as tokio (mio's UnixStream pair); both
    // ends non-blocking so that neither the handler nor the drain can ever block.
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
      h.error = last_error();
      return h;
    }
    // Reachable through g_registry for the whole process: never freed on purpose.
    h.registry = new Registry(fds[0], fds[1]);
    g_registry.store(h.registry, std::memory_order_release);
    return h;
  }();
  if (holder.registry == nullptr) return holder.error;
  return holder.registry;
}

Result<void> Registry::check(int signum) noexcept {
  if (signum <= 0 || signum >= kSlots || signum > SIGRTMAX) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (forbidden(signum)) return std::make_error_code(std::errc::operation_not_permitted);
  return {};
}

Result<void> Registry::enable(int signum) noexcept {
  if (auto r = check(signum); !r) return r;
  Slot& s = slots_[signum];
  sync::LockGuard<sync::Mutex> lock(s.mutex);
  if (s.installed) return {};
  struct sigaction sa {};
  sa.sa_sigaction = &handler;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  // `previous` is written by the kernel before our handler can run, and never again.
  if (::sigaction(signum, &sa, &s.previous) != 0) {
    const int e = errno;
    return std::error_code(e == EINVAL ? static_cast<int>(std::errc::invalid_argument) : e, std::generic_category());
  }
  s.installed = true;
  return {};
}

void Registry::on_signal(int signum, siginfo_t* info, void* ctx) noexcept {
  const int saved_errno = errno;
  if (signum > 0 && signum < kSlots) {
    Slot& s = slots_[signum];
    s.pending.store(true, std::memory_order_seq_cst);
    const char byte = 1;
    // EAGAIN is ignored on purpose: the socket is full, so a wake-up is already pending. EINTR
    // (another signal arrived first; scripts/faults injects it) is retried: the byte is the
    // only wake-up this signal gets, and without it the signal would be lost. write() is
    // async-signal-safe; EINTR happens before any byte is written, so retrying cannot double it.
    while (::write(sender_, &byte, 1) < 0 && errno == EINTR) {
    }
    // Chain to the handler that was installed before ours (not to SIG_DFL/SIG_IGN: handling the
    // signal replaces its default action, as in tokio).
    const struct sigaction& prev = s.previous;
    if ((prev.sa_flags & SA_SIGINFO) != 0) {
      if (prev.sa_sigaction != nullptr) prev.sa_sigaction(signum, info, ctx);
    } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr) {
      prev.sa_handler(signum);
    }
  }
  errno = saved_errno;
}

void Registry::broadcast() noexcept {
  WakeList wakes;
  for (int signum = 1; signum < kSlots; ++signum) {
    Slot& s = slots_[signum];
    if (!s.pending.exchange(false, std::memory_order_seq_cst)) continue;
    sync::UniqueLock<sync::Mutex> lock(s.mutex);
    ++s.version;
    while (Waiter* w = s.waiters.pop_front()) {
      Waker waker = std::move(w->waker);
      if (!waker) continue;
      wakes.push(std::move(waker));
      if (!wakes.can_push()) {
        lock.unlock();
        wakes.wake_all();
        lock.lock();
      }
    }
  }
  wakes.wake_all();
}

}  // namespace eddy::detail::signal
