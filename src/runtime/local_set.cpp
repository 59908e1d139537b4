// LocalSet: polling a set's tasks on the thread that drives it, wakes from anywhere, and its
// destruction. See src/runtime/local_set.hpp for who touches what.
#include "runtime/local_set.hpp"

#include <optional>

#include "eddy/coop.hpp"
#include "eddy/detail/context.hpp"
#include "eddy/detail/fatal.hpp"
#include "eddy/local_set.hpp"
#include "runtime/scheduler.hpp"
#include "util/park_thread.hpp"

namespace eddy::detail {

namespace {
constinit thread_local LocalSetShared* tls_local_set = nullptr;

bool on_multi_thread_worker() noexcept {
  const Context& ctx = context();
  return ctx.scheduler != nullptr &&
         static_cast<const SchedulerShared*>(ctx.scheduler)->flavor() == RuntimeFlavor::multi_thread;
}
}  // namespace

LocalSetShared*& current_local_set() noexcept { return tls_local_set; }

LocalSetShared::~LocalSetShared() {
  // close() ran (LocalSet's destructor); a wake racing with it may have queued a task before
  // closed_ was set and after the drain: impossible, the drain and closed_ share the lock.
  while (TaskHeader* t = remote_.pop()) t->unref();
}

void LocalSetShared::schedule(TaskHeader* task) noexcept {
  // On the driving thread, while the set polls: its own queue, no lock.
  if (tls_local_set == this) {
    local_.push(task);
    return;
  }
  // Once queued the task may run and drop the last reference to this object: keep it alive.
  const std::shared_ptr<LocalSetShared> self = shared_from_this();
  Waker w;
  {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    if (!closed_) {
      remote_.push(task);
      task = nullptr;
      w = driver_waker_;
    }
  }
  if (task != nullptr) {
    task->unref();  // the set is gone: the task is complete
    return;
  }
  w.wake();
}

TaskHeader* LocalSetShared::spawn(TaskHeader* task) {
  task->bind(std::static_pointer_cast<TaskScheduler>(shared_from_this()));
  bool accepted = false;
  {
    sync::LockGuard<sync::Mutex> lock(owned_mutex_);
    if (!owned_closed_) {
      task->ref();  // the owned list's
      owned_.push_back(*task);
      accepted = true;
    }
  }
  if (!accepted) {
    task->destroy_frame();
    task->set_complete(true);
    return task;
  }
  task->wake_by_ref();
  return task;
}

bool LocalSetShared::is_empty() noexcept {
  sync::LockGuard<sync::Mutex> lock(owned_mutex_);
  return owned_.empty();
}

bool LocalSetShared::poll(TaskHeader* main, const Waker& waker) {
  const std::thread::id me = std::this_thread::get_id();
  std::thread::id expected{};
  if (!owner_.compare_exchange_strong(expected, me) && expected != me) {
    fatal("eddy::LocalSet driven from a second thread (its tasks only ever run on the first)");
  }
  if (on_multi_thread_worker()) {
    fatal("eddy::LocalSet driven from a task of the multi-thread runtime (the task may move between "
          "threads); use LocalSet::block_on(runtime, task)");
  }
  {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    driver_waker_ = waker;
    local_.append(remote_);
  }
  LocalSetShared* const outer = std::exchange(tls_local_set, this);
  for (std::size_t n = 0; n < LocalSet::kTasksPerTick; ++n) {
    TaskHeader* t = local_.pop();
    if (t == nullptr) {
      sync::LockGuard<sync::Mutex> lock(mutex_);
      local_.append(remote_);
      t = local_.pop();
    }
    if (t == nullptr) break;
    run_task(t);
    // run_until returns as soon as its task is done: the rest wait for the next drive.
    if (main != nullptr && main->is_complete()) break;
  }
  tls_local_set = outer;
  if (main != nullptr ? main->is_complete() : is_empty()) {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    driver_waker_ = Waker();  // no more spurious wakes for the driver
    return true;
  }
  bool more;
  {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    more = !local_.empty() || !remote_.empty();
  }
  if (more) {
    // Ready tasks left after a full tick: poll again once the thread's other tasks and its
    // driver had their turn (a task's yield), or at once (a thread driving only the set).
    Context& ctx = context();
    if (ctx.scheduler != nullptr && ctx.task != nullptr) ctx.scheduler->defer(waker);
    else waker.wake_by_ref();
  }
  return false;
}

void LocalSetShared::run_task(TaskHeader* task) noexcept {
  const std::uint32_t prev = task->transition_to_running();
  if ((prev & TaskHeader::kCancelled) != 0) {
    complete(task, true);
    task->unref();
    return;
  }
  // The set is polled from inside another task's poll (or from block_on's thread): that task
  // and its budget come back after this one.
  Context& ctx = context();
  TaskHeader* const outer_task = ctx.task;
  const std::uint32_t outer_budget = ctx.budget;
  ctx.task = task;
  ctx.budget = coop::kInitialBudget;
  task->run();
  ctx.task = outer_task;
  ctx.budget = outer_budget;
  if (task->frame().done()) {
    complete(task, false);
    task->unref();
  } else if (task->transition_to_idle()) {
    local_.push(task);  // woken or aborted while running: keeps the queue's reference
  } else {
    task->unref();
  }
}

void LocalSetShared::complete(TaskHeader* task, bool cancelled) noexcept {
  if (cancelled) task->destroy_frame();
  else task->finish_frame();
  task->set_complete(cancelled);
  bool was_owned;
  {
    sync::LockGuard<sync::Mutex> lock(owned_mutex_);
    was_owned = owned_.remove(*task);
  }
  task->wake_join();
  if (was_owned) task->unref();
}

void LocalSetShared::close() noexcept {
  {
    sync::LockGuard<sync::Mutex> lock(owned_mutex_);
    owned_closed_ = true;
  }
  // A frame's destructors may wake or drop other tasks of the set: no lock held while one runs.
  for (;;) {
    TaskHeader* t;
    {
      sync::LockGuard<sync::Mutex> lock(owned_mutex_);
      t = owned_.pop_front();
    }
    if (t == nullptr) break;
    t->destroy_frame();
    t->set_complete(true);
    t->wake_join();
    t->unref();  // the owned list's
  }
  TaskQueue rest;
  Waker w;
  {
    sync::LockGuard<sync::Mutex> lock(mutex_);
    closed_ = true;  // later wakes drop their reference themselves
    rest.append(remote_);
    w = std::move(driver_waker_);
  }
  rest.append(local_);
  while (TaskHeader* t = rest.pop()) t->unref();
}

// --- the public entry points (include/eddy/local_set.hpp) ----------------------------------

TaskHeader* local_set_spawn(LocalSetShared& set, TaskHeader* task) { return set.spawn(task); }

TaskHeader* spawn_local_task(TaskHeader* task) {
  if (LocalSetShared* set = tls_local_set) return set->spawn(task);
  const Context& ctx = context();
  if (ctx.scheduler != nullptr && !on_multi_thread_worker()) return ctx.scheduler->spawn(task);
  fatal("eddy::spawn_local called outside a LocalSet and outside a current-thread runtime's thread "
        "(on the multi-thread runtime, spawn into a LocalSet)");
}

bool local_set_poll(LocalSetShared& set, TaskHeader* main, const Waker& waker) { return set.poll(main, waker); }

namespace {
struct DriveAwaiter : PollAwaiter<DriveAwaiter, bool> {
  DriveAwaiter(LocalSetShared* s, TaskHeader* m) noexcept : set(s), main(m) {}
  Poll<bool> poll(const Waker& waker) noexcept {
    if (set->poll(main, waker)) return true;
    return Pending;
  }
  LocalSetShared* set;
  TaskHeader* main;
};
}  // namespace

Task<void> local_set_drive(std::shared_ptr<LocalSetShared> set, TaskHeader* main) {
  co_await DriveAwaiter(set.get(), main);
}

void local_set_drive_blocking(LocalSetShared& set, TaskHeader& main) {
  if (context().scheduler != nullptr) {
    fatal("eddy::LocalSet::block_on called from a runtime's thread (it would block that thread)");
  }
  // The waker keeps the parker alive on its own: a wake may come after this function returned.
  struct Parker {
    sync::Atomic<std::uint32_t> refs{1};
    ParkThread park;
    void unref() noexcept {
      if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
  };
  static const WakerVTable vtable = {
      [](void* p) noexcept -> void* {
        static_cast<Parker*>(p)->refs.fetch_add(1, std::memory_order_relaxed);
        return p;
      },
      [](void* p) noexcept {
        static_cast<Parker*>(p)->park.unpark();
        static_cast<Parker*>(p)->unref();
      },
      [](void* p) noexcept { static_cast<Parker*>(p)->park.unpark(); },
      [](void* p) noexcept { static_cast<Parker*>(p)->unref(); },
  };
  auto* parker = new Parker();
  const Waker waker = Waker::from_raw(parker, &vtable);
  while (!set.poll(&main, waker)) parker->park.park(std::nullopt);
}

}  // namespace eddy::detail

namespace eddy {

LocalSet::LocalSet() : shared_(std::make_shared<detail::LocalSetShared>()) {}

LocalSet::~LocalSet() { shared_->close(); }

}  // namespace eddy
