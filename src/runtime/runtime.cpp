#include "eddy/runtime.hpp"

#include <cstdio>

#include "eddy/detail/fatal.hpp"
#include "runtime/driver_stack.hpp"
#include "runtime/runtime_shared.hpp"
#include "signal/signal_handle.hpp"
#include "time/time_handle.hpp"

namespace eddy {

namespace detail {

TaskHeader* spawn_root(RuntimeShared& rt, std::coroutine_handle<> root) { return rt.spawn(root); }

void block_on_root(Runtime& runtime, TaskHeader& main) {
  runtime.handle().shared().run_until(runtime.driver(), main);
}

RuntimeShared* current_runtime() noexcept { return context().runtime; }

void no_runtime(const char* what) noexcept {
  static thread_local char buf[256];
  std::snprintf(buf, sizeof buf, "%s called outside of an eddy runtime (use Runtime::block_on)", what);
  fatal(buf);
}

void YieldNow::await_suspend(std::coroutine_handle<> h) noexcept {
  TaskHeader& task = current_task_or_die("eddy::yield_now()");
  task.set_resume_point(h);
  if (RuntimeShared* rt = context().runtime) rt->defer(task.waker());
  else task.wake_by_ref();
}

}  // namespace detail

RuntimeHandle RuntimeHandle::current() {
  detail::RuntimeShared* rt = detail::current_runtime();
  if (rt == nullptr) detail::no_runtime("eddy::RuntimeHandle::current()");
  return RuntimeHandle(rt->shared_from_this());
}

std::optional<RuntimeHandle> RuntimeHandle::try_current() {
  detail::RuntimeShared* rt = detail::current_runtime();
  if (rt == nullptr) return std::nullopt;
  return RuntimeHandle(rt->shared_from_this());
}

const std::shared_ptr<io::Handle>& RuntimeHandle::io_handle() const noexcept {
  return shared_->unparker().io();
}

Result<Runtime> Builder::build() {
  if (start_paused_ && !enable_time_) return std::make_error_code(std::errc::invalid_argument);
  std::optional<io::Driver> io;
  if (enable_io_) {
    auto d = io::Driver::create(max_io_events_);
    if (!d) return d.error();
    io.emplace(std::move(*d));
  }
  auto park = std::make_shared<detail::ParkThread>();
  std::shared_ptr<io::Handle> io_handle = io ? io->handle() : nullptr;
  std::shared_ptr<detail::TimeHandle> time;
  if (enable_time_) time = std::make_shared<detail::TimeHandle>(detail::Unparker(io_handle, park), start_paused_);
  std::shared_ptr<detail::SignalHandle> signal;
  if (io_handle) signal = std::make_shared<detail::SignalHandle>(io_handle);
  auto shared = std::make_shared<detail::RuntimeShared>(
      detail::SchedulerConfig{event_interval_, global_queue_interval_},
      detail::Unparker(std::move(io_handle), park, time, signal));
  auto stack = std::make_unique<detail::DriverStack>(std::move(io), std::move(park), std::move(time), std::move(signal));
  return Runtime(RuntimeHandle(std::move(shared)), std::move(stack));
}

Runtime::Runtime(RuntimeHandle handle, std::unique_ptr<detail::DriverStack> driver) noexcept
    : handle_(std::move(handle)), driver_(std::move(driver)) {}

Runtime::Runtime(Runtime&&) noexcept = default;

Runtime::~Runtime() {
  if (driver_) shutdown();
}

void Runtime::shutdown() {
  if (!driver_ || handle_.shared().is_shutdown()) return;
  handle_.shared().shutdown(*driver_);
}

}  // namespace eddy
