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
#include "eddy/io/driver.hpp"
#include "eddy/io/ready_event.hpp"
#include "eddy/io/scheduled_io.hpp"
#include "eddy/result.hpp"
#include "eddy/waker.hpp"

namespace eddy::io {

// Would-block has one error everywhere in eddy (socket try_*, AsyncFd::try_io, Registration):
// EAGAIN in std::system_category(), what the syscalls themselves give. User code compares it
// portably with `ec == std::errc::resource_unavailable_try_again`.
inline std::error_code would_block_error() noexcept {
  return {EAGAIN, std::system_category()};
}

// The one would-block predicate: EAGAIN (== EWOULDBLOCK on Linux) in the system category, or in
// the generic one (a closure given to try_io may have built its error with std::errc). A value
// and an address compare, no virtual call: it runs on every EAGAIN of the I/O path.
inline bool is_would_block(std::error_code ec) noexcept {
  static_assert(EAGAIN == EWOULDBLOCK);
  return ec.value() == EAGAIN &&
         (ec.category() == std::system_category() || ec.category() == std::generic_category());
}

class Registration {
 public:
  // Registers `fd` with the driver behind `handle`. On failure nothing is registered.
  static Result<Registration> create(std::shared_ptr<Handle> handle, int fd, Interest interest);

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
  Result<void> deregister(int fd);

  // Poll-style readiness (one waker slot per direction). A shut-down driver gives
  // Error::shutdown. Consumes one unit of the task's cooperative budget when ready; with the
  // budget spent it returns Pending and the task is woken after the next driver poll.
  Poll<Result<ReadyEvent>> poll_ready(const Waker& waker, Direction direction) noexcept {
    // Inline: this is the first step of every socket read and write. The unit of budget is
    // taken only when the poll is ready, so a pending poll leaves the budget untouched.
    if (!coop::has_budget(waker)) return Pending;
    auto ev = shared_->poll_readiness(waker, direction);
    if (!ev) return Pending;
    if (ev->is_shutdown) return Result<ReadyEvent>(Error::shutdown);
    coop::consume_one();
    return Result<ReadyEvent>(*ev);
  }
  Poll<Result<ReadyEvent>> poll_read_ready(const Waker& waker) { return poll_ready(waker, Direction::Read); }
  Poll<Result<ReadyEvent>> poll_write_ready(const Waker& waker) { return poll_ready(waker, Direction::Write); }

  // A future-style wait (see Readiness). The caller maps is_shutdown to Error::shutdown.
  Readiness readiness(Interest interest) const noexcept { return Readiness(*shared_, interest); }

  // Runs `f` if the resource is ready for `interest` (combined interests work). If `f` fails
  // with would-block, the readiness it ran under is cleared. If the resource is not ready, `f`
  // is not called and the result is would-block. `f` returns a Result<T>.
  template <class F>
  auto try_io(Interest interest, F&& f) -> std::invoke_result_t<F&> {
    const ReadyEvent ev = shared_->ready_event(interest);
    if (ev.ready.is_empty()) return would_block_error();
    auto r = f();
    if (!r && is_would_block(r.error())) shared_->clear_readiness(ev);
    return r;
  }

  void clear_readiness(ReadyEvent event) noexcept { shared_->clear_readiness(event); }

  ScheduledIo& scheduled_io() const noexcept { return *shared_; }
  const std::shared_ptr<Handle>& handle() const noexcept { return handle_; }

 private:
  Registration(std::shared_ptr<Handle> handle, eddy::detail::RefPtr<ScheduledIo> shared) noexcept
      : handle_(std::move(handle)), shared_(std::move(shared)) {}

  std::shared_ptr<Handle> handle_;
  eddy::detail::RefPtr<ScheduledIo> shared_;
};

}  // namespace eddy::io
