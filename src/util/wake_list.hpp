// A fixed batch of wakers collected under a lock and woken after it is dropped.
//
// The storage is raw: only the wakers actually pushed are constructed. (An array of 32 Wakers
// would construct and destroy all 32 on every dispatched event, which showed up as the largest
// single cost of an echo round trip.)
#pragma once

#include <cstddef>
#include <new>
#include <utility>

#include "eddy/waker.hpp"

namespace eddy::detail {

class WakeList {
 public:
  static constexpr std::size_t kCapacity = 32;

  WakeList() noexcept = default;
  WakeList(const WakeList&) = delete;
  WakeList& operator=(const WakeList&) = delete;
  ~WakeList() { wake_all(); }

  bool can_push() const noexcept { return len_ < kCapacity; }
  void push(Waker&& w) noexcept { ::new (static_cast<void*>(slot(len_++))) Waker(std::move(w)); }

  // Wakes and empties the batch. Call with no lock held.
  void wake_all() noexcept {
    for (std::size_t i = 0; i < len_; ++i) {
      Waker* w = std::launder(slot(i));
      w->wake();
      w->~Waker();
    }
    len_ = 0;
  }

 private:
  Waker* slot(std::size_t i) noexcept { return reinterpret_cast<Waker*>(storage_ + i * sizeof(Waker)); }

  alignas(Waker) unsigned char storage_[kCapacity * sizeof(Waker)];
  std::size_t len_ = 0;
};

}  // namespace eddy::detail
