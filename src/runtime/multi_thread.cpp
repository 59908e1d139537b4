#include "runtime/multi_thread.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <system_error>
#include <thread>

#include "eddy/coop.hpp"
#include "eddy/detail/context.hpp"
#include "eddy/detail/fatal.hpp"
#include "eddy/join_handle.hpp"
#include "util/park_thread.hpp"

namespace eddy::detail {

MultiThreadHandle::MultiThreadHandle(const MultiThreadConfig& config, driver::Handle handle, driver::Driver stack)
    : SchedulerShared(std::move(handle), config.max_blocking_threads),
      config_(config.sched),
      idle_(config.workers),
      driver_(std::move(stack)) {
  remotes_.reserve(config.workers);
  for (std::size_t i = 0; i < config.workers; ++i) remotes_.push_back(std::make_unique<Remote>());
  if (const auto& io = driver().io) rings_ = io->ring_set();
  if (const auto& time = driver().time) {
    // A paused clock jumps to the next timer only when the whole runtime is idle: every worker
    // parked and nothing queued, not just the worker holding the driver.
    time->set_auto_advance_check(
        [](void* self) noexcept { return static_cast<MultiThreadHandle*>(self)->is_idle(); }, this);
  }
}

bool MultiThreadHandle::is_idle() const noexcept {
  // Called by the driver's holder (itself listed as parked). The queues are looked at before
  // the parked count, and that order is what makes a "yes" true: a runnable task is in the
  // injection queue, in a local queue, or held by a worker that is not listed as parked (its
  // LIFO slot or its poll; a driver turn's wakes go to the local queue, never the LIFO slot,
  // see schedule_local). A worker takes a task out of a queue only after unlisting itself, and
  // lists itself again only with nothing left locally; so if every queue was empty when looked
  // at and every worker is listed afterwards, no task became runnable in between except by a
  // wake from outside the workers, which races with the check anyway. Looking at the count
  // first let a worker unlist itself and pop between the two looks, and the clock jumped past
  // the task it popped.
  if (!inject_.is_empty()) return false;
  for (const auto& r : remotes_) {
    if (!r->queue.is_empty()) return false;
  }
  return idle_.all_parked();
}

MultiThreadHandle::~MultiThreadHandle() {
  if (const auto& time = driver().time) time->set_auto_advance_check(nullptr, nullptr);
  // finish_shutdown emptied every queue; a wake racing with it may have left a reference in
  // the (closed) injection queue only if it pushed before the close, which the close drained.
  TaskQueue rest;
  inject_.close(rest);
  while (TaskHeader* t = rest.pop()) t->unref();
}

// --- spawning and scheduling -----------------------------------------------------------------

TaskHeader* MultiThreadHandle::spawn(TaskHeader* task) {
  if (own_spawned(task)) task->wake_by_ref();
  return task;
}

void MultiThreadHandle::schedule_local(MtCore& core, TaskHeader* task) noexcept {
  bool notify;
  if (core.yielding || core.in_park) {
    // Woken by this worker's driver turn (or a yield): the local queue, where other workers can
    // steal it and where is_idle sees it. The LIFO slot would hide it while this worker is
    // still listed as parked, and a paused clock could then jump past it.
    push_back(core, task);
    notify = true;
  } else {
    // Message passing: the task just woken by the running one runs next, while what it woke
    // is likely still in cache.
    TaskHeader* prev = std::exchange(core.lifo, task);
    notify = prev != nullptr;
    if (prev != nullptr) push_back(core, prev);
  }
  // While parked (the driver delivering events) the worker notifies once, when it is back.
  if (notify && !core.in_park) notify_parked();
}

void MultiThreadHandle::schedule_remote(TaskHeader* task) noexcept {
  // Once the task is queued a worker may run it and drop the last reference to this object
  // (the runtime being destroyed meanwhile): keep it alive until we are done.
  const std::shared_ptr<SchedulerShared> self = shared_from_this();
  if (!inject_.push(task)) {
    task->unref();  // shut down: the task is complete (or about to be)
    return;
  }
  notify_parked();
}

void MultiThreadHandle::push_back(MtCore& core, TaskHeader* task) noexcept {
  Remote& r = *remotes_[core.index];
  TaskQueue overflow;
  if (const std::uint32_t n = r.queue.push_back(task, overflow); n != 0) {
    r.counters.bump(r.counters.overflows);
    inject_.push_batch(overflow, n);
  }
}

void MultiThreadHandle::defer(const Waker& waker) {
  // Only a task running on one of this runtime's workers defers (yield_now, coop). As in
  // tokio, the yielded task waits until this worker has tried the driver (it is not
  // stealable meanwhile: a worker stuck in a task that never yields traps it).
  static_cast<MtCore*>(context().core)->deferred.push_back(waker);
}

// --- finding work ----------------------------------------------------------------------------

TaskHeader* MultiThreadHandle::next_local(MtCore& core) noexcept {
  if (TaskHeader* t = std::exchange(core.lifo, nullptr)) return t;
  return remotes_[core.index]->queue.pop();
}

TaskHeader* MultiThreadHandle::take_injected_batch(MtCore& core) noexcept {
  if (inject_.is_empty()) return nullptr;
  // A fair share of the injection queue, bounded by the room in the local queue.
  LocalQueue& q = remotes_[core.index]->queue;
  const std::size_t room = std::min<std::size_t>(q.remaining_slots(), LocalQueue::kCapacity / 2);
  const std::size_t share = inject_.len() / remotes_.size() + 1;
  const std::size_t n = std::max<std::size_t>(1, std::min(room, share));
  TaskQueue batch;
  std::size_t moved;
  TaskHeader* first = inject_.pop_n(n, batch, moved);
  TaskQueue overflow;  // stays empty: at most `room` - 1 tasks are pushed
  while (TaskHeader* t = batch.pop()) q.push_back(t, overflow);
  return first;
}

TaskHeader* MultiThreadHandle::next_task(MtCore& core) noexcept {
  // Every global_queue_interval tasks, the injection queue first, so that tasks woken locally
  // cannot starve it.
  if (--core.global_countdown == 0) {
    core.global_countdown = config_.global_queue_interval;
    if (TaskHeader* t = inject_.pop()) return t;
  }
  if (TaskHeader* t = next_local(core)) return t;
  return take_injected_batch(core);
}

TaskHeader* MultiThreadHandle::steal_work(MtCore& core) noexcept {
  if (!core.is_searching) core.is_searching = idle_.transition_worker_to_searching();
  if (!core.is_searching) return nullptr;
  const std::size_t n = remotes_.size();
  // xorshift64: a random first victim, so that searchers spread out.
  core.rng ^= core.rng << 13;
  core.rng ^= core.rng >> 7;
  core.rng ^= core.rng << 17;
  const std::size_t start = static_cast<std::size_t>(core.rng % n);
  Remote& mine = *remotes_[core.index];
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t victim = (start + i) % n;
    if (victim == core.index) continue;
    std::uint32_t stolen = 0;
    if (TaskHeader* t = remotes_[victim]->queue.steal_into(mine.queue, stolen)) {
      mine.counters.bump(mine.counters.steals, stolen);
      mine.counters.bump(mine.counters.steal_operations);
      return t;
    }
  }
  return take_injected_batch(core);
}

// --- running ---------------------------------------------------------------------------------

void MultiThreadHandle::transition_from_searching(MtCore& core) noexcept {
  if (!core.is_searching) return;
  core.is_searching = false;
  // The last searcher found work: wake another to search on (there may be more).
  if (idle_.transition_worker_from_searching()) notify_parked();
}

bool MultiThreadHandle::run_task(MtCore& core, TaskHeader* task) noexcept {
  transition_from_searching(core);
  if (!poll(core, task)) return false;
  // The LIFO slot runs next, but only a few times in a row, so that two tasks pinging each
  // other cannot starve the queue.
  for (std::uint32_t lifo_polls = 0;;) {
    TaskHeader* t = std::exchange(core.lifo, nullptr);
    if (t == nullptr) return true;
    if (++lifo_polls > kMaxLifoPolls) {
      push_back(core, t);
      notify_parked();
      return true;
    }
    if (!poll(core, t)) return false;
  }
}

bool MultiThreadHandle::poll(MtCore& core, TaskHeader* task) noexcept {
  Remote& r = *remotes_[core.index];
  r.counters.bump(r.counters.polls);
  const std::uint32_t prev = task->transition_to_running();
  if ((prev & TaskHeader::kCancelled) != 0) {
    complete(task, true);
    task->unref();
    return true;
  }
  Context& ctx = context();
  ctx.task = task;
  ctx.budget = coop::kInitialBudget;
  task->run();
  ctx.task = nullptr;
  ctx.budget = kUnconstrained;
  // The task may have given the core away (block_in_place) and another thread may run it now:
  // from here on, touch `core` only if this thread still holds it.
  const bool kept = ctx.core == &core;
  // The frame is alive here: only complete() and shutdown destroy it, never a poll.
  if (task->frame().done()) {
    complete(task, false);
    task->unref();
  } else if (task->transition_to_idle()) {
    // Woken or aborted while running: keeps the queue's reference.
    if (kept) {
      push_back(core, task);
      notify_parked();
    } else {
      schedule_remote(task);
    }
  } else {
    task->unref();
  }
  return kept;
}

void MultiThreadHandle::complete(TaskHeader* task, bool cancelled) noexcept { complete_owned(task, cancelled); }

void MultiThreadHandle::run_worker(MtCore& core) {
  while (!is_shutdown()) {
    if (--core.event_countdown == 0) {
      // Maintenance: I/O and timers are not starved by busy tasks.
      core.event_countdown = config_.event_interval;
      park_timeout(core, std::chrono::nanoseconds(0));
      continue;
    }
    TaskHeader* t = next_task(core);
    if (t == nullptr) t = steal_work(core);
    if (t != nullptr) {
      if (!run_task(core, t)) return;  // the core went to another thread (block_in_place)
      continue;
    }
    // Nothing to run: yielded tasks wait only for one driver poll; otherwise sleep.
    if (!core.deferred.empty()) park_timeout(core, std::chrono::nanoseconds(0));
    else park(core);
  }
}

// --- block_in_place: handing a core to another thread ------------------------------------

bool MultiThreadHandle::hand_off_core(SchedulerCore& c) noexcept {
  auto& core = static_cast<MtCore&>(c);
  Context& ctx = context();
  if (ctx.core != &core || ctx.task == nullptr) return false;
  // The LIFO task would wait for the blocking function: make it stealable (as tokio does).
  if (TaskHeader* t = std::exchange(core.lifo, nullptr)) push_back(core, t);
  {
    sync::LockGuard<sync::Mutex> lock(handoff_mutex_);
    if (handoff_closed_ || starter_ == nullptr) return false;
    handoff_free_.push_back(&core);
    if (handoff_waiting_ < handoff_free_.size()) {
      if (!starter_->start_spare_thread()) {
        handoff_free_.pop_back();  // nobody could run it: keep it, run the function in place
        return false;
      }
      ++handoff_waiting_;  // the new thread, counted from now (acquire_core(true))
    } else {
      handoff_cv_.notify_one();
    }
  }
  // From here another thread may run `core`: this one no longer touches it. Its wakes go
  // through the injection queue, its yields wake at once.
  ctx.core = nullptr;
  ctx.scheduler = nullptr;
  // The handed-off queue may hold tasks: a parked worker may steal them before a thread takes
  // the core.
  notify_parked();
  return true;
}

void MultiThreadHandle::reclaim_core(SchedulerCore& c) noexcept {
  auto& core = static_cast<MtCore&>(c);
  {
    sync::LockGuard<sync::Mutex> lock(handoff_mutex_);
    auto it = std::find(handoff_free_.begin(), handoff_free_.end(), &core);
    if (it == handoff_free_.end()) return;  // taken: this thread goes on without a core
    handoff_free_.erase(it);
  }
  Context& ctx = context();
  ctx.core = &core;
  ctx.scheduler = this;
}

MtCore* MultiThreadHandle::acquire_core(bool counted) {
  sync::UniqueLock<sync::Mutex> lock(handoff_mutex_);
  if (!counted) ++handoff_waiting_;
  while (handoff_free_.empty() && !handoff_closed_) handoff_cv_.wait(lock);
  --handoff_waiting_;
  if (handoff_closed_) return nullptr;  // shutdown: finish_shutdown empties the cores left
  MtCore* core = handoff_free_.back();
  handoff_free_.pop_back();
  return core;
}

// --- parking ---------------------------------------------------------------------------------

bool MultiThreadHandle::has_tasks(const MtCore& core) const noexcept {
  return core.lifo != nullptr || !remotes_[core.index]->queue.is_empty();
}

void MultiThreadHandle::park(MtCore& core) {
  if (!transition_to_parked(core)) return;
  WorkerCounters& c = remotes_[core.index]->counters;
  c.bump(c.parks);
  // Busy time: from the end of the last park to this one (two clock reads per park, none per
  // task).
  const auto now = std::chrono::steady_clock::now();
  c.bump(c.busy_ns, static_cast<std::uint64_t>(
                        std::chrono::duration_cast<std::chrono::nanoseconds>(now - core.busy_since).count()));
  for (;;) {
    park_timeout(core, std::nullopt);
    if (is_shutdown()) break;
    if (transition_from_parked(core)) break;
  }
  core.busy_since = std::chrono::steady_clock::now();
}

bool MultiThreadHandle::transition_to_parked(MtCore& core) {
  if (has_tasks(core)) return false;
  const bool last_searcher = idle_.transition_worker_to_parked(core.index, core.is_searching);
  core.is_searching = false;
  // Notifiers skipped waking anyone because this worker was searching: look once more.
  if (last_searcher) notify_if_work_pending();
  return true;
}

bool MultiThreadHandle::transition_from_parked(MtCore& core) {
  if (has_tasks(core)) {
    // Woken by its own driver turn: unlist itself (if a notifier did it, it is searching).
    core.is_searching = !idle_.unpark_worker_by_id(core.index);
    return true;
  }
  if (idle_.is_parked(core.index)) return false;  // spurious: sleep again
  core.is_searching = true;  // picked by a notifier
  return true;
}

void MultiThreadHandle::park_timeout(MtCore& core, std::optional<std::chrono::nanoseconds> timeout) {
  Context& ctx = context();
  ctx.task = nullptr;
  ctx.budget = kUnconstrained;
  core.in_park = true;
  // This worker's file operations go to the kernel before it sleeps or polls (their waiters may
  // be the only work left); what completed inside that submit (a cached read) is reaped here, its
  // tasks queued locally. With tasks to run now, a blocking park is skipped.
  bool ring_retry = false;
  const bool ran_ring = rings_ != nullptr && rings_->flush_and_reap(core.index, ring_retry) != 0;
  if (ring_retry) [[unlikely]] {
    // The kernel refused a submit or a reap (Ring::must_retry): this worker must not sleep on
    // it. WorkerParker has no timed sleep, so: a non-blocking look at the driver, 1 ms off the
    // CPU, and back to the caller, which comes here again (and flushes again) if still idle.
    remotes_[core.index]->parker.park(driver_, std::chrono::nanoseconds(0));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  } else if (!(ran_ring && !timeout && has_tasks(core))) {
    remotes_[core.index]->parker.park(driver_, timeout);
  }
  core.in_park = false;
  // Yielded tasks run only now, after the driver has been polled (if it was free), at the back
  // of the local queue, where an idle worker may steal them.
  if (!core.deferred.empty()) {
    core.yielding = true;
    core.deferred_swap.swap(core.deferred);
    for (Waker& w : core.deferred_swap) w.wake();
    core.deferred_swap.clear();
    core.yielding = false;
  }
  // The driver may have queued several tasks here: let another worker take some.
  if (!core.is_searching) {
    const std::uint32_t queued = (core.lifo != nullptr ? 1u : 0u) + remotes_[core.index]->queue.len();
    if (queued > 1) notify_parked();
  }
}

void MultiThreadHandle::notify_parked() noexcept {
  const std::size_t w = idle_.worker_to_notify();
  if (w != Idle::kNone) {
    remotes_[w]->counters.unparks.fetch_add(1, std::memory_order_relaxed);
    remotes_[w]->parker.unpark(driver());
  }
}

void MultiThreadHandle::notify_all() noexcept {
  for (auto& r : remotes_) r->parker.unpark(driver());
}

void MultiThreadHandle::notify_if_work_pending() noexcept {
  for (auto& r : remotes_) {
    if (!r->queue.is_empty()) {
      notify_parked();
      return;
    }
  }
  if (!inject_.is_empty()) notify_parked();
}

RuntimeMetrics MultiThreadHandle::metrics() const {
  RuntimeMetrics m;
  m.workers = remotes_.size();
  m.injection_queue_depth = inject_.len();
  m.alive_tasks = alive_tasks();
  m.budget_forced_yields = budget_forced_yields();
  for (const auto& r : remotes_) {
    WorkerMetrics w;
    w.polls = r->counters.polls.load(std::memory_order_relaxed);
    w.steals = r->counters.steals.load(std::memory_order_relaxed);
    w.steal_operations = r->counters.steal_operations.load(std::memory_order_relaxed);
    w.parks = r->counters.parks.load(std::memory_order_relaxed);
    w.unparks = r->counters.unparks.load(std::memory_order_relaxed);
    w.overflows = r->counters.overflows.load(std::memory_order_relaxed);
    w.local_queue_depth = r->queue.len();
    w.busy_duration = std::chrono::nanoseconds(r->counters.busy_ns.load(std::memory_order_relaxed));
    m.worker.push_back(w);
  }
  return m;
}

// --- shutdown --------------------------------------------------------------------------------

void MultiThreadHandle::begin_shutdown() noexcept {
  close_owned();
  {
    sync::LockGuard<sync::Mutex> lock(handoff_mutex_);
    handoff_closed_ = true;  // no spare thread starts from now on
  }
  handoff_cv_.notify_all();
  notify_all();
}

void MultiThreadHandle::finish_shutdown(std::vector<std::unique_ptr<MtCore>>& cores,
                                        std::chrono::nanoseconds blocking_wait) {
  destroy_owned();  // no worker runs now
  for (auto& core : cores) {
    if (TaskHeader* t = std::exchange(core->lifo, nullptr)) t->unref();
    while (TaskHeader* t = remotes_[core->index]->queue.pop()) t->unref();
    core->deferred.clear();
  }
  // Close the injection queue: late wakes (other threads, the frames' destructors above) drop
  // their reference themselves from now on.
  TaskQueue rest;
  inject_.close(rest);
  while (TaskHeader* t = rest.pop()) t->unref();
  {
    sync::LockGuard<sync::Mutex> lock(driver_.mutex);
    driver_.driver.shutdown();
  }
  // Last: cancels queued blocking functions, waits (up to blocking_wait) for running ones.
  blocking_pool_.shutdown(blocking_wait);
}

// --- MultiThread -----------------------------------------------------------------------------

struct MultiThread::Thread {
  Thread(MultiThread* o, MtCore* c) noexcept : owner(o), core(c) {}
  MultiThread* owner;
  MtCore* core;  // the core it starts with; null for a spare thread (block_in_place)
  pthread_t id{};
  bool started = false;  // guarded by threads_mutex_
};

MultiThread::MultiThread(std::shared_ptr<MultiThreadHandle> handle, const MultiThreadConfig& config)
    : handle_(std::move(handle)),
      on_thread_start_(config.on_thread_start),
      on_thread_stop_(config.on_thread_stop),
      thread_name_(config.thread_name.substr(0, 15)),  // the kernel's limit
      thread_stack_size_(config.thread_stack_size) {}

int MultiThread::start_thread(Thread& th) noexcept {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  int rc = 0;
  if (thread_stack_size_ != 0) rc = pthread_attr_setstacksize(&attr, thread_stack_size_);
  if (rc == 0) rc = pthread_create(&th.id, &attr, &MultiThread::entry, &th);
  pthread_attr_destroy(&attr);
  if (rc == 0) th.started = true;
  return rc;
}

bool MultiThread::start_spare_thread() noexcept {
  sync::LockGuard<sync::Mutex> lock(threads_mutex_);
  try {
    threads_.push_back(std::make_unique<Thread>(this, nullptr));
  } catch (...) {
    return false;
  }
  if (start_thread(*threads_.back()) == 0) return true;
  threads_.pop_back();
  return false;
}

Result<std::unique_ptr<MultiThread>> MultiThread::start(std::shared_ptr<MultiThreadHandle> handle,
                                                         const MultiThreadConfig& config) {
  std::unique_ptr<MultiThread> mt(new MultiThread(std::move(handle), config));
  mt->handle_->set_spare_thread_starter(mt.get());
  for (std::size_t i = 0; i < config.workers; ++i) {
    mt->cores_.push_back(std::make_unique<MtCore>(i, config.sched));
    mt->threads_.push_back(std::make_unique<Thread>(mt.get(), mt->cores_.back().get()));
  }
  int error = 0;
  {
    sync::LockGuard<sync::Mutex> lock(mt->threads_mutex_);
    for (auto& th : mt->threads_) {
      error = mt->start_thread(*th);
      if (error != 0) break;
    }
  }
  if (error != 0) {
    mt->shutdown(BlockingPool::kWaitForever);  // joins the threads that did start
    return std::error_code(error, std::generic_category());
  }
  return mt;
}

void* MultiThread::entry(void* arg) noexcept {
  auto* th = static_cast<Thread*>(arg);
  if (!th->owner->thread_name_.empty()) pthread_setname_np(pthread_self(), th->owner->thread_name_.c_str());
  th->owner->worker_main(*th);
  return nullptr;
}

void MultiThread::worker_main(Thread& th) {
  Context& ctx = context();
  ctx.handle = handle_.get();
  if (on_thread_start_) on_thread_start_();
  // A spare thread was counted as waiting for a core when it was started.
  bool counted = th.core == nullptr;
  for (MtCore* core = th.core;;) {
    if (core == nullptr) {
      core = handle_->acquire_core(std::exchange(counted, false));
      if (core == nullptr) break;  // shutdown
    }
    ctx.scheduler = handle_.get();
    ctx.core = core;
    handle_->run_worker(*core);  // until shutdown, or until a task gave the core away
    core = nullptr;
    ctx.task = nullptr;
    ctx.budget = kUnconstrained;
    ctx.core = nullptr;
    ctx.scheduler = nullptr;
    if (handle_->is_shutdown()) break;
  }
  if (on_thread_stop_) on_thread_stop_();
  ctx.handle = nullptr;
}

MultiThread::~MultiThread() { shutdown(BlockingPool::kWaitForever); }

void MultiThread::block_on(TaskHeader& main) {
  if (context().scheduler != nullptr) {
    fatal("block_on called from inside a runtime (it would block the runtime's own thread)");
  }
  // `main` runs on a worker; this thread sleeps until it completes. The waker keeps the parker
  // alive on its own (it may be woken after block_on has returned).
  struct BlockOnParker {
    sync::Atomic<std::uint32_t> refs{1};
    ParkThread park;
  };
  static const WakerVTable vtable = {
      [](void* p) noexcept -> void* {
        static_cast<BlockOnParker*>(p)->refs.fetch_add(1, std::memory_order_relaxed);
        return p;
      },
      [](void* p) noexcept {
        auto* b = static_cast<BlockOnParker*>(p);
        b->park.unpark();
        if (b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete b;
      },
      [](void* p) noexcept { static_cast<BlockOnParker*>(p)->park.unpark(); },
      [](void* p) noexcept {
        auto* b = static_cast<BlockOnParker*>(p);
        if (b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete b;
      },
  };
  auto* parker = new BlockOnParker();
  const Waker waker = Waker::from_raw(parker, &vtable);
  while (poll_join(main, waker).is_pending()) parker->park.park(std::nullopt);
}

void MultiThread::join_all() noexcept {
  // Spare threads may still be added until the hand-off list closes (begin_shutdown).
  for (;;) {
    Thread* th = nullptr;
    {
      sync::LockGuard<sync::Mutex> lock(threads_mutex_);
      for (auto& t : threads_) {
        if (t->started) {
          t->started = false;
          th = t.get();
          break;
        }
      }
    }
    if (th == nullptr) return;
    pthread_join(th->id, nullptr);
  }
}

void MultiThread::shutdown(std::chrono::nanoseconds blocking_wait) {
  if (shut_down_) return;
  bool own_thread = context().scheduler == handle_.get();
  {
    // A thread of this runtime without a core (inside or after block_in_place) counts too.
    sync::LockGuard<sync::Mutex> lock(threads_mutex_);
    for (auto& t : threads_) own_thread = own_thread || (t->started && pthread_equal(t->id, pthread_self()) != 0);
  }
  if (own_thread) {
    fatal("eddy::Runtime shut down or dropped from inside one of its own tasks (it would wait for itself)");
  }
  shut_down_ = true;
  handle_->begin_shutdown();
  join_all();
  handle_->finish_shutdown(cores_, blocking_wait);
}

}  // namespace eddy::detail
