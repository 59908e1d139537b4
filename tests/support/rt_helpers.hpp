// Helpers for runtime tests: building runtimes, counting live objects, a thread-safe one-waiter
// notification awaitable, and a way to make the runtime poll its driver once.
// None of them assert how long anything took.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/runtime.hpp"
#include "eddy/task.hpp"
#include "eddy/waker.hpp"
#include "support/rt_kinds.hpp"

namespace eddy_test {

inline eddy::Runtime make_rt(bool io = true) {
  auto b = eddy_test::rt_builder();
  if (io) b.enable_all();
  auto rt = b.build();
  EXPECT_TRUE(rt) << rt.error().message();
  return std::move(*rt);
}

// Counts constructions and destructions, so a test can check that a frame holding one was
// destroyed (live() back to 0).
class Counted {
 public:
  explicit Counted(std::atomic<int>& live) noexcept : live_(&live) { live_->fetch_add(1); }
  Counted(const Counted& o) noexcept : live_(o.live_) { live_->fetch_add(1); }
  Counted(Counted&& o) noexcept : live_(o.live_) { live_->fetch_add(1); }
  Counted& operator=(const Counted&) = delete;
  Counted& operator=(Counted&&) = delete;
  ~Counted() { live_->fetch_sub(1); }

 private:
  std::atomic<int>* live_;
};

// Runs `f` when destroyed (a local in a task frame: observes frame destruction).
template <class F>
class OnDrop {
 public:
  explicit OnDrop(F f) : f_(std::move(f)) {}
  OnDrop(const OnDrop&) = delete;
  OnDrop& operator=(const OnDrop&) = delete;
  ~OnDrop() { f_(); }

 private:
  F f_;
};

// A one-waiter event: notify() from any thread makes the pending (or next) wait() complete.
// Each wait consumes one notification. Cancellation: destroying a suspended wait() leaves the
// stored waker in place (harmless: waking a finished or destroyed task does nothing).
class Notify {
 public:
  Notify() = default;
  Notify(const Notify&) = delete;
  Notify& operator=(const Notify&) = delete;

  void notify() {
    eddy::Waker w;
    {
      std::lock_guard<std::mutex> lock(m_);
      set_ = true;
      w = std::move(waker_);
    }
    w.wake();
  }

  class Awaiter : public eddy::detail::PollAwaiter<Awaiter, bool> {
   public:
    explicit Awaiter(Notify* n) noexcept : n_(n) {}
    eddy::Poll<bool> poll(const eddy::Waker& w) {
      std::lock_guard<std::mutex> lock(n_->m_);
      if (n_->set_) {
        n_->set_ = false;
        return true;
      }
      n_->waker_.clone_from(w);
      return eddy::Pending;
    }

   private:
    Notify* n_;
  };
  Awaiter wait() noexcept { return Awaiter(this); }

  // Drops the stored waker (breaks a task -> runtime reference when the Notify outlives it).
  void reset() {
    eddy::Waker w;
    std::lock_guard<std::mutex> lock(m_);
    w = std::move(waker_);
  }

 private:
  std::mutex m_;
  bool set_ = false;
  eddy::Waker waker_;
};

// Suspends once after waking itself (not yield_now: no deferral until the driver is polled),
// like tokio's `poll_fn(|cx| { cx.waker().wake_by_ref(); Pending })`.
class WakeSelfOnce : public eddy::detail::PollAwaiter<WakeSelfOnce, bool> {
 public:
  eddy::Poll<bool> poll(const eddy::Waker& w) {
    if (polled_) return true;
    polled_ = true;
    w.wake_by_ref();
    return eddy::Pending;
  }

 private:
  bool polled_ = false;
};

// Makes the runtime poll its I/O driver (non-blocking) at least once: a yielded task resumes
// only after a driver poll.
inline void pump(eddy::Runtime& rt, int times = 1) {
  rt.block_on([](int n) -> eddy::Task<void> {
    for (int i = 0; i < n; ++i) co_await eddy::yield_now();
  }(times));
}

// Spins (with sleeps) until pred() or `limit`; false on timeout.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

}  // namespace eddy_test
