// The multi-thread (work-stealing) scheduler: N worker threads run the tasks; any thread may
// spawn and wake them. On the lines of tokio's scheduler/multi_thread.
//
// Who owns what:
// - MultiThreadHandle (shared: RuntimeHandle, every task, every waker; any thread): the
//   injection queue, each worker's Remote (the stealable side of its local queue, its parker,
//   its counters), the idle set, the driver stack behind a try-lock (SharedDriver), the
//   owned-task list, the shutdown flag, the blocking pool.
// - MtCore (one per worker; touched only by the worker thread running it, through its Context):
//   the LIFO slot, the searching flag, countdowns, the random state, the deferred (yielded)
//   wakers, and the owner's side of its local queue.
// - MultiThread (owned by the Runtime): the worker threads and their cores; block_on (waits on
//   the calling thread while a worker runs the task) and shutdown.
//
// Scheduling a task (schedule):
// - from a worker of this runtime: into its LIFO slot (the previous occupant moves to the back
//   of its local queue and a parked worker is notified); after a poll the LIFO task runs next,
//   at most kMaxLifoPolls times in a row. A yielded task, and a task woken by this worker's
//   driver turn, go to the back of the queue (a LIFO slot is only filled by a worker that is
//   not listed as parked: is_idle relies on it).
// - from anywhere else: the injection queue, then a parked worker is notified unless some
//   worker is searching already.
// A worker takes its next task from: the injection queue every global_queue_interval ticks;
// else its LIFO slot, its local queue, the injection queue (a batch), then it steals half of a
// random other worker's queue (searching; at most half the workers search at once). With
// nothing found it parks: on the driver if it gets the try-lock, else on its condvar.
// A busy worker polls the driver (try-lock, no wait) every event_interval tasks.
//
// Cores and threads (block_in_place): a core (MtCore + its Remote) is run by one thread at a
// time, but not always the same one. A worker whose task calls block_in_place hands its core to
// the hand-off list and stops being a worker: a spare thread (started on demand) takes the core
// and runs it, while the blocking thread runs the function. When the function returns, the
// thread takes its core back if no spare thread has taken it yet; otherwise it finishes the
// task's poll without a core (its wakes go through the injection queue) and becomes a spare
// thread itself. Spare threads wait for a core until shutdown; there are at most as many as
// block_in_place calls ever ran at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "eddy/detail/linked_list.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/detail/task_header.hpp"
#include "eddy/result.hpp"
#include "runtime/driver.hpp"
#include "runtime/idle.hpp"
#include "runtime/inject.hpp"
#include "runtime/local_queue.hpp"
#include "runtime/scheduler.hpp"
#include "runtime/worker_parker.hpp"

namespace eddy::detail {

struct MultiThreadConfig {
  SchedulerConfig sched;
  std::size_t workers = 1;
  std::size_t max_blocking_threads = BlockingPool::kDefaultMaxThreads;
  std::string thread_name = "eddy-worker";
  std::size_t thread_stack_size = 0;  // 0: the system's default
  std::function<void()> on_thread_start;
  std::function<void()> on_thread_stop;
};

// The shared side of one worker.
struct Remote {
  LocalQueue queue;
  WorkerParker parker;
  WorkerCounters counters;
};

class MtCore final : public SchedulerCore {
 public:
  MtCore(std::size_t idx, const SchedulerConfig& config) noexcept
      : index(idx), event_countdown(config.event_interval), global_countdown(config.global_queue_interval),
        rng(0x9e3779b97f4a7c15ull * (idx + 1)) {
    worker_slot = static_cast<std::uint32_t>(idx);
  }

  const std::size_t index;
  // The task woken last by the running task: runs next (message passing). One reference.
  TaskHeader* lifo = nullptr;
  bool is_searching = false;
  // True while this worker parks (on the driver or not): wakes go to the back of the local
  // queue (not the LIFO slot) without notifying other workers one by one; the worker notifies
  // once when it is back.
  bool in_park = false;
  // True while the deferred wakers are woken: yielded tasks go to the back of the local queue,
  // not into the LIFO slot.
  bool yielding = false;
  std::uint32_t event_countdown;
  std::uint32_t global_countdown;
  std::uint64_t rng;
  // When this core last stopped parking (busy time is counted at each park).
  std::chrono::steady_clock::time_point busy_since = std::chrono::steady_clock::now();
  // Yielded tasks' wakers: woken after this worker's next driver poll (or attempt).
  std::vector<Waker> deferred;
  std::vector<Waker> deferred_swap;
};

// Starts a thread for the hand-off list (implemented by MultiThread, which owns the threads).
class SpareThreadStarter {
 public:
  // Starts a thread that waits for a handed-off core; called with the hand-off lock held.
  // False when the thread could not start.
  virtual bool start_spare_thread() noexcept = 0;

 protected:
  ~SpareThreadStarter() = default;
};

class MultiThreadHandle final : public SchedulerShared {
 public:
  static constexpr std::uint32_t kMaxLifoPolls = 3;

  MultiThreadHandle(const MultiThreadConfig& config, driver::Handle handle, driver::Driver stack);
  MultiThreadHandle(const MultiThreadHandle&) = delete;
  MultiThreadHandle& operator=(const MultiThreadHandle&) = delete;
  ~MultiThreadHandle();

  // --- Scheduler: any thread ---
  void schedule(TaskHeader* task) noexcept override {
    Context& ctx = context();
    if (ctx.scheduler == this) [[likely]] {
      schedule_local(*static_cast<MtCore*>(ctx.core), task);
      return;
    }
    schedule_remote(task);
  }
  TaskHeader* spawn(TaskHeader* task) override;
  void defer(const Waker& waker) override;

  // --- worker threads ---
  // Runs `core` on the calling thread until shutdown, or until a task's poll gave the core away
  // (block_in_place) and the core was taken by another thread.
  void run_worker(MtCore& core);
  // A thread without a core waits for a handed-off one; null at shutdown. `counted`: the
  // thread was already counted as waiting when it was started.
  MtCore* acquire_core(bool counted);
  void set_spare_thread_starter(SpareThreadStarter* s) noexcept { starter_ = s; }

  // --- block_in_place (SchedulerShared) ---
  bool hand_off_core(SchedulerCore& core) noexcept override;
  void reclaim_core(SchedulerCore& core) noexcept override;

  // --- MultiThread ---
  // Sets the shutdown flag and wakes every worker (they stop after their current poll).
  void begin_shutdown() noexcept;
  // After every worker thread has exited: destroys every task's frame, empties every queue,
  // shuts the drivers and the blocking pool down.
  void finish_shutdown(std::vector<std::unique_ptr<MtCore>>& cores, std::chrono::nanoseconds blocking_wait);

  RuntimeMetrics metrics() const override;
  RuntimeFlavor flavor() const noexcept override { return RuntimeFlavor::multi_thread; }
  std::size_t num_workers() const noexcept { return remotes_.size(); }
  const Remote& remote(std::size_t i) const noexcept { return *remotes_[i]; }
  std::size_t injection_queue_depth() const noexcept { return inject_.len(); }

 private:
  void schedule_local(MtCore& core, TaskHeader* task) noexcept;
  [[gnu::noinline]] void schedule_remote(TaskHeader* task) noexcept;
  void push_back(MtCore& core, TaskHeader* task) noexcept;
  TaskHeader* next_task(MtCore& core) noexcept;
  TaskHeader* next_local(MtCore& core) noexcept;
  TaskHeader* take_injected_batch(MtCore& core) noexcept;
  TaskHeader* steal_work(MtCore& core) noexcept;
  // Both return false when the calling thread no longer holds `core` (block_in_place).
  bool run_task(MtCore& core, TaskHeader* task) noexcept;
  bool poll(MtCore& core, TaskHeader* task) noexcept;
  void complete(TaskHeader* task, bool cancelled) noexcept;
  void park(MtCore& core);
  void park_timeout(MtCore& core, std::optional<std::chrono::nanoseconds> timeout);
  bool transition_to_parked(MtCore& core);
  bool transition_from_parked(MtCore& core);
  void transition_from_searching(MtCore& core) noexcept;
  bool has_tasks(const MtCore& core) const noexcept;
  bool is_idle() const noexcept;
  void notify_parked() noexcept;
  void notify_all() noexcept;
  void notify_if_work_pending() noexcept;

  const SchedulerConfig config_;
  std::vector<std::unique_ptr<Remote>> remotes_;
  Inject inject_;
  Idle idle_;
  SharedDriver driver_;
  // The workers' io_uring rings (files), or null: worker i flushes and reaps ring i % n before
  // each park and periodic driver poll (park_timeout). Owned by the I/O driver's handle.
  io::uring::RingSet* rings_ = nullptr;

  // The hand-off list (block_in_place). Invariant (under handoff_mutex_): every core in
  // handoff_free_ is run by no thread; handoff_waiting_ counts the threads waiting for a core
  // (or started to), and there are at least as many as cores in the list unless a start
  // failed (then the handing thread took its core back).
  sync::Mutex handoff_mutex_;
  sync::CondVar handoff_cv_;
  std::vector<MtCore*> handoff_free_;
  std::size_t handoff_waiting_ = 0;
  bool handoff_closed_ = false;
  SpareThreadStarter* starter_ = nullptr;  // set before any worker starts; outlives them
};

class MultiThread final : public RuntimeScheduler, private SpareThreadStarter {
 public:
  // Starts the worker threads. Fails (every started thread joined) when one cannot start.
  static Result<std::unique_ptr<MultiThread>> start(std::shared_ptr<MultiThreadHandle> handle,
                                                    const MultiThreadConfig& config);
  ~MultiThread() override;

  std::shared_ptr<SchedulerShared> handle() const noexcept override { return handle_; }
  void block_on(TaskHeader& main) override;
  void shutdown(std::chrono::nanoseconds blocking_wait) override;

 private:
  struct Thread;
  static void* entry(void* arg) noexcept;
  void worker_main(Thread& th);
  MultiThread(std::shared_ptr<MultiThreadHandle> handle, const MultiThreadConfig& config);
  void join_all() noexcept;
  bool start_spare_thread() noexcept override;
  // Starts `th` (already in threads_); under threads_mutex_.
  int start_thread(Thread& th) noexcept;

  std::shared_ptr<MultiThreadHandle> handle_;
  std::function<void()> on_thread_start_;
  std::function<void()> on_thread_stop_;
  std::string thread_name_;
  std::size_t thread_stack_size_ = 0;
  std::vector<std::unique_ptr<MtCore>> cores_;
  // Every thread started (workers first, then spare threads); grows while workers run
  // (block_in_place), so guarded by threads_mutex_.
  sync::Mutex threads_mutex_;
  std::vector<std::unique_ptr<Thread>> threads_;
  bool shut_down_ = false;
};

}  // namespace eddy::detail
