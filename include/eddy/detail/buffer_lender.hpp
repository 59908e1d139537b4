// BufferLender: what a lent receive buffer (net::RecvBuffer) calls to go back to its owner. A
// lower layer (io: the io_uring provided-buffer ring) lends buffers to a higher one's API (net),
// so the hook lives here, below both. Invariant: `release` is called at most once per lease, on
// any thread, with the lender, the buffer's start and the tag the lease was made with.
#pragma once

#include <cstddef>
#include <cstdint>

namespace eddy::detail {

struct BufferLender {
  void (*release)(BufferLender* self, std::byte* base, std::uint32_t tag) noexcept;
};

}  // namespace eddy::detail
