#include "io/token_slab.hpp"

#include <new>

namespace eddy::io {

TokenSlab::~TokenSlab() {
  for (auto& p : pages_) delete p.load(std::memory_order_relaxed);
}

std::uint64_t TokenSlab::insert(ScheduledIo* io) noexcept {
  if (free_head_ == kNoSlot) {
    if (num_pages_ == kMaxPages) return 0;
    Page* page = new (std::nothrow) Page();
    if (page == nullptr) return 0;
    const std::uint32_t first = num_pages_ * kPageSize;
    // Chain the new slots into the free stack, lowest index on top.
    for (std::uint32_t i = kPageSize; i-- > 0;) {
      page->slots[i].next_free = free_head_;
      free_head_ = first + i;
    }
    // Published before any token on it can reach the kernel (find loads it with acquire).
    pages_[num_pages_].store(page, std::memory_order_release);
    ++num_pages_;
  }
  const std::uint32_t index = free_head_;
  Slot& s = slot(index);
  free_head_ = s.next_free;
  s.io.store(io, std::memory_order_release);
  ++live_;
  const std::uint64_t generation = s.generation.load(std::memory_order_relaxed);
  return generation << 32 | (std::uint64_t{index} + reserved_);
}

bool TokenSlab::erase(std::uint64_t token, const ScheduledIo* io) noexcept {
  const std::uint64_t low = token & 0xffffffffu;
  if (low < reserved_ || low - reserved_ >= std::uint64_t{num_pages_} * kPageSize) return false;
  const auto index = static_cast<std::uint32_t>(low - reserved_);
  Slot& s = slot(index);
  const auto generation = static_cast<std::uint32_t>(token >> 32);
  if (s.generation.load(std::memory_order_relaxed) != generation || s.io.load(std::memory_order_relaxed) != io) {
    return false;
  }
  // No find can be looking at this token now (it runs on the driver thread, which erases only
  // between two polls), so the two stores need no particular order between themselves.
  s.generation.store(generation + 1, std::memory_order_release);
  s.io.store(nullptr, std::memory_order_release);
  s.next_free = free_head_;
  free_head_ = index;
  --live_;
  return true;
}

}  // namespace eddy::io
