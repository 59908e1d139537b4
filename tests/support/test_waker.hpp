// Test wakers built on Waker::from_raw.
//
// A TestWaker owns a heap-allocated, reference-counted state. Every Waker it hands out holds one
// reference, so a waker may outlive the test scope that made it (stored in a resource that is
// freed later, or moved into a wake batch on another thread) without dangling. The state counts
// each vtable call, so tests can assert exactly how many clones, drops and wakes happened, and it
// can signal a waiting thread (with a bounded wait, so a lost wake-up fails instead of hanging).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <utility>

#include "eddy/waker.hpp"

namespace eddy_test {

class TestWaker {
 public:
  TestWaker() : s_(new State) {}
  TestWaker(const TestWaker&) = delete;
  TestWaker& operator=(const TestWaker&) = delete;
  ~TestWaker() { release(s_); }

  // A new Waker sharing this state (a reference, not a vtable clone: clones() is unchanged).
  eddy::Waker waker() const {
    s_->refs.fetch_add(1, std::memory_order_relaxed);
    return eddy::Waker::from_raw(s_, &kVTable);
  }

  int clones() const { return s_->clones.load(); }
  int drops() const { return s_->drops.load(); }
  // Consuming wakes (Waker::wake) and non-consuming ones (wake_by_ref).
  int wakes() const { return s_->wakes.load(); }
  int wakes_by_ref() const { return s_->wakes_by_ref.load(); }
  int woken() const { return wakes() + wakes_by_ref(); }
  // Wakers alive right now (every reference but the TestWaker's own).
  int outstanding() const { return s_->refs.load() - 1; }

  // Runs on every wake (either kind), on the waking thread, before waiters are signalled. Set it
  // before any waker can fire; it must not be changed concurrently with a wake.
  void on_wake(std::function<void()> f) { s_->on_wake = std::move(f); }

  // Waits until woken() > `seen`; false when `limit` passes first.
  bool wait_woken_past(int seen, std::chrono::milliseconds limit = std::chrono::seconds(10)) const {
    std::unique_lock<std::mutex> lock(s_->m);
    return s_->cv.wait_for(lock, limit, [&] { return s_->wakes.load() + s_->wakes_by_ref.load() > seen; });
  }

 private:
  struct State {
    std::atomic<int> refs{1};
    std::atomic<int> clones{0};
    std::atomic<int> drops{0};
    std::atomic<int> wakes{0};
    std::atomic<int> wakes_by_ref{0};
    std::function<void()> on_wake;
    std::mutex m;
    std::condition_variable cv;
  };

  static void release(State* s) noexcept {
    if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
  }

  static void notify(State* s, std::atomic<int>& counter) noexcept {
    if (s->on_wake) s->on_wake();
    {
      // Counting under the mutex pairs with wait_woken_past's predicate check, so a wake between
      // its check and its sleep is not missed.
      std::lock_guard<std::mutex> lock(s->m);
      counter.fetch_add(1);
    }
    s->cv.notify_all();
  }

  static void* clone(void* d) noexcept {
    auto* s = static_cast<State*>(d);
    s->clones.fetch_add(1);
    s->refs.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  static void wake(void* d) noexcept {
    auto* s = static_cast<State*>(d);
    notify(s, s->wakes);
    release(s);
  }
  static void wake_by_ref(void* d) noexcept {
    auto* s = static_cast<State*>(d);
    notify(s, s->wakes_by_ref);
  }
  static void drop(void* d) noexcept {
    auto* s = static_cast<State*>(d);
    s->drops.fetch_add(1);
    release(s);
  }

  static constexpr eddy::WakerVTable kVTable{&clone, &wake, &wake_by_ref, &drop};

  State* s_;
};

}  // namespace eddy_test
