// The pieces every eddy::sync primitive is built from:
//
// - Waiter: the node a suspended operation embeds in its awaiter (so in the coroutine frame; no
//   allocation per wait). It holds the task's Waker and sits in its primitive's WaiterList,
//   which is guarded by that primitive's lock. Destroying an awaiter unlinks its node under the
//   same lock.
// - WakeList: wakers taken out of nodes under the lock, woken after it is released (a waker is
//   never called with a lock held: waking may run arbitrary scheduler code).
// - block_on_poll: drives a poll-style operation on a plain thread (no runtime), parking the
//   thread between polls; used by the blocking_* channel operations.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

#include "eddy/detail/linked_list.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/poll.hpp"
#include "eddy/waker.hpp"

namespace eddy::sync::detail {

struct WaiterTag {};

struct Waiter : eddy::detail::ListHook<WaiterTag> {
  Waker waker;
};

template <class Node>
using WaiterList = eddy::detail::IntrusiveList<Node, WaiterTag>;

using Lock = eddy::detail::sync::SpinLock;
using Guard = eddy::detail::sync::LockGuard<Lock>;

// Up to 32 wakers collected under a lock and woken after it. A caller with more waiters than
// that wakes a batch, retakes the lock and continues (full() tells it when).
class WakeList {
 public:
  WakeList() noexcept {}
  WakeList(const WakeList&) = delete;
  WakeList& operator=(const WakeList&) = delete;
  ~WakeList() { wake_all(); }

  bool full() const noexcept { return n_ == kCap; }
  void push(Waker&& w) noexcept {
    if (w) ::new (static_cast<void*>(&slots_[n_++].w)) Waker(std::move(w));
  }
  void wake_all() noexcept {
    for (std::size_t i = 0; i < n_; ++i) {
      slots_[i].w.wake();
      slots_[i].w.~Waker();
    }
    n_ = 0;
  }

 private:
  static constexpr std::size_t kCap = 32;
  // Raw slots: a WakeList that wakes nobody (the common, uncontended case) constructs and
  // destroys no Waker at all.
  union Slot {
    Slot() noexcept {}
    ~Slot() {}
    Waker w;
  };
  Slot slots_[kCap];
  std::size_t n_ = 0;
};

// A thread's parking spot, reference-counted through the Waker that points at it (a waker left
// behind in a primitive after the blocking call returned stays valid).
class ThreadParker {
 public:
  static ThreadParker* create() { return new ThreadParker(); }
  // A waker holding a new reference.
  Waker waker() noexcept {
    refs_.fetch_add(1, std::memory_order_relaxed);
    return Waker::from_raw(this, &kVTable);
  }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  // Blocks until unpark() was called since the last park().
  void park() {
    eddy::detail::sync::UniqueLock<eddy::detail::sync::Mutex> lk(m_);
    cv_.wait(lk, [this] { return notified_; });
    notified_ = false;
  }
  void unpark() noexcept {
    {
      eddy::detail::sync::LockGuard<eddy::detail::sync::Mutex> lk(m_);
      notified_ = true;
    }
    cv_.notify_one();
  }

 private:
  ThreadParker() = default;
  static void* vclone(void* p) noexcept {
    static_cast<ThreadParker*>(p)->refs_.fetch_add(1, std::memory_order_relaxed);
    return p;
  }
  static void vwake(void* p) noexcept {
    static_cast<ThreadParker*>(p)->unpark();
    static_cast<ThreadParker*>(p)->release();
  }
  static void vwake_by_ref(void* p) noexcept { static_cast<ThreadParker*>(p)->unpark(); }
  static void vdrop(void* p) noexcept { static_cast<ThreadParker*>(p)->release(); }
  static constexpr WakerVTable kVTable{&vclone, &vwake, &vwake_by_ref, &vdrop};

  eddy::detail::sync::Atomic<int> refs_{1};
  eddy::detail::sync::Mutex m_;
  eddy::detail::sync::CondVar cv_;
  bool notified_ = false;
};

// Calls poll(waker) until it returns a value, parking the calling thread in between.
// Must not be called from inside a runtime's task (it would block the runtime's thread).
template <class F>
auto block_on_poll(F&& poll) {
  struct Ref {
    ThreadParker* p;
    ~Ref() { p->release(); }
  } parker{ThreadParker::create()};
  Waker w = parker.p->waker();
  for (;;) {
    auto r = poll(static_cast<const Waker&>(w));
    if (r) return std::move(*r);
    parker.p->park();
  }
}

}  // namespace eddy::sync::detail
