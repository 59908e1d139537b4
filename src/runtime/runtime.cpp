#include "eddy/runtime.hpp"

#include "eddy/detail/fatal.hpp"
#include "eddy/time/sleep.hpp"
#include "runtime/blocking_pool.hpp"
#include "io/driver.hpp"
#include <sched.h>

#include "runtime/current_thread.hpp"
#include "runtime/multi_thread.hpp"
#include "runtime/driver.hpp"
#include "time/current.hpp"

namespace eddy {

RuntimeHandle RuntimeHandle::current() {
  return RuntimeHandle(detail::current_scheduler_shared_or_die("eddy::RuntimeHandle::current()")->shared_from_this());
}

std::optional<RuntimeHandle> RuntimeHandle::try_current() {
  detail::SchedulerShared* s = detail::current_scheduler_shared();
  if (s == nullptr) return std::nullopt;
  return RuntimeHandle(s->shared_from_this());
}

RuntimeMetrics RuntimeHandle::metrics() const {
  return static_cast<const detail::SchedulerShared*>(scheduler_.get())->metrics();
}

RuntimeFlavor RuntimeHandle::runtime_flavor() const noexcept {
  return static_cast<const detail::SchedulerShared*>(scheduler_.get())->flavor();
}

const io::IoDriverMetrics* RuntimeHandle::io_metrics() const noexcept {
  const auto& io = scheduler_->driver().io;
  return io ? &io->metrics() : nullptr;
}

FileBackend RuntimeHandle::file_backend() const noexcept {
  const auto& io = scheduler_->driver().io;
  return io && io->files_on_ring() ? FileBackend::io_uring : FileBackend::blocking_pool;
}

IoBackend RuntimeHandle::io_backend() const noexcept {
  const auto& io = scheduler_->driver().io;
  return io && io->sockets_on_ring() ? IoBackend::io_uring : IoBackend::epoll;
}

std::error_code RuntimeHandle::uring_refusal() const noexcept {
  const auto& io = scheduler_->driver().io;
  return io ? io->uring_refusal() : std::error_code();
}

std::size_t RuntimeHandle::io_registration_count() const noexcept {
  const auto& io = scheduler_->driver().io;
  return io ? io->registration_count() : 0;
}

namespace {
// The CPUs this process may run on (its affinity mask), at least 1.
std::size_t available_cpus() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  const int n = CPU_COUNT(&set);
  return n > 0 ? static_cast<std::size_t>(n) : 1;
}
}  // namespace

Result<Runtime> Builder::build() {
  if (start_paused_ && !enable_time_) return std::make_error_code(std::errc::invalid_argument);
  detail::driver::Config config;
  config.enable_io = enable_io_;
  config.enable_time = enable_time_;
  config.start_paused = start_paused_;
  config.max_io_events = max_io_events_;
  config.shared_by_threads = multi_thread_;
  if (file_backend_ == FileBackend::io_uring && !enable_io_) return std::make_error_code(std::errc::invalid_argument);
  if (io_backend_ == IoBackend::io_uring && !enable_io_) return std::make_error_code(std::errc::invalid_argument);
  const std::size_t workers = worker_threads_ != 0 ? worker_threads_ : available_cpus();
  const bool ring_files = enable_io_ && file_backend_ != FileBackend::blocking_pool;
  // `automatic` means epoll on the multi-thread runtime: its shared rings measured slower than
  // epoll there (docs/io-uring.md, "The multi-thread runtime"); io_uring is asked for by name.
  const bool ring_sockets = enable_io_ && (io_backend_ == IoBackend::io_uring ||
                                           (io_backend_ == IoBackend::automatic && !multi_thread_));
  if (ring_files || ring_sockets) {
    const bool required = file_backend_ == FileBackend::io_uring || io_backend_ == IoBackend::io_uring;
    config.uring = required ? io::UringMode::required : io::UringMode::fallback;
    config.uring_config.files = ring_files;
    config.uring_config.sockets = ring_sockets;
    config.uring_config.sockets_required = io_backend_ == IoBackend::io_uring;
    config.uring_config.recv_buffers = uring_recv_buffers_;
    config.uring_config.recv_buffer_size = uring_recv_buffer_size_;
    config.uring_config.entries = uring_entries_;
    config.uring_config.refuse_setup = uring_refuse_setup_;
    config.uring_config.refuse_opcode = uring_refuse_opcode_;
    // The multi-thread runtime: shared-mode rings, by default one for all workers (measured
    // faster than a ring per worker here: docs/io-uring.md, "The multi-thread runtime").
    if (multi_thread_) config.uring_config.rings = uring_rings_ != 0 ? uring_rings_ : 1;
  }
  auto stack = detail::driver::Driver::create(config);
  if (!stack) return stack.error();
  if (const auto& io = stack->second.io; io && io->uring_refusal() && on_uring_fallback_) {
    on_uring_fallback_(io->uring_refusal());
  }
  const detail::SchedulerConfig sched{event_interval_, global_queue_interval_};
  if (multi_thread_) {
    detail::MultiThreadConfig mt;
    mt.sched = sched;
    mt.workers = workers;
    mt.max_blocking_threads = max_blocking_threads_;
    mt.thread_name = thread_name_;
    mt.thread_stack_size = thread_stack_size_;
    mt.on_thread_start = on_thread_start_;
    mt.on_thread_stop = on_thread_stop_;
    auto handle = std::make_shared<detail::MultiThreadHandle>(mt, std::move(stack->second), std::move(stack->first));
    auto scheduler = detail::MultiThread::start(handle, mt);
    if (!scheduler) return scheduler.error();
    return Runtime(RuntimeHandle(std::move(handle)), std::move(*scheduler));
  }
  auto handle = std::make_shared<detail::CurrentThreadHandle>(sched, std::move(stack->second), max_blocking_threads_);
  auto core = std::make_unique<detail::CurrentThreadCore>(sched, std::move(stack->first));
  auto scheduler = std::make_unique<detail::CurrentThread>(handle, std::move(core));
  return Runtime(RuntimeHandle(std::move(handle)), std::move(scheduler));
}

Runtime::Runtime(RuntimeHandle handle, std::unique_ptr<detail::RuntimeScheduler> scheduler) noexcept
    : handle_(std::move(handle)), scheduler_(std::move(scheduler)) {}

Runtime::Runtime(Runtime&&) noexcept = default;

Runtime::~Runtime() {
  if (scheduler_) shutdown();
}

void Runtime::shutdown() { shutdown_within(detail::BlockingPool::kWaitForever); }

void Runtime::shutdown_within(std::chrono::nanoseconds blocking_wait) {
  if (!scheduler_) return;  // moved from
  if (detail::context().scheduler == handle_.scheduler_.get()) {
    // Shutting down destroys every task's frame, the caller's among them, and would wait for
    // the thread it runs on.
    detail::fatal("eddy::Runtime shut down or dropped from inside one of its own tasks");
  }
  scheduler_->shutdown(blocking_wait);
}

void Runtime::block_on_root(detail::TaskHeader& main) { scheduler_->block_on(main); }

// Sleep's RuntimeHandle constructor lives with RuntimeHandle: the time layer sits below the
// runtime and does not see it.
time::Sleep::Sleep(const RuntimeHandle& rt, Instant deadline) noexcept
    : Sleep(detail::time_handle_of(rt.scheduler_->driver(), "eddy::time::Sleep"), deadline) {}

}  // namespace eddy
static_assert(eddy::io::Driver::kDefaultEvents == 1024, "Builder's default max_io_events_ (eddy/runtime.hpp) is the driver's default");
