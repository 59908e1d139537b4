// Epoll-mode read_buf (net::RecvBuffer): the read, and the per-thread pool it reads into: a few
// kRecvBufferSize-byte buffers kept for reuse, so that a read-and-release loop allocates nothing
// after its first read.
//
// Invariants: a pool belongs to one thread and is touched only by it (no lock); a buffer is in
// at most one pool or lease; a lease destroyed on any thread goes to that thread's pool, or is
// freed when the pool is full or already destroyed (thread exit); a destroyed pool frees what it
// holds, so nothing leaks.
#include <cstddef>
#include <new>
#include <utility>

#include "eddy/net/detail/poll_evented.hpp"
#include "eddy/net/recv_buffer.hpp"

namespace eddy::net::detail {

namespace {

constexpr unsigned kPoolKeep = 8;  // buffers kept per thread (32 KiB)

struct RecvPool {
  std::byte* free[kPoolKeep] = {};
  unsigned n = 0;
  bool dead = false;
  ~RecvPool() {
    for (unsigned i = 0; i < n; ++i) ::operator delete(free[i]);
    n = 0;
    dead = true;
  }
};

thread_local RecvPool tl_pool;

void pool_release(eddy::detail::BufferLender* /*self*/, std::byte* base, std::uint32_t /*tag*/) noexcept {
  RecvPool& p = tl_pool;
  if (!p.dead && p.n < kPoolKeep) {
    p.free[p.n++] = base;
  } else {
    ::operator delete(base);
  }
}

// One lender for every thread's pool: a lease goes back to the pool of the thread that drops it.
eddy::detail::BufferLender g_pool_lender{&pool_release};

}  // namespace

Result<RecvBuffer> pool_recv_buffer() noexcept {
  RecvPool& p = tl_pool;
  std::byte* b = nullptr;
  if (p.n > 0) {
    b = p.free[--p.n];
  } else {
    b = static_cast<std::byte*>(::operator new(kRecvBufferSize, std::nothrow));
    if (b == nullptr) return std::make_error_code(std::errc::not_enough_memory);
  }
  return RecvBuffer::from_parts(b, 0, static_cast<std::uint32_t>(kRecvBufferSize), &g_pool_lender, 0);
}

Result<std::size_t> recv_into_pool_buffer(int fd, RecvBuffer& buf) noexcept {
  if (!buf.holds_buffer()) {
    auto b = pool_recv_buffer();
    if (!b) return b.error();
    buf = std::move(*b);
  }
  return sys_recv(fd, MutableBuffer(buf.data(), kRecvBufferSize), 0);
}

Result<RecvBuffer> lease_of(const Result<std::size_t>& r, RecvBuffer& buf) noexcept {
  if (!r) return r.error();
  if (*r == 0) return RecvBuffer();  // end of stream
  buf.truncate(*r);
  return std::move(buf);
}

Result<RecvBuffer> PollEvented::try_read_buf_readiness() noexcept {
  RecvBuffer buf;
  // Not known ready (or the driver is gone): would-block, as try_read says.
  Result<std::size_t> r = try_stream(
      Interest::READABLE, [&] { return recv_into_pool_buffer(fd_, buf); },
      []() -> Result<std::size_t> { return io::would_block_error(); });
  return lease_of(r, buf);
}

// poll_read's path, receiving into a pool buffer taken when the socket is ready; a read of
// n > 0 bytes hands it over, truncated to n; otherwise it goes back to the pool here.
Poll<Result<RecvBuffer>> PollEvented::poll_read_buf_readiness(const Waker& waker) noexcept {
  RecvBuffer buf;
  Poll<Result<std::size_t>> r = poll_stream(
      waker, io::Direction::Read, kRecvBufferSize,
      [&] { return recv_into_pool_buffer(fd_, buf); },
      [] { return Poll<Result<std::size_t>>(Result<std::size_t>(Error::shutdown)); });
  if (r.is_pending()) return Pending;
  return lease_of(*r, buf);
}

bool PollEvented::wait_read_buf_readiness(const Waker& waker) noexcept {
  return reg_->scheduled_io().wait_if_pending(waker, io::Direction::Read);
}

}  // namespace eddy::net::detail
