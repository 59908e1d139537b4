// A fixed batch of wakers collected under a lock and woken after it is dropped.
#pragma once

#include <array>
#include <cstddef>
#include <utility>

#include "eddy/waker.hpp"

namespace eddy::io::detail {

class WakeList {
 public:
  static constexpr std::size_t kCapacity = 32;

  bool can_push() const noexcept { return len_ < kCapacity; }
  void push(Waker&& w) noexcept { wakers_[len_++] = std::move(w); }

  // Wakes and empties the batch. Call with no lock held.
  void wake_all() noexcept {
    for (std::size_t i = 0; i < len_; ++i) wakers_[i].wake();
    len_ = 0;
  }

  ~WakeList() { wake_all(); }

 private:
  std::array<Waker, kCapacity> wakers_;
  std::size_t len_ = 0;
};

}  // namespace eddy::io::detail
