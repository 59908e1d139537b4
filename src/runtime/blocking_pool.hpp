// BlockingPool: the threads behind spawn_blocking.
//
// Threads start lazily (one per job while none is idle, up to max_threads); a thread that
// stays idle for keep_alive exits. shutdown(wait) cancels queued jobs (they never run), gives
// running ones up to `wait` to finish, joins every thread that did, and leaves the others
// running, detached (Runtime::shutdown_timeout / shutdown_background).
//
// Invariant that makes leaving a thread behind safe: everything a pool thread touches after
// its job lives in `State`, which each thread co-owns (shared_ptr). The BlockingPool object,
// and the runtime that owns it, may be destroyed while a left-behind thread still runs its
// job; that thread then finds the shut-down state, takes no new job and exits.
//
// An exiting idle thread cannot join itself: it leaves its std::thread in last_exited, which
// the next exiting thread (or shutdown) joins. Only shutdown detaches, and only the threads
// still running a job when its wait ran out (or the calling thread itself, when the last
// reference to a runtime is dropped by one of its own blocking functions).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <thread>

#include "eddy/blocking.hpp"
#include "eddy/detail/sync.hpp"

namespace eddy::detail {

class BlockingPool {
 public:
  static constexpr std::size_t kDefaultMaxThreads = 64;
  static constexpr std::chrono::milliseconds kDefaultKeepAlive{10000};
  // shutdown()'s default: wait for every running job.
  static constexpr std::chrono::nanoseconds kWaitForever = std::chrono::nanoseconds::max();

  explicit BlockingPool(std::size_t max_threads = kDefaultMaxThreads,
                        std::chrono::milliseconds keep_alive = kDefaultKeepAlive);
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;
  ~BlockingPool() { shutdown(); }

  // Any thread. After shutdown the job is cancelled at once.
  void spawn(std::shared_ptr<BlockingJob> job);
  // Cancels queued jobs, waits up to `wait` for running ones, joins the threads that finished
  // and detaches the rest. Only the first call waits; later ones return at once. Called from a
  // pool thread (a job dropping the last reference to its runtime), it does not wait for
  // itself.
  void shutdown(std::chrono::nanoseconds wait = kWaitForever);

  // Threads alive right now (for tests).
  std::size_t thread_count() const;

 private:
  struct State;
  static void worker(std::shared_ptr<State> state, std::uint64_t id);

  std::shared_ptr<State> state_;
};

}  // namespace eddy::detail
