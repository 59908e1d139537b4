// Counters kept by the I/O driver. Relaxed atomics: they are statistics, not synchronisation.
#pragma once

#include <cstdint>

#include "eddy/detail/sync.hpp"

namespace eddy::io {

class IoDriverMetrics {
 public:
  // Successful add_source calls.
  std::uint64_t fd_registered_count() const noexcept { return registered_.load(std::memory_order_relaxed); }
  // deregister_source calls, including those whose epoll_ctl(DEL) failed.
  std::uint64_t fd_deregistered_count() const noexcept { return deregistered_.load(std::memory_order_relaxed); }
  // Events dispatched to resources (the wake-up and signal tokens are not counted).
  std::uint64_t ready_count() const noexcept { return ready_.load(std::memory_order_relaxed); }
  // Registered now: registered minus deregistered.
  std::uint64_t fd_count() const noexcept { return fd_registered_count() - fd_deregistered_count(); }

  void incr_fd_count() noexcept { registered_.fetch_add(1, std::memory_order_relaxed); }
  void dec_fd_count() noexcept { deregistered_.fetch_add(1, std::memory_order_relaxed); }
  void incr_ready_count_by(std::uint64_t n) noexcept { ready_.fetch_add(n, std::memory_order_relaxed); }

 private:
  eddy::detail::sync::Atomic<std::uint64_t> registered_{0};
  eddy::detail::sync::Atomic<std::uint64_t> deregistered_{0};
  eddy::detail::sync::Atomic<std::uint64_t> ready_{0};
};

}  // namespace eddy::io
