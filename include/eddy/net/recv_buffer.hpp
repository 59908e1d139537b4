// RecvBuffer: a move-only lease of received bytes, what `co_await stream.read_buf()` gives
// (TcpStream, UnixStream and their read halves). The bytes are in a buffer the lease owns; the
// reader looks at them (data()/size()/bytes()), may consume them from the front, and the buffer
// goes back to where it came from when the lease is destroyed or reset().
//
// Who owns the bytes when:
// - io_uring completion mode (Builder::io_backend): the lease IS the provided buffer the kernel
//   received into (no copy). From the CQE until the read the buffer is queued on the stream; from
//   the read until the lease is gone it is the lease's; then it goes back to the driver's buffer
//   ring. While held it pins one buffer of that shared pool (Builder::uring_recv_buffers): a
//   reader that holds many leases can run the pool dry. Then every stream's multishot recv ends
//   with ENOBUFS (no data is lost: the bytes stay in the socket) and is re-armed when a buffer
//   comes back, so streams wait, not spin. Give leases back promptly.
// - epoll readiness mode: the bytes were recv'd into a buffer of kRecvBufferSize bytes from a
//   small per-thread pool; the lease owns it, and destroying the lease gives it back to the pool
//   of the thread that destroys it (or frees it).
//
// A lease may outlive its stream and its runtime (the memory stays valid: a driver closed with
// leases out keeps its buffer memory until the last is gone), and may be destroyed on any
// thread. A completion-mode lease destroyed off the runtime's thread is handed back to the ring
// at the driver's next turn (the driver is woken for it).
//
// An empty lease from read_buf() means end of stream (as read()'s 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "eddy/detail/buffer_lender.hpp"

namespace eddy::net {

// Capacity of an epoll-mode read_buf() buffer (a completion-mode lease is at most one provided
// buffer: Builder::uring_recv_buffers' size, 4 KiB by default).
inline constexpr std::size_t kRecvBufferSize = 4096;

class RecvBuffer {
 public:
  // Who takes a buffer back (the I/O layers that lend buffers derive from it): see
  // eddy/detail/buffer_lender.hpp.
  using Lender = eddy::detail::BufferLender;

  // Empty: owns nothing.
  RecvBuffer() noexcept = default;
  RecvBuffer(RecvBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        off_(std::exchange(o.off_, 0)),
        lender_(std::exchange(o.lender_, nullptr)),
        tag_(o.tag_) {}
  RecvBuffer& operator=(RecvBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      off_ = std::exchange(o.off_, 0);
      lender_ = std::exchange(o.lender_, nullptr);
      tag_ = o.tag_;
    }
    return *this;
  }
  RecvBuffer(const RecvBuffer&) = delete;
  RecvBuffer& operator=(const RecvBuffer&) = delete;
  ~RecvBuffer() { reset(); }

  // The bytes not yet consumed. The lease may change them in place (nobody else looks at them).
  std::byte* data() noexcept { return data_; }
  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::span<std::byte> bytes() noexcept { return {data_, size_}; }
  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  // Holds a buffer (a lease may hold one with no bytes left after consume()).
  bool holds_buffer() const noexcept { return lender_ != nullptr; }

  // Drops the first min(n, size()) bytes (partial consumption); the buffer stays held.
  void consume(std::size_t n) noexcept {
    if (n > size_) n = size_;
    data_ += n;
    off_ += static_cast<std::uint32_t>(n);
    size_ -= static_cast<std::uint32_t>(n);
  }
  // Keeps only the first min(n, size()) bytes.
  void truncate(std::size_t n) noexcept {
    if (n < size_) size_ = static_cast<std::uint32_t>(n);
  }
  // Gives the buffer back now; the lease is empty afterwards.
  void reset() noexcept {
    if (lender_ != nullptr) {
      Lender* l = std::exchange(lender_, nullptr);
      l->release(l, data_ - off_, tag_);
    }
    data_ = nullptr;
    size_ = off_ = 0;
  }

  // For the I/O layers that lend buffers, not for users: a lease of `size` bytes at `base + off`,
  // given back with `lender->release(lender, base, tag)`.
  static RecvBuffer from_parts(std::byte* base, std::uint32_t off, std::uint32_t size, Lender* lender,
                               std::uint32_t tag) noexcept {
    RecvBuffer b;
    b.data_ = base + off;
    b.size_ = size;
    b.off_ = off;
    b.lender_ = lender;
    b.tag_ = tag;
    return b;
  }

 private:
  std::byte* data_ = nullptr;
  std::uint32_t size_ = 0;
  std::uint32_t off_ = 0;  // bytes consumed before data_ (data_ - off_ is the buffer's start)
  Lender* lender_ = nullptr;
  std::uint32_t tag_ = 0;
};

}  // namespace eddy::net
