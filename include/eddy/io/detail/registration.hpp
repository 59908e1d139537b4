// Registration: an fd's registration with an I/O driver, the building block of AsyncFd and the
// socket types. It pairs the driver Handle with the fd's ScheduledIo.
//
// Contract (as in tokio): at most one task polls each direction with the poll-style API at a
// time; breaking it loses notifications (the slot keeps only the last waker), never memory.
// The future-style API (readiness()) takes any number of waiters.
#pragma once

#include <cerrno>
#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

#include "eddy/coop.hpp"
#include "eddy/detail/ref_ptr.hpp"
#include "eddy/error.hpp"
#include "eddy/interest.hpp"
#include "eddy/io/detail/scheduled_io.hpp"
#include "eddy/io/ready_event.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"
#include "eddy/waker.hpp"

namespace eddy::io {

class Handle;  // the driver's shared handle (private to the library; opaque here)

// The one would-block predicate. Would-block is EAGAIN (== EWOULDBLOCK on Linux), in the system
// category as the syscalls report it; the generic category is accepted too, so that a user's
// `std::make_error_code(std::errc::resource_unavailable_try_again)` from a try_io closure counts.
// A value test and two address compares: no virtual error_condition lookup on every EAGAIN
// (which also keeps UBSan's vptr check, which needs a spare fd, out of the EMFILE path).
inline bool is_would_block(std::error_code ec) noexcept {
  static_assert(EAGAIN == EWOULDBLOCK);
  return ec.value() == EAGAIN &&
         (ec.category() == std::system_category() || ec.category() == std::generic_category());
}

// The would-block error eddy itself returns (try_* on a resource that is not ready): the same
// value and category a non-blocking syscall gives, so `ec == std::errc::resource_unavailable_try_again`
// and is_would_block(ec) hold for both.
inline std::error_code would_block_error() noexcept { return std::error_code(EAGAIN, std::system_category()); }

class Registration {
 public:
  // Registers `fd` with the driver behind `handle`. On failure nothing is registered.
  static Result<Registration> create(std::shared_ptr<Handle> handle, int fd, Interest interest);
  // A registration of no fd on `handle`'s driver, for a resource that takes no readiness events
  // (a stream socket in io_uring completion mode): its ScheduledIo is one process-wide resource,
  // shut down from the start and never given to the backend. Invariant: nothing ever changes
  // its word (no event reaches it; its readiness is never cleared, since every poll of it stops
  // at the shutdown test, and try_io finds nothing ready) and no waker is ever stored in it
  // (wait_if_pending and poll_readiness see it ready). So the readiness fast paths' existing
  // shutdown test is the only test a detached registration costs them. deregister() does
  // nothing; Readiness waiters on it see shutdown.
  static Registration detached(std::shared_ptr<Handle> handle) noexcept;
  bool is_detached() const noexcept;

  Registration(Registration&&) noexcept = default;
  Registration& operator=(Registration&& o) noexcept {
    if (this != &o) {
      if (shared_) shared_->clear_wakers();  // as the destructor would
      handle_ = std::move(o.handle_);
      shared_ = std::move(o.shared_);
    }
    return *this;
  }
  // Drops the slot wakers; does not deregister (the owner of the fd does that, with the fd).
  ~Registration();

  // Removes the fd from the driver (see Handle::deregister_source). Call before closing the fd.
  // Nothing to remove for a detached registration.
  Result<void> deregister(int fd);

  // Poll-style readiness (one waker slot per direction). A shut-down driver gives
  // Error::shutdown. Consumes one unit of the task's cooperative budget when ready; with the
  // budget spent it returns Pending and the task is woken after the next driver poll.
  Poll<Result<ReadyEvent>> poll_ready(const Waker& waker, Direction direction) noexcept {
    // Inline: this is the first step of every socket read and write. The unit of budget is
    // taken only when the poll is ready, so a pending poll leaves the budget untouched.
    if (!coop::has_budget(waker)) return Pending;
    auto ev = shared_->poll_readiness(waker, direction);
    if (ev.is_pending()) return Pending;
    if (ev->is_shutdown) return Result<ReadyEvent>(Error::shutdown);
    coop::consume_one();
    return Result<ReadyEvent>(*ev);
  }
  Poll<Result<ReadyEvent>> poll_read_ready(const Waker& waker) { return poll_ready(waker, Direction::Read); }
  Poll<Result<ReadyEvent>> poll_write_ready(const Waker& waker) { return poll_ready(waker, Direction::Write); }

  // A future-style wait (see Readiness). The caller maps is_shutdown to Error::shutdown.
  Readiness readiness(Interest interest) const noexcept { return Readiness(*shared_, interest); }

  // The one try_io (AsyncFd's and every socket's): runs `f` if the resource is ready for
  // `interest` (combined interests work). If `f` fails with would-block, the readiness it ran
  // under is cleared. If the resource is not ready, `f` is not called and the result is
  // would-block. `f` returns a Result<T>. Costs no budget.
  template <class F>
  auto try_io(Interest interest, F&& f) -> std::invoke_result_t<F&> {
    const ReadyEvent ev = shared_->ready_event(interest);
    if (ev.ready.is_empty()) return would_block_error();
    auto r = f();
    if (!r && is_would_block(r.error())) shared_->clear_readiness(ev);
    return r;
  }

  // The one readiness loop of every operation (sockets' and AsyncFd's): wait for readiness
  // with `wait` (a Poll<Result<ReadyEvent>>: the slot poll, or a list waiter's), run `op`, and
  // while `op` would block: give back the unit of budget the ready poll took, clear the
  // readiness `op` ran under (a newer edge has a newer tick and survives) and wait again.
  // `op` takes the ReadyEvent it runs under (to clear early, after a short transfer) or nothing.
  template <class Wait, class Op>
  auto poll_io(Wait&& wait, Op&& op) {
    using R = decltype(call_op(op, std::declval<ReadyEvent>()));
    for (;;) {
      Poll<Result<ReadyEvent>> ev = wait();
      if (ev.is_pending()) return Poll<R>(Pending);
      if (!*ev) return Poll<R>(R(ev->error()));
      R r = call_op(op, **ev);
      if (r || !is_would_block(r.error())) return Poll<R>(std::move(r));
      coop::restore_one();
      shared_->clear_readiness(**ev);
    }
  }
  // poll_io with the slot poll of `direction`.
  template <class Op>
  auto poll_io(const Waker& waker, Direction direction, Op&& op) {
    return poll_io([&]() noexcept { return poll_ready(waker, direction); }, std::forward<Op>(op));
  }

  void clear_readiness(ReadyEvent event) noexcept { shared_->clear_readiness(event); }

  // The awaiters' first look (see PollAwaiter): true when `direction` is not ready and `waker`
  // is now registered for it; false when it may be ready (then poll for real).
  bool wait_if_pending(const Waker& waker, Direction direction) noexcept {
    return shared_->wait_if_pending(waker, direction);
  }

  ScheduledIo& scheduled_io() const noexcept { return *shared_; }
  const std::shared_ptr<Handle>& handle() const noexcept { return handle_; }

 private:
  template <class Op>
  static decltype(auto) call_op(Op& op, ReadyEvent ev) {
    if constexpr (std::is_invocable_v<Op&, ReadyEvent>) return op(ev);
    else return op();
  }

  Registration(std::shared_ptr<Handle> handle, eddy::detail::RefPtr<ScheduledIo> shared) noexcept
      : handle_(std::move(handle)), shared_(std::move(shared)) {}

  std::shared_ptr<Handle> handle_;
  eddy::detail::RefPtr<ScheduledIo> shared_;
};

}  // namespace eddy::io
