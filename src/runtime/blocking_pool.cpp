#include "runtime/blocking_pool.hpp"

#include <system_error>
#include <vector>

#include "runtime/scheduler.hpp"

namespace eddy::detail {

using sync::LockGuard;
using sync::Mutex;
using sync::UniqueLock;

// Shared by the pool object and every pool thread (see the file comment of the header).
struct BlockingPool::State {
  State(std::size_t max, std::chrono::milliseconds keep) noexcept : max_threads(max == 0 ? 1 : max), keep_alive(keep) {}

  const std::size_t max_threads;
  const std::chrono::milliseconds keep_alive;

  mutable Mutex mutex;
  sync::CondVar cv;       // work or shutdown for idle threads
  sync::CondVar exit_cv;  // a thread's worker function is returning (shutdown's wait)
  // Guarded by mutex:
  std::deque<std::shared_ptr<BlockingJob>> queue;
  std::map<std::uint64_t, std::thread> threads;
  std::thread last_exited;
  std::uint64_t next_id = 0;
  std::size_t running = 0;   // worker functions that have not returned yet
  std::size_t idle = 0;      // threads waiting for work, minus those already notified
  std::size_t notified = 0;  // notifications not yet consumed by a waiting thread
  bool shutdown = false;
};

namespace {
// The pool whose thread this is (null elsewhere): shutdown() must not wait for itself.
thread_local const void* tls_pool_state = nullptr;
}  // namespace

void submit_blocking(std::shared_ptr<BlockingJob> job) {
  current_scheduler_shared_or_die("eddy::spawn_blocking")->blocking_pool().spawn(std::move(job));
}

BlockingPool::BlockingPool(std::size_t max_threads, std::chrono::milliseconds keep_alive)
    : state_(std::make_shared<State>(max_threads, keep_alive)) {}

void BlockingPool::spawn(std::shared_ptr<BlockingJob> job) {
  State& s = *state_;
  UniqueLock<Mutex> lock(s.mutex);
  if (s.shutdown) {
    lock.unlock();
    job->cancel();
    return;
  }
  s.queue.push_back(std::move(job));
  if (s.idle > 0) {
    --s.idle;
    ++s.notified;
    s.cv.notify_one();
    return;
  }
  if (s.threads.size() >= s.max_threads) return;  // a busy thread takes it when done
  const std::uint64_t id = s.next_id++;
  try {
    s.threads.emplace(id, std::thread(&BlockingPool::worker, state_, id));
    ++s.running;
  } catch (const std::system_error&) {
    // No thread could be started. With none at all, nobody would ever run the job.
    if (s.threads.empty()) {
      auto j = std::move(s.queue.back());
      s.queue.pop_back();
      lock.unlock();
      j->cancel();
    }
  }
}

void BlockingPool::worker(std::shared_ptr<State> state, std::uint64_t id) {
  State& s = *state;
  tls_pool_state = &s;
  UniqueLock<Mutex> lock(s.mutex);
  // Every return goes through here: shutdown() waits for `running` to reach zero.
  auto leave = [&s] {
    --s.running;
    s.exit_cv.notify_all();
  };
  for (;;) {
    if (!s.queue.empty()) {
      auto job = std::move(s.queue.front());
      s.queue.pop_front();
      lock.unlock();
      job->run();
      // May drop the last reference to a task, or (for a thread left behind by shutdown) to
      // the runtime and this pool object: outside the lock; `s` stays alive through `state`.
      job.reset();
      lock.lock();
      continue;
    }
    if (s.shutdown) return leave();  // shutdown() joins or detaches this thread
    ++s.idle;
    const bool woken = s.cv.wait_for(lock, s.keep_alive, [&s] { return s.notified > 0 || s.shutdown; });
    if (woken && s.notified > 0) {
      --s.notified;  // the spawner already took us off idle
      continue;
    }
    if (woken) {  // shutdown
      --s.idle;
      continue;
    }
    // Idle for keep_alive: exit, handing our std::thread to the next one to exit (or shutdown).
    --s.idle;
    auto self = s.threads.find(id);
    std::thread previous = std::move(s.last_exited);
    s.last_exited = std::move(self->second);
    s.threads.erase(self);
    leave();
    lock.unlock();
    if (previous.joinable()) previous.join();
    return;
  }
}

void BlockingPool::shutdown(std::chrono::nanoseconds wait) {
  State& s = *state_;
  const bool on_pool_thread = tls_pool_state == &s;
  std::deque<std::shared_ptr<BlockingJob>> cancelled;
  std::vector<std::thread> threads;
  UniqueLock<Mutex> lock(s.mutex);
  if (s.shutdown) return;
  s.shutdown = true;
  cancelled.swap(s.queue);
  s.cv.notify_all();
  lock.unlock();
  for (auto& job : cancelled) job->cancel();  // may wake tasks: outside the lock
  cancelled.clear();
  lock.lock();
  // Wait for the running jobs (never for this thread's own).
  const std::size_t self = on_pool_thread ? 1 : 0;
  const auto done = [&s, self] { return s.running <= self; };
  const auto now = std::chrono::steady_clock::now();
  if (wait >= std::chrono::steady_clock::time_point::max() - now) {  // kWaitForever, or near it
    s.exit_cv.wait(lock, done);
  } else if (wait > std::chrono::nanoseconds::zero()) {
    s.exit_cv.wait_until(lock, now + wait, done);
  }
  const bool all_done = done();
  for (auto& [id, t] : s.threads) threads.push_back(std::move(t));
  s.threads.clear();
  if (s.last_exited.joinable()) threads.push_back(std::move(s.last_exited));
  lock.unlock();
  for (auto& t : threads) {
    // A thread still running its job (the wait ran out) keeps the state alive and exits when
    // the job returns; this thread cannot join itself.
    if (!all_done || t.get_id() == std::this_thread::get_id()) t.detach();
    else t.join();
  }
}

std::size_t BlockingPool::thread_count() const {
  LockGuard<Mutex> lock(state_->mutex);
  return state_->threads.size();
}

}  // namespace eddy::detail
