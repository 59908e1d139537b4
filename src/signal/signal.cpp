#include "eddy/signal.hpp"

#include <utility>

#include "eddy/detail/context.hpp"
#include "eddy/detail/scheduler.hpp"
#include "eddy/error.hpp"
#include "signal/registry.hpp"
#include "signal/signal_handle.hpp"

namespace eddy::signal {

using detail::signal::Registry;

Result<Signal> signal(SignalKind kind) noexcept {
  const int signum = kind.as_raw();
  if (auto r = Registry::check(signum); !r) return r.error();
  detail::Scheduler* rt = detail::context().handle;
  if (rt == nullptr) return Error::no_runtime;
  const auto& handle = rt->driver().signal;
  if (!handle) return Error::io_disabled;
  auto reg = Registry::instance();
  if (!reg) return reg.error();
  // The runtime watches the pipe before the handler can write to it.
  if (auto r = handle->ensure_registered(); !r) return r.error();
  if (auto r = (*reg)->enable(signum); !r) return r.error();
  auto& slot = (*reg)->slot(signum);
  std::uint64_t version;
  {
    detail::sync::LockGuard<detail::sync::Mutex> lock(slot.mutex);
    version = slot.version;
  }
  return Signal(signum, version);
}

Signal::RecvAwaiter::RecvAwaiter(Signal& s) noexcept : sig_(&s) {}

Signal::RecvAwaiter::~RecvAwaiter() {
  if (!registered_) return;
  // A registered waiter implies the registry exists.
  auto& slot = (*Registry::instance())->slot(sig_->signum_);
  Waker old;
  detail::sync::LockGuard<detail::sync::Mutex> lock(slot.mutex);
  slot.waiters.remove(waiter_);
  old = std::move(waiter_.waker);
}

Poll<bool> Signal::RecvAwaiter::poll(const Waker& waker) noexcept {
  // A Signal only exists once the registry does.
  auto& slot = (*Registry::instance())->slot(sig_->signum_);
  Waker w(waker);  // cloned outside the lock; the old one is dropped after it
  detail::sync::LockGuard<detail::sync::Mutex> lock(slot.mutex);
  if (slot.version != sig_->seen_) {
    sig_->seen_ = slot.version;
    slot.waiters.remove(waiter_);
    std::swap(w, waiter_.waker);
    return true;
  }
  std::swap(w, waiter_.waker);
  if (!waiter_.is_linked()) slot.waiters.push_back(waiter_);
  registered_ = true;
  return Pending;
}

Task<Result<void>> ctrl_c() {
  auto s = signal(SignalKind::interrupt());
  if (!s) co_return s.error();
  co_await s->recv();
  co_return Result<void>();
}

}  // namespace eddy::signal
