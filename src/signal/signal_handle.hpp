// SignalHandle: one runtime's end of the process-wide signal registry.
//
// The first signal listener created on a runtime registers the runtime's own dup of the
// registry's read end with its I/O driver under the signal token (tokio dups too: one fd in
// several epoll sets misbehaved, tokio-process#42). Lazily, so that runtimes that never use
// signals spend no fd on them. After an I/O turn that saw the token, the driver calls process():
// drain the pipe, then broadcast to every listener in the process.
#pragma once

#include <memory>

#include "eddy/detail/sync.hpp"
#include "io/driver.hpp"
#include "eddy/result.hpp"

namespace eddy::detail {

class SignalHandle {
 public:
  explicit SignalHandle(std::weak_ptr<io::Handle> io) noexcept : io_(std::move(io)) {}
  SignalHandle(const SignalHandle&) = delete;
  SignalHandle& operator=(const SignalHandle&) = delete;
  ~SignalHandle();

  // Registers the receiver dup on first call; later calls return the first call's result.
  // Any thread.
  Result<void> ensure_registered() noexcept;

  // Drains the receiver and broadcasts. The runtime's thread, after a turn that saw the token.
  void process() noexcept;

 private:
  std::weak_ptr<io::Handle> io_;
  sync::Mutex mutex_;
  bool tried_ = false;             // guarded
  std::error_code error_;          // guarded
  sync::Atomic<int> receiver_{-1};  // the dup; read by process() without the lock
};

}  // namespace eddy::detail
