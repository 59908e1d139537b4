// BlockingPool: the threads behind spawn_blocking.
//
// Threads start lazily (one per job while none is idle, up to max_threads); a thread that
// stays idle for keep_alive exits. shutdown() cancels queued jobs (they never run), lets
// running ones finish, and joins every thread.
//
// An exiting thread cannot join itself: it leaves its std::thread in last_exited_, which the
// next exiting thread (or shutdown) joins, so no thread is ever detached.
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

  explicit BlockingPool(std::size_t max_threads = kDefaultMaxThreads,
                        std::chrono::milliseconds keep_alive = kDefaultKeepAlive) noexcept
      : max_threads_(max_threads == 0 ? 1 : max_threads), keep_alive_(keep_alive) {}
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;
  ~BlockingPool() { shutdown(); }

  // Any thread. After shutdown the job is cancelled at once.
  void spawn(std::shared_ptr<BlockingJob> job);
  // Idempotent. Must not be called from a pool thread (a job); if it is, that thread is
  // detached instead of joined.
  void shutdown();

  // Threads alive right now (for tests).
  std::size_t thread_count() const;

 private:
  void worker(std::uint64_t id);

  const std::size_t max_threads_;
  const std::chrono::milliseconds keep_alive_;

  mutable sync::Mutex mutex_;
  sync::CondVar cv_;
  // Guarded by mutex_:
  std::deque<std::shared_ptr<BlockingJob>> queue_;
  std::map<std::uint64_t, std::thread> threads_;
  std::thread last_exited_;
  std::uint64_t next_id_ = 0;
  std::size_t idle_ = 0;      // threads waiting for work, minus those already notified
  std::size_t notified_ = 0;  // notifications not yet consumed by a waiting thread
  bool shutdown_ = false;
};

}  // namespace eddy::detail
