#include "runtime/blocking_pool.hpp"

#include <system_error>
#include <vector>

#include "runtime/scheduler.hpp"

namespace eddy::detail {

using sync::LockGuard;
using sync::Mutex;
using sync::UniqueLock;

void submit_blocking(std::shared_ptr<BlockingJob> job) {
  current_scheduler_shared_or_die("eddy::spawn_blocking")->blocking_pool().spawn(std::move(job));
}

void BlockingPool::spawn(std::shared_ptr<BlockingJob> job) {
  UniqueLock<Mutex> lock(mutex_);
  if (shutdown_) {
    lock.unlock();
    job->cancel();
    return;
  }
  queue_.push_back(std::move(job));
  if (idle_ > 0) {
    --idle_;
    ++notified_;
    cv_.notify_one();
    return;
  }
  if (threads_.size() >= max_threads_) return;  // a busy thread takes it when done
  const std::uint64_t id = next_id_++;
  try {
    threads_.emplace(id, std::thread(&BlockingPool::worker, this, id));
  } catch (const std::system_error&) {
    // No thread could be started. With none at all, nobody would ever run the job.
    if (threads_.empty()) {
      auto j = std::move(queue_.back());
      queue_.pop_back();
      lock.unlock();
      j->cancel();
    }
  }
}

void BlockingPool::worker(std::uint64_t id) {
  UniqueLock<Mutex> lock(mutex_);
  for (;;) {
    if (!queue_.empty()) {
      auto job = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      job->run();
      job.reset();  // may drop the last reference to a task (its waker), outside the lock
      lock.lock();
      continue;
    }
    if (shutdown_) return;  // shutdown() joins this thread
    ++idle_;
    const bool woken = cv_.wait_for(lock, keep_alive_, [this] { return notified_ > 0 || shutdown_; });
    if (woken && notified_ > 0) {
      --notified_;  // the spawner already took us off idle_
      continue;
    }
    if (woken) {  // shutdown
      --idle_;
      continue;
    }
    // Idle for keep_alive: exit, handing our std::thread to the next one to exit (or shutdown).
    --idle_;
    auto self = threads_.find(id);
    std::thread previous = std::move(last_exited_);
    last_exited_ = std::move(self->second);
    threads_.erase(self);
    lock.unlock();
    if (previous.joinable()) previous.join();
    return;
  }
}

void BlockingPool::shutdown() {
  std::deque<std::shared_ptr<BlockingJob>> cancelled;
  std::vector<std::thread> to_join;
  {
    LockGuard<Mutex> lock(mutex_);
    shutdown_ = true;
    cancelled.swap(queue_);
    for (auto& [id, t] : threads_) to_join.push_back(std::move(t));
    threads_.clear();
    if (last_exited_.joinable()) to_join.push_back(std::move(last_exited_));
    cv_.notify_all();
  }
  for (auto& job : cancelled) job->cancel();
  cancelled.clear();
  for (auto& t : to_join) {
    if (t.get_id() == std::this_thread::get_id()) t.detach();
    else t.join();
  }
}

std::size_t BlockingPool::thread_count() const {
  LockGuard<Mutex> lock(mutex_);
  return threads_.size();
}

}  // namespace eddy::detail
