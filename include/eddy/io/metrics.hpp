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

  // io_uring (zero without a ring): operations submitted, completed (their CQE reaped), in
  // flight now, cancels submitted, CQ overflows handled, and fallbacks to epoll + the blocking
  // pool because the kernel refused the ring (at most 1 per runtime).
  std::uint64_t uring_submitted_count() const noexcept { return u_submitted_.load(std::memory_order_relaxed); }
  std::uint64_t uring_completed_count() const noexcept { return u_completed_.load(std::memory_order_relaxed); }
  std::uint64_t uring_in_flight() const noexcept { return uring_submitted_count() - uring_completed_count(); }
  std::uint64_t uring_cancelled_count() const noexcept { return u_cancelled_.load(std::memory_order_relaxed); }
  std::uint64_t uring_overflow_count() const noexcept { return u_overflow_.load(std::memory_order_relaxed); }
  std::uint64_t uring_fallback_count() const noexcept { return u_fallback_.load(std::memory_order_relaxed); }
  // Socket sends made with IORING_OP_SEND_ZC (large writes, when the kernel has it), and how many
  // of their notifications said the kernel copied the bytes after all (IORING_NOTIF_USAGE_ZC_COPIED:
  // loopback always does, when it delivers to the local socket).
  std::uint64_t uring_send_zc_count() const noexcept { return u_send_zc_.load(std::memory_order_relaxed); }
  std::uint64_t uring_send_zc_copied_count() const noexcept {
    return u_send_zc_copied_.load(std::memory_order_relaxed);
  }

  void incr_uring_submitted() noexcept { u_submitted_.fetch_add(1, std::memory_order_relaxed); }
  void incr_uring_completed_by(std::uint64_t n) noexcept { u_completed_.fetch_add(n, std::memory_order_relaxed); }
  void incr_uring_cancelled() noexcept { u_cancelled_.fetch_add(1, std::memory_order_relaxed); }
  void incr_uring_overflow() noexcept { u_overflow_.fetch_add(1, std::memory_order_relaxed); }
  void incr_uring_fallback() noexcept { u_fallback_.fetch_add(1, std::memory_order_relaxed); }
  void incr_uring_send_zc() noexcept { u_send_zc_.fetch_add(1, std::memory_order_relaxed); }
  void incr_uring_send_zc_copied() noexcept { u_send_zc_copied_.fetch_add(1, std::memory_order_relaxed); }

  void incr_fd_count() noexcept { registered_.fetch_add(1, std::memory_order_relaxed); }
  void dec_fd_count() noexcept { deregistered_.fetch_add(1, std::memory_order_relaxed); }
  void incr_ready_count_by(std::uint64_t n) noexcept { ready_.fetch_add(n, std::memory_order_relaxed); }

 private:
  eddy::detail::sync::Atomic<std::uint64_t> registered_{0};
  eddy::detail::sync::Atomic<std::uint64_t> deregistered_{0};
  eddy::detail::sync::Atomic<std::uint64_t> ready_{0};
  eddy::detail::sync::Atomic<std::uint64_t> u_submitted_{0};
  eddy::detail::sync::Atomic<std::uint64_t> u_completed_{0};
  eddy::detail::sync::Atomic<std::uint64_t> u_cancelled_{0};
  eddy::detail::sync::Atomic<std::uint64_t> u_overflow_{0};
  eddy::detail::sync::Atomic<std::uint64_t> u_fallback_{0};
  eddy::detail::sync::Atomic<std::uint64_t> u_send_zc_{0};
  eddy::detail::sync::Atomic<std::uint64_t> u_send_zc_copied_{0};
};

}  // namespace eddy::io
