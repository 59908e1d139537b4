// The one place eddy's internals take their atomics and locks from.
//
// Every synchronisation primitive in the driver and the schedulers is spelled through these
// aliases, so that a stress or model-checking build can swap in instrumented versions without
// touching the code that uses them (tokio does the same with its `loom` module).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace eddy::detail::sync {

template <class T>
using Atomic = std::atomic<T>;

using Mutex = std::mutex;

// A small test-and-test-and-set lock for critical sections of a few dozen instructions that
// never block and never call out (a ScheduledIo's waiter list). Uncontended it costs one
// exchange and one store, against a pthread mutex's two calls; under contention it spins
// briefly, then yields the CPU so that a preempted holder can finish.
class SpinLock {
 public:
  void lock() noexcept {
    if (!locked_.exchange(true, std::memory_order_acquire)) [[likely]] return;
    lock_contended();
  }
  bool try_lock() noexcept { return !locked_.exchange(true, std::memory_order_acquire); }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  // Out of line: keeps the uncontended lock() two instructions wherever it is inlined.
  [[gnu::noinline]] void lock_contended() noexcept {
    for (unsigned spins = 0;; ++spins) {
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins > 64) std::this_thread::yield();
      }
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
    }
  }

  std::atomic<bool> locked_{false};
};
using CondVar = std::condition_variable;

template <class M>
using LockGuard = std::lock_guard<M>;

template <class M>
using UniqueLock = std::unique_lock<M>;

}  // namespace eddy::detail::sync
