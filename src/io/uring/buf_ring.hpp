// A provided-buffer ring (IORING_REGISTER_PBUF_RING) shared by every socket of one driver in
// io_uring socket mode: a multishot recv takes a buffer only when data arrives, so a connection
// waiting for data pins none.
//
// Invariants: every buffer is in exactly one place: in the kernel's ring (free), in a CQE not
// yet reaped, or queued on one stream (linked through next()) until a read consumes it, when
// recycle() gives it back. Owner thread of the io_uring only (no atomics, no lock); the kernel
// sees the tail through a release store (io_uring_buf_ring_advance). The memory is unmapped only
// after the ring is closed (Ring::close_ring), so the kernel never writes into freed buffers.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>

namespace eddy::io::uring {

class BufRing {
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

  // Gives buffer `bid` back to the kernel.
  void recycle(std::uint16_t bid) noexcept;
  // Buffers in the kernel's ring now (a figure for tests and metrics).
  unsigned free_count() const noexcept { return free_; }
  void note_taken() noexcept { --free_; }

 private:
  BufRing() = default;
  io_uring_buf_ring* br_ = nullptr;
  std::size_t br_bytes_ = 0;
  std::byte* mem_ = nullptr;
  std::size_t mem_bytes_ = 0;
  unsigned count_ = 0;
  unsigned size_ = 0;
  unsigned free_ = 0;
  std::unique_ptr<std::uint16_t[]> next_;
  std::unique_ptr<std::uint32_t[]> len_;
};

}  // namespace eddy::io::uring
