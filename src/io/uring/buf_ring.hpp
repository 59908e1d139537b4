// A provided-buffer ring (IORING_REGISTER_PBUF_RING) shared by every socket of one driver in
// io_uring socket mode: a multishot recv takes a buffer only when data arrives, so a connection
// waiting for data pins none.
//
// Invariants: every buffer is in exactly one place: in the kernel's ring (free), in a CQE not
// yet reaped, queued on one stream (linked through next()) until a read consumes it, or lent
// to a net::RecvBuffer (counted in leased_) until the lease gives it back; recycle() puts it
// back in the kernel's ring. Owner thread of the io_uring only (no lock), except the lease
// return path, which any thread may take: a return off the owner thread goes through
// `remote_mu_` (the owner takes it back at the driver's next turn, woken through `wake_fd_`),
// and so does every return once the ring is closed (`orphaned_`). The kernel sees the tail
// through a release store (io_uring_buf_ring_advance). The memory is unmapped only after the
// ring is closed (Ring::close_ring -> retire) AND no lease is out, so the kernel never writes
// into freed buffers and no lease reads freed memory.
//
// Starvation: a multishot recv that found no buffer ends with ENOBUFS; its stream then waits
// here (wait_for_buffer) instead of re-arming into the same refusal, and every waiter is woken
// when a buffer comes back (recycle).
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>
#include <vector>

#include "eddy/detail/sync.hpp"
#include "eddy/detail/buffer_lender.hpp"
#include "eddy/waker.hpp"

namespace eddy::io::uring {

// A net::RecvBuffer lender (eddy::detail::BufferLender): a lease of one of its buffers gives
// it back through lease_return.
class BufRing final : public eddy::detail::BufferLender {
 public:
  static constexpr std::uint16_t kNone = 0xffff;  // "no buffer" in a link
  static constexpr std::uint16_t kGroup = 0;      // the buffer group id recv SQEs select from

  // Maps `count` buffers of `size` bytes (count: a power of two, at most 32768) and registers
  // them with `ring`. Pages are touched only when the kernel writes into them. Errors: the
  // kernel's (EINVAL: no provided-buffer rings before 5.19), or ENOMEM.
  static std::error_code create(io_uring& ring, unsigned count, unsigned size, std::unique_ptr<BufRing>& out);
  ~BufRing();
  BufRing(const BufRing&) = delete;
  BufRing& operator=(const BufRing&) = delete;

  std::byte* data(std::uint16_t bid) const noexcept { return mem_ + static_cast<std::size_t>(bid) * size_; }
  unsigned buffer_size() const noexcept { return size_; }
  unsigned count() const noexcept { return count_; }
  // Per-buffer link and length, for the per-stream queues (meaningful while queued).
  std::uint16_t& next(std::uint16_t bid) noexcept { return next_[bid]; }
  std::uint32_t& len(std::uint16_t bid) noexcept { return len_[bid]; }

  // Gives buffer `bid` back to the kernel, and wakes the streams waiting for a buffer.
  void recycle(std::uint16_t bid) noexcept {
    add_back(bid);
    if (!starved_.empty()) [[unlikely]] wake_starved();
  }
  // Buffers in the kernel's ring now (a figure for tests and metrics).
  unsigned free_count() const noexcept { return free_; }
  void note_taken() noexcept { --free_; }

  // --- leases (net::RecvBuffer) ---
  // The owner thread's tag (Ring::claim) and the fd whose write wakes its driver (the ring's
  // eventfd), for returns from other threads.
  void set_owner(const char* owner_tag, int wake_fd) noexcept {
    owner_ = owner_tag;
    wake_fd_ = wake_fd;
  }
  // Owner thread: a queued buffer becomes a lease (it stays out of the kernel's ring).
  void lease_out() noexcept { ++leased_; }
  // The Lender's release: gives lent buffer `bid` back, from any thread, at any time.
  static void lease_return(eddy::detail::BufferLender* self, std::byte* base, std::uint32_t bid) noexcept;
  // lease_return's path off the owner thread or after retire (under remote_mu_; may delete this).
  void return_locked(std::uint16_t bid) noexcept;
  // Buffers lent and not yet given back.
  unsigned leased_count() const noexcept { return leased_; }
  // Leases were returned off the owner thread (any thread; a hint).
  bool has_remote_returns() const noexcept { return remote_flag_.load(std::memory_order_relaxed); }
  // Owner thread: takes back what other threads returned.
  void take_remote_returns() noexcept {
    if (has_remote_returns()) take_remote_returns_slow();
  }
  // Called instead of destruction once the ring is closed (its kernel no longer names the
  // buffers): frees `b` now, or, while leases are out, leaves that to the last lease returned.
  static void retire(std::unique_ptr<BufRing> b) noexcept;

  // --- starvation ---
  // Owner thread: `w` is woken when a buffer comes back. `gen`/`idx` are the caller's slot
  // (0 at first), so that a stream polled again before that replaces its waker, not adds one.
  void wait_for_buffer(const Waker& w, std::uint32_t& gen, std::uint32_t& idx);

 private:
  BufRing() noexcept : BufferLender{&BufRing::lease_return} {}
  void add_back(std::uint16_t bid) noexcept;
  void wake_starved() noexcept;
  void take_remote_returns_slow() noexcept;
  io_uring_buf_ring* br_ = nullptr;
  std::size_t br_bytes_ = 0;
  std::byte* mem_ = nullptr;
  std::size_t mem_bytes_ = 0;
  unsigned count_ = 0;
  unsigned size_ = 0;
  unsigned free_ = 0;
  std::unique_ptr<std::uint16_t[]> next_;
  std::unique_ptr<std::uint32_t[]> len_;
  // Leases. leased_: owner thread only while the ring is open; under remote_mu_ once orphaned_.
  const char* owner_ = nullptr;
  int wake_fd_ = -1;
  unsigned leased_ = 0;
  eddy::detail::sync::Atomic<bool> orphaned_{false};     // retired with leases out (set under remote_mu_)
  eddy::detail::sync::Atomic<bool> remote_flag_{false};  // remote_ is not empty
  eddy::detail::sync::Mutex remote_mu_;
  std::vector<std::uint16_t> remote_;  // returned off the owner thread (under remote_mu_)
  // Streams waiting for a buffer; starved_gen_ changes every time they are all woken.
  std::vector<Waker> starved_;
  std::uint32_t starved_gen_ = 1;
};

}  // namespace eddy::io::uring
