// The current-thread runtime: Builder, Runtime, RuntimeHandle, spawn and yield_now.
//
// A Runtime runs its tasks on the thread that calls block_on. Tasks may be spawned and woken
// from any thread (they are queued for the runtime's thread and the driver is unparked).
//
// Shutdown (destroying the Runtime): every task's coroutine frame is destroyed (their awaiters
// unlink, their JoinHandles report Error::cancelled), then the I/O driver shuts down, waking any
// I/O still waiting anywhere with Error::shutdown.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>

#include "eddy/detail/context.hpp"
#include "eddy/detail/scheduler.hpp"
#include "eddy/detail/task_header.hpp"
#include "eddy/io/metrics.hpp"
#include "eddy/join_handle.hpp"
#include "eddy/result.hpp"
#include "eddy/runtime_metrics.hpp"
#include "eddy/task.hpp"
#include "eddy/time/instant.hpp"
#include "eddy/yield_now.hpp"

namespace eddy {

namespace io {
class Handle;  // the I/O driver's shared handle: opaque outside the library
}
namespace time {
class Sleep;
}

class Runtime;

// Where eddy::fs runs file operations (Builder::file_backend).
enum class FileBackend : std::uint8_t {
  // io_uring when the kernel allows it, else the blocking pool (the refusal is counted in
  // IoDriverMetrics::uring_fallback_count, kept in RuntimeHandle::uring_refusal, and passed
  // once to Builder::on_uring_fallback). Without enable_io: the blocking pool.
  automatic,
  // io_uring; Builder::build fails with the kernel's refusal (ENOSYS, EPERM, ENOMEM...) instead
  // of falling back. Needs enable_io (build fails with invalid_argument otherwise). On the
  // multi-thread runtime: rings shared by the workers (docs/io-uring.md, "The multi-thread runtime").
  io_uring,
  // always the blocking pool (spawn_blocking); no ring is made.
  blocking_pool,
};

// How stream sockets (TCP, Unix) do their I/O (Builder::io_backend). docs/io-uring.md, "Sockets".
enum class IoBackend : std::uint8_t {
  // io_uring completion mode when the kernel allows it (ring, RECV/SEND/ACCEPT opcodes and
  // provided-buffer rings), else epoll readiness; a refusal is reported once, like
  // FileBackend::automatic's. The multi-thread runtime: epoll (completion mode there, on rings
  // the workers share, measured slower than epoll; io_uring asks for it).
  automatic,
  // epoll readiness (edge-triggered), for every socket.
  epoll,
  // io_uring completion mode for streams (multishot accept, multishot recv into provided buffers,
  // send); build() fails with the kernel's refusal. Needs enable_io (invalid_argument
  // otherwise). On the multi-thread runtime a socket made on a worker joins that worker's
  // shared ring (docs/io-uring.md, "The multi-thread runtime"); one made on a thread outside
  // the runtime stays on epoll. UDP and Unix datagram sockets, connect and the readiness API
  // stay on epoll in this mode.
  io_uring,
};

namespace detail {
class RuntimeScheduler;
}  // namespace detail

// Which kind of scheduler a runtime has (tokio's RuntimeFlavor).
enum class RuntimeFlavor : std::uint8_t {
  current_thread,  // every task on the thread that calls block_on
  multi_thread,    // tasks on worker threads that steal work from each other
};

// Makes a runtime current on the calling thread until the guard is destroyed, without running
// it: spawn(), RuntimeHandle::current(), and the sockets, timers and signals created on this
// thread use that runtime (a task spawned so runs when the runtime's own thread next runs
// tasks). Guards nest; each restores, when destroyed, the runtime that was current before it,
// so destroy them in reverse order, on the thread that made them. Keeps the runtime's shared
// handle alive while it exists (not the Runtime itself: dropping the Runtime still shuts it
// down).
class [[nodiscard]] EnterGuard {
 public:
  EnterGuard(const EnterGuard&) = delete;
  EnterGuard& operator=(const EnterGuard&) = delete;
  ~EnterGuard() { detail::context().handle = previous_; }

 private:
  friend class RuntimeHandle;
  explicit EnterGuard(std::shared_ptr<detail::Scheduler> scheduler) noexcept
      : scheduler_(std::move(scheduler)), previous_(detail::context().handle) {
    detail::context().handle = scheduler_.get();
  }
  std::shared_ptr<detail::Scheduler> scheduler_;
  detail::Scheduler* previous_;
};

// A cheap, copyable, thread-safe reference to a runtime.
class RuntimeHandle {
 public:
  // The runtime current on this thread (running here, or entered with enter()); aborts with a
  // clear message outside one.
  static RuntimeHandle current();
  static std::optional<RuntimeHandle> try_current();

  // Makes this runtime current on the calling thread while the guard lives (see EnterGuard).
  EnterGuard enter() const noexcept { return EnterGuard(scheduler_); }

  // Spawns `task` on the runtime; it starts when the runtime's thread next runs tasks.
  template <class T>
  JoinHandle<T> spawn(Task<T> task) const {
    return JoinHandle<T>(scheduler_->spawn_task<T>(task.release()));
  }

  // The I/O driver's handle (opaque: for AsyncFd::create and the socket types' from_std), or
  // null when the runtime was built without I/O.
  const std::shared_ptr<io::Handle>& io_handle() const noexcept { return scheduler_->driver().io; }

  // Where this runtime's file operations run: io_uring or blocking_pool (never automatic).
  FileBackend file_backend() const noexcept;
  // How this runtime's stream sockets do their I/O: epoll or io_uring (never automatic).
  IoBackend io_backend() const noexcept;
  // Why io_uring was refused, when the runtime asked for it and fell back (else empty).
  std::error_code uring_refusal() const noexcept;
  // The scheduler's counters now (see eddy/runtime_metrics.hpp).
  RuntimeMetrics metrics() const;
  // Which kind of runtime this is.
  RuntimeFlavor runtime_flavor() const noexcept;

  // The I/O driver's counters, or null when the runtime was built without I/O.
  const io::IoDriverMetrics* io_metrics() const noexcept;
  // Resources registered with the I/O driver right now (0 without I/O; deregistered ones leave
  // at the driver's next turn).
  std::size_t io_registration_count() const noexcept;

 private:
  friend class Runtime;
  friend class Builder;
  friend class time::Sleep;
  explicit RuntimeHandle(std::shared_ptr<detail::Scheduler> scheduler) noexcept : scheduler_(std::move(scheduler)) {}
  std::shared_ptr<detail::Scheduler> scheduler_;
};

class Builder {
 public:
  // Every task runs on the thread that calls block_on.
  static Builder new_current_thread() { return Builder(); }
  // Tasks run on worker_threads() worker threads that steal work from each other; block_on
  // waits on the calling thread while a worker runs the task. With start_paused, the clock
  // auto-advances only when every worker is parked and no task is queued.
  static Builder new_multi_thread() {
    Builder b;
    b.multi_thread_ = true;
    return b;
  }

  // --- multi-thread runtime only (ignored by the current-thread one) ---

  // Worker threads. Default (or 0): the number of CPUs this process may run on.
  Builder& worker_threads(std::size_t n) {
    worker_threads_ = n;
    return *this;
  }
  // The worker threads' name (at most 15 characters are kept). Default "eddy-worker".
  Builder& thread_name(std::string name) {
    thread_name_ = std::move(name);
    return *this;
  }
  // The worker threads' stack size in bytes. Default (or 0): the system's.
  Builder& thread_stack_size(std::size_t bytes) {
    thread_stack_size_ = bytes;
    return *this;
  }
  // Called on each worker thread when it starts (inside the runtime's context) and when it
  // stops.
  Builder& on_thread_start(std::function<void()> f) {
    on_thread_start_ = std::move(f);
    return *this;
  }
  Builder& on_thread_stop(std::function<void()> f) {
    on_thread_stop_ = std::move(f);
    return *this;
  }

  // Most threads running spawn_blocking functions at once. Default 64 (0 counts as 1).
  Builder& max_blocking_threads(std::size_t n) {
    max_blocking_threads_ = n;
    return *this;
  }

  // Enables the I/O driver (needed by AsyncFd and the socket types).
  Builder& enable_io() {
    enable_io_ = true;
    return *this;
  }
  // Enables the time driver (eddy::time: sleep, timeout, interval).
  Builder& enable_time() {
    enable_time_ = true;
    return *this;
  }
  // Enables every driver.
  Builder& enable_all() { return enable_io().enable_time(); }
  // Starts the runtime with its clock paused (see eddy/time/clock.hpp). Needs enable_time():
  // build() fails with std::errc::invalid_argument otherwise.
  Builder& start_paused(bool paused) {
    start_paused_ = paused;
    return *this;
  }
  // Tasks run between two non-blocking polls of the driver (fairness between I/O and busy
  // tasks). Default 61.
  Builder& event_interval(std::uint32_t n) {
    event_interval_ = n == 0 ? 1 : n;
    return *this;
  }
  // Tasks run between two looks at the queue of tasks woken from other threads. Default 31.
  Builder& global_queue_interval(std::uint32_t n) {
    global_queue_interval_ = n == 0 ? 1 : n;
    return *this;
  }
  // Most I/O events dispatched per driver turn. Default 1024.
  Builder& max_io_events_per_tick(std::size_t n) {
    max_io_events_ = n == 0 ? 1 : n;
    return *this;
  }

  // Where eddy::fs runs (see FileBackend). Default automatic.
  Builder& file_backend(FileBackend b) {
    file_backend_ = b;
    return *this;
  }
  // How stream sockets do their I/O (see IoBackend). Default epoll: completion mode is opt-in
  // (automatic or io_uring) while it is new.
  Builder& io_backend(IoBackend b) {
    io_backend_ = b;
    return *this;
  }
  // Provided buffers for io_uring socket mode's multishot recv, shared by every connection of
  // the runtime: `count` (a power of two, at most 32768) buffers of `size` bytes. Default 1024
  // of 4 KiB (mapped at build, resident only once the kernel fills them).
  Builder& uring_recv_buffers(unsigned count, unsigned size) {
    uring_recv_buffers_ = count;
    uring_recv_buffer_size_ = size;
    return *this;
  }
  // Called once, from build(), when io_uring was asked for (automatic) and the kernel refused
  // it, with the refusal; the runtime then uses epoll and the blocking pool.
  Builder& on_uring_fallback(std::function<void(std::error_code)> hook) {
    on_uring_fallback_ = std::move(hook);
    return *this;
  }
  // Submission entries of the ring (the completion queue gets twice as many). Default 256.
  Builder& uring_entries(unsigned n) {
    uring_entries_ = n == 0 ? 1 : n;
    return *this;
  }
  // Multi-thread runtime: its io_uring rings for files, each with its own lock (worker i uses ring i % n).
  // 0 (default) or 1: one shared by all workers (measured faster on 2 CPUs, docs/io-uring.md); the worker
  // count: a ring per worker (to measure again on more CPUs, bench/fs_bench.cpp). Current-thread: ignored.
  Builder& uring_rings(unsigned n) {
    uring_rings_ = n;
    return *this;
  }
  // Test seams: make the ring's setup fail with errno `err` (ENOSYS, EPERM, ENOMEM as a kernel
  // without io_uring, a seccomp filter or a locked-memory limit would), or the opcode probe
  // report `opcode` (an IORING_OP_* number) missing. 0 / -1: no refusal.
  Builder& uring_refuse_setup_for_test(int err) {
    uring_refuse_setup_ = err;
    return *this;
  }
  Builder& uring_refuse_opcode_for_test(int opcode) {
    uring_refuse_opcode_ = opcode;
    return *this;
  }

  Result<Runtime> build();

 private:
  friend class Runtime;
  FileBackend file_backend_ = FileBackend::automatic;
  IoBackend io_backend_ = IoBackend::epoll;
  unsigned uring_recv_buffers_ = 1024;
  unsigned uring_recv_buffer_size_ = 4096;
  std::function<void(std::error_code)> on_uring_fallback_;
  unsigned uring_entries_ = 256;
  unsigned uring_rings_ = 0;
  int uring_refuse_setup_ = 0;
  int uring_refuse_opcode_ = -1;
  bool enable_io_ = false;
  bool enable_time_ = false;
  bool start_paused_ = false;
  std::uint32_t event_interval_ = 61;
  std::uint32_t global_queue_interval_ = 31;
  std::size_t max_io_events_ = 1024;  // the I/O driver's default (io::Driver::kDefaultEvents)
  bool multi_thread_ = false;
  std::size_t worker_threads_ = 0;
  std::size_t max_blocking_threads_ = 64;  // BlockingPool::kDefaultMaxThreads
  std::size_t thread_stack_size_ = 0;
  std::string thread_name_ = "eddy-worker";
  std::function<void()> on_thread_start_;
  std::function<void()> on_thread_stop_;
};

class Runtime {
 public:
  Runtime(Runtime&&) noexcept;
  Runtime& operator=(Runtime&&) = delete;
  Runtime(const Runtime&) = delete;
  ~Runtime();

  // Runs `task` to completion on this thread, running every other task of the runtime
  // meanwhile, and returns its value (rethrowing its exception). Not reentrant.
  template <class T>
  T block_on(Task<T> task) {
    JoinHandle<T> main(handle_.scheduler_->spawn_task<T>(task.release()));
    block_on_root(*main.header());
    auto r = main.take();  // rethrows the task's exception
    // Only an abort() of the main task through a copy of its header gets here without a value.
    if (!r) throw std::system_error(r.error(), "eddy::Runtime::block_on");
    if constexpr (!std::is_void_v<T>) return std::move(*r);
  }

  template <class T>
  JoinHandle<T> spawn(Task<T> task) {
    return handle_.spawn(std::move(task));
  }

  const RuntimeHandle& handle() const noexcept { return handle_; }

  // Makes this runtime current on the calling thread while the guard lives (see EnterGuard).
  EnterGuard enter() const noexcept { return handle_.enter(); }

  // Shuts down now (see the file comment), then waits for every blocking function that is
  // running (spawn_blocking); queued ones never run. Also run by the destructor. Called from
  // inside one of this runtime's own tasks it aborts with a message (it would destroy the
  // caller's frame and wait for its own thread). Later calls (and the destructor) do nothing.
  void shutdown();
  // shutdown(), but waits at most `d` for the blocking functions still running: those that
  // outlive it go on running on threads left behind, their results dropped, and the Runtime
  // returns (tokio's shutdown_timeout). Nothing they touch after their function is freed
  // under them. Zero or negative means not at all; `d` saturates (hours::max() waits for ever).
  template <class Rep, class Period>
  void shutdown_timeout(std::chrono::duration<Rep, Period> d) {
    shutdown_within(time::saturating_duration(d));
  }
  // shutdown_timeout(0): returns without waiting for any blocking function (tokio's
  // shutdown_background).
  void shutdown_background() { shutdown_within(std::chrono::nanoseconds::zero()); }

 private:
  friend class Builder;
  Runtime(RuntimeHandle handle, std::unique_ptr<detail::RuntimeScheduler> scheduler) noexcept;
  void block_on_root(detail::TaskHeader& main);
  void shutdown_within(std::chrono::nanoseconds blocking_wait);

  RuntimeHandle handle_;
  std::unique_ptr<detail::RuntimeScheduler> scheduler_;
};

// Spawns `task` on the current runtime (aborts with a clear message outside one).
template <class T>
JoinHandle<T> spawn(Task<T> task) {
  return JoinHandle<T>(detail::current_scheduler_or_die("eddy::spawn").spawn_task<T>(task.release()));
}

}  // namespace eddy
