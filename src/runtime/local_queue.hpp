// LocalQueue: a worker's bounded run queue (256 tasks). Its owner pushes and pops at either
// end without a lock; any other worker may steal half of it at once (tokio's
// scheduler/multi_thread/queue.rs design, re-derived here).
//
// Invariants:
// - `tail_` is written only by the owner. `head_` packs two positions: `steal` (high 32 bits)
//   and `real` (low 32). Slots in [real, tail) are queued; slots in [steal, real) are being
//   copied out by one stealer (steal == real when no steal is in progress). Positions wrap
//   (u32 arithmetic), and tail - steal <= kCapacity always holds, so the owner never writes a
//   slot a stealer may still be reading.
// - At most one stealer at a time: a stealer claims [real, real+n) by moving `real` only while
//   steal == real, then copies, then releases by setting steal = real.
// - A slot is published by the owner's release store of `tail_` (stealers acquire it) and freed
//   by a stealer's release CAS of `head_` (the owner acquires it before writing the slot).
//   The slots are relaxed atomics: free on x86 and no formal data race.
// - Every entry holds one task reference; push hands it over, pop and steal hand it back.
#pragma once

#include <array>
#include <cstdint>

#include "eddy/detail/sync.hpp"
#include "eddy/detail/task_header.hpp"
#include "runtime/task_queue.hpp"

namespace eddy::detail {

class LocalQueue {
 public:
  static constexpr std::uint32_t kCapacity = 256;
  static constexpr std::uint32_t kMask = kCapacity - 1;

  LocalQueue() noexcept {
    for (auto& s : buf_) s.store(nullptr, std::memory_order_relaxed);
  }
  LocalQueue(const LocalQueue&) = delete;
  LocalQueue& operator=(const LocalQueue&) = delete;

  // --- owner only ---

  // Pushes `task` at the back. When the queue is full, moves half of it plus `task` into
  // `overflow` (for the injection queue) and returns how many it moved; otherwise 0.
  std::uint32_t push_back(TaskHeader* task, TaskQueue& overflow) noexcept {
    for (;;) {
      const std::uint64_t head = head_.load(std::memory_order_acquire);
      const std::uint32_t steal = hi(head);
      const std::uint32_t real = lo(head);
      const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
      if (tail - steal < kCapacity) {
        buf_[tail & kMask].store(task, std::memory_order_relaxed);
        tail_.store(tail + 1, std::memory_order_release);
        return 0;
      }
      if (steal != real) {
        // A stealer is copying out and will free room soon; this one goes to the injection
        // queue instead of waiting for it.
        overflow.push(task);
        return 1;
      }
      // Full: move the older half out in one CAS (fails if a stealer got in first: retry).
      constexpr std::uint32_t n = kCapacity / 2;
      std::uint64_t expected = pack(real, real);
      if (!head_.compare_exchange_strong(expected, pack(real + n, real + n), std::memory_order_acq_rel,
                                         std::memory_order_relaxed)) {
        continue;
      }
      for (std::uint32_t i = 0; i < n; ++i) overflow.push(buf_[(real + i) & kMask].load(std::memory_order_relaxed));
      overflow.push(task);
      return n + 1;
    }
  }

  // Pops the oldest task, or null.
  TaskHeader* pop() noexcept {
    std::uint64_t head = head_.load(std::memory_order_acquire);
    std::uint32_t idx;
    for (;;) {
      const std::uint32_t steal = hi(head);
      const std::uint32_t real = lo(head);
      if (real == tail_.load(std::memory_order_relaxed)) return nullptr;
      const std::uint32_t next_real = real + 1;
      const std::uint64_t next = steal == real ? pack(next_real, next_real) : pack(steal, next_real);
      if (head_.compare_exchange_weak(head, next, std::memory_order_acq_rel, std::memory_order_acquire)) {
        idx = real;
        break;
      }
    }
    return buf_[idx & kMask].load(std::memory_order_relaxed);
  }

  // Free slots (the owner may push this many without overflow).
  std::uint32_t remaining_slots() const noexcept {
    const std::uint32_t steal = hi(head_.load(std::memory_order_acquire));
    return kCapacity - (tail_.load(std::memory_order_relaxed) - steal);
  }

  // --- the owner of `dst`, stealing from this queue ---

  // Moves half of this queue's tasks into `dst` (whose owner calls this) and returns one of
  // them to run now, or null when there was nothing to steal (or another steal is under way,
  // or `dst` is more than half full).
  TaskHeader* steal_into(LocalQueue& dst, std::uint32_t& stolen) noexcept {
    stolen = 0;
    const std::uint32_t dst_tail = dst.tail_.load(std::memory_order_relaxed);
    const std::uint32_t dst_steal = hi(dst.head_.load(std::memory_order_acquire));
    if (dst_tail - dst_steal > kCapacity / 2) return nullptr;
    std::uint32_t n = steal_into2(dst, dst_tail);
    if (n == 0) return nullptr;
    stolen = n;
    --n;
    TaskHeader* ret = dst.buf_[(dst_tail + n) & kMask].load(std::memory_order_relaxed);
    if (n > 0) dst.tail_.store(dst_tail + n, std::memory_order_release);
    return ret;
  }

  // --- any thread (a hint: may be stale by the time it returns) ---
  bool is_empty() const noexcept { return len() == 0; }
  std::uint32_t len() const noexcept {
    const std::uint32_t real = lo(head_.load(std::memory_order_acquire));
    return tail_.load(std::memory_order_acquire) - real;
  }

 private:
  static constexpr std::uint32_t hi(std::uint64_t v) noexcept { return static_cast<std::uint32_t>(v >> 32); }
  static constexpr std::uint32_t lo(std::uint64_t v) noexcept { return static_cast<std::uint32_t>(v); }
  static constexpr std::uint64_t pack(std::uint32_t steal, std::uint32_t real) noexcept {
    return (std::uint64_t{steal} << 32) | real;
  }

  std::uint32_t steal_into2(LocalQueue& dst, std::uint32_t dst_tail) noexcept {
    std::uint64_t prev = head_.load(std::memory_order_acquire);
    std::uint64_t next;
    std::uint32_t n;
    for (;;) {
      const std::uint32_t steal = hi(prev);
      const std::uint32_t real = lo(prev);
      const std::uint32_t tail = tail_.load(std::memory_order_acquire);
      if (steal != real) return 0;  // another worker is stealing from this queue
      n = tail - real;
      n -= n / 2;  // half, rounded up
      if (n == 0) return 0;
      next = pack(steal, real + n);
      if (head_.compare_exchange_weak(prev, next, std::memory_order_acq_rel, std::memory_order_acquire)) break;
    }
    // [first, first + n) is ours: the owner neither pops nor overwrites it until we release.
    const std::uint32_t first = hi(next);
    for (std::uint32_t i = 0; i < n; ++i) {
      dst.buf_[(dst_tail + i) & kMask].store(buf_[(first + i) & kMask].load(std::memory_order_relaxed),
                                             std::memory_order_relaxed);
    }
    // Release the claim. Only the owner's pops move `real` meanwhile.
    prev = next;
    for (;;) {
      const std::uint32_t real = lo(prev);
      if (head_.compare_exchange_weak(prev, pack(real, real), std::memory_order_acq_rel, std::memory_order_acquire)) {
        return n;
      }
    }
  }

  alignas(64) sync::Atomic<std::uint64_t> head_{0};
  alignas(64) sync::Atomic<std::uint32_t> tail_{0};
  alignas(64) std::array<sync::Atomic<TaskHeader*>, kCapacity> buf_;
};

}  // namespace eddy::detail
