// TokenSlab: the defensive token mode's table (CMake option EDDY_DEFENSIVE_TOKENS). The epoll
// token of a resource is then not its ScheduledIo's address but a slab slot and that slot's
// generation:
//
//   token = generation << 32 | (slot index + kReservedTokens)
//
// so that a token the kernel still returns after the resource was freed (a misuse: the fd was
// closed under its registration while a dup of it kept the file, and its epoll item, alive) is
// recognised and dropped instead of dereferenced. The driver counts it
// (IoDriverMetrics::stale_token_count).
//
// Invariants:
// - A slot's generation changes only when the slot is freed (erase), so a token names the
//   resource it was made for or, once that resource is gone, no live resource (until the same
//   slot has been reused 2^32 times, which this mode does not defend against).
// - insert and erase run under the RegistrationSet's lock; erase only where RegistrationSet
//   frees a resource (release(), between two polls, on the driver thread) or for a token that
//   never reached the kernel. find runs without a lock on the driver thread while it
//   dispatches a batch, so it never races with an erase of a token in that batch, only with
//   inserts (of other slots, or of a freed slot under a new generation).
// - Pages are allocated on demand and never freed before the slab, so find may read any page
//   it can see published.
#pragma once

#include <cstdint>
#include <memory>

#include "eddy/detail/sync.hpp"
#include "eddy/io/detail/scheduled_io.hpp"

namespace eddy::io {

class TokenSlab {
 public:
  static constexpr unsigned kPageBits = 10;
  static constexpr std::uint32_t kPageSize = 1u << kPageBits;
  static constexpr std::uint32_t kMaxPages = 1024;  // about a million registrations at once
  // Every token below this is reserved (io/detail/selector.hpp); the first slot's token is it.
  explicit TokenSlab(std::uint64_t reserved_tokens) noexcept : reserved_(reserved_tokens) {}
  TokenSlab(const TokenSlab&) = delete;
  TokenSlab& operator=(const TokenSlab&) = delete;
  ~TokenSlab();

  // Under the owner's lock. A token for `io`, or 0 when the slab is full or a page cannot be
  // allocated.
  std::uint64_t insert(ScheduledIo* io) noexcept;
  // Under the owner's lock. Frees `token`'s slot (a later find of it gives nullptr) if it
  // still names `io`; false if it did not (already erased).
  bool erase(std::uint64_t token, const ScheduledIo* io) noexcept;
  // The driver thread, no lock. The resource `token` was made for, or nullptr if it is gone
  // (or the token was never made by this slab).
  ScheduledIo* find(std::uint64_t token) const noexcept {
    const std::uint64_t low = token & 0xffffffffu;
    if (low < reserved_) return nullptr;
    const std::uint64_t index = low - reserved_;
    if (index >= std::uint64_t{kMaxPages} * kPageSize) return nullptr;
    const Page* page = pages_[index >> kPageBits].load(std::memory_order_acquire);
    if (page == nullptr) return nullptr;
    const Slot& s = page->slots[index & (kPageSize - 1)];
    if (s.generation.load(std::memory_order_acquire) != static_cast<std::uint32_t>(token >> 32)) return nullptr;
    return s.io.load(std::memory_order_acquire);
  }

  std::size_t live() const noexcept { return live_; }  // under the owner's lock

 private:
  struct Slot {
    eddy::detail::sync::Atomic<ScheduledIo*> io{nullptr};
    eddy::detail::sync::Atomic<std::uint32_t> generation{0};
    std::uint32_t next_free = 0;  // under the owner's lock, while free
  };
  struct Page {
    Slot slots[kPageSize];
  };
  static constexpr std::uint32_t kNoSlot = 0xffffffffu;

  Slot& slot(std::uint32_t index) const noexcept {
    return pages_[index >> kPageBits].load(std::memory_order_relaxed)->slots[index & (kPageSize - 1)];
  }

  const std::uint64_t reserved_;
  eddy::detail::sync::Atomic<Page*> pages_[kMaxPages] = {};
  std::uint32_t num_pages_ = 0;       // under the owner's lock
  std::uint32_t free_head_ = kNoSlot;  // under the owner's lock: the free slots, a stack
  std::size_t live_ = 0;               // under the owner's lock
};

}  // namespace eddy::io
