// Coroutine frames come from a small per-thread cache of freed frames, by size class.
//
// Every Task is a heap-allocated coroutine frame: a spawn allocates one, and so does every
// `co_await some_task()`. Frames are short-lived and come in a few sizes, which is the case
// glibc's per-thread cache (7 chunks per size) handles least well: a burst of spawns, or a frame
// freed on another thread than the one that allocated it (a task spawned from one thread and
// finished on a worker), falls through to the arena, which takes the arena's lock. The cache
// keeps up to kMaxBytes of freed frames per thread in 16-byte size classes up to 768 bytes (a
// Task frame's block includes the 128-byte prefix where a spawned task's header lives,
// eddy/detail/task_frame.hpp, so a 640-byte frame still fits); anything larger, or beyond the
// budget, goes to the global allocator as before.
//
// Invariants:
// - A cached block is at least as large as its class's size ((class + 1) * kGranule), and a
//   frame of size n is only ever served by the class (n - 1) / kGranule, so a block is never
//   handed out smaller than it was allocated.
// - A block freed on another thread joins that thread's cache: blocks carry no owner, so no
//   cross-thread bookkeeping exists. The task hand-off that moved the frame's last use to that
//   thread already orders the memory.
// - After the thread's cache is destroyed (thread exit), frees go straight to the allocator.
//
// Under AddressSanitizer, ThreadSanitizer or with EDDY_NO_FRAME_CACHE defined, there is no
// cache: a recycled frame would hide a use-after-free from ASan, and TSan tracks allocations
// through malloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define EDDY_FRAME_CACHE_DISABLED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define EDDY_FRAME_CACHE_DISABLED 1
#endif
#endif
#if defined(EDDY_NO_FRAME_CACHE)
#define EDDY_FRAME_CACHE_DISABLED 1
#endif

namespace eddy::detail {

#ifndef EDDY_FRAME_CACHE_DISABLED

class FrameCache {
 public:
  static constexpr std::size_t kGranule = 16;
  static constexpr std::size_t kClasses = 48;  // blocks up to 768 bytes
  static constexpr std::size_t kMaxBytes = 64 * 1024;

  FrameCache() noexcept = default;
  FrameCache(const FrameCache&) = delete;
  FrameCache& operator=(const FrameCache&) = delete;
  ~FrameCache() {
    dead_ = true;
    for (Node*& head : heads_) {
      while (Node* n = head) {
        head = n->next;
        ::operator delete(n);
      }
    }
  }

  void* allocate(std::size_t n) {
    const std::size_t c = (n - 1) / kGranule;
    if (c < kClasses) {
      if (Node* b = heads_[c]) {
        heads_[c] = b->next;
        bytes_ -= block_size(c);
        return b;
      }
      return ::operator new(block_size(c));
    }
    return ::operator new(n);
  }

  void deallocate(void* p, std::size_t n) noexcept {
    const std::size_t c = (n - 1) / kGranule;
    if (c < kClasses && !dead_ && bytes_ + block_size(c) <= kMaxBytes) {
      heads_[c] = ::new (p) Node{heads_[c]};
      bytes_ += block_size(c);
      return;
    }
    ::operator delete(p);
  }

 private:
  struct Node {
    Node* next;
  };
  static constexpr std::size_t block_size(std::size_t c) noexcept { return (c + 1) * kGranule; }

  Node* heads_[kClasses] = {};
  std::size_t bytes_ = 0;
  bool dead_ = false;
};

inline thread_local FrameCache t_frame_cache;

inline void* frame_allocate(std::size_t n) { return t_frame_cache.allocate(n); }
inline void frame_deallocate(void* p, std::size_t n) noexcept { t_frame_cache.deallocate(p, n); }

#else

inline void* frame_allocate(std::size_t n) { return ::operator new(n); }
inline void frame_deallocate(void* p, std::size_t) noexcept { ::operator delete(p); }

#endif

}  // namespace eddy::detail
