// The send side of a stream socket in io_uring completion mode (net/uring_socket.hpp): its one send
// op, which carries either a copying write's bytes or an owned write's buffer, by SEND or, for a
// large write on a kernel that has it, by SEND_ZC. docs/io-uring.md, "Sockets", says why.
//
// Invariants (owner thread only, as for the whole socket):
// - One send in the ring at a time, so bytes go out in the order of the writes: a write (or a
//   direct send, try_write) that finds the op in the ring waits for its last CQE.
// - The kernel reads only `buf` (a copy of the writer's bytes) or `owned` (the writer's own
//   buffer, moved in): both belong to the op, which the ring holds from SQE to last CQE. For
//   SEND_ZC the last CQE is the notification (IORING_CQE_F_NOTIF), after which the kernel no
//   longer reads the bytes: the op keeps them until then, and so does the ring's shutdown.
// - SEND_ZC is used for sends of at least kSendZcMin bytes until a notification says the kernel
//   copied the bytes anyway (IORING_NOTIF_USAGE_ZC_COPIED: loopback, or a device without
//   scatter-gather); from then on that socket uses SEND. Only TCP sockets use it: the kernel
//   refuses SEND_ZC on a Unix socket (EOPNOTSUPP, nothing sent; zero copy is a per-protocol
//   feature, SOCK_SUPPORT_ZC, which AF_UNIX lacks), so a Unix stream always uses SEND.
// - `seq`/`claimed` tell a writer's own result (its ticket) from one whose writer is gone. An
//   owned write whose writer is gone (owned_abandoned, or claimed while not in the ring) has
//   its buffer freed at its last CQE, or at once if that came already.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "eddy/io/metrics.hpp"
#include "eddy/net/owned_buffer.hpp"
#include "io/uring/op.hpp"

namespace eddy::net::detail {

class UringSendOp final : public io::uring::Op {
 public:
  explicit UringSendOp(io::IoDriverMetrics& m) noexcept : metrics(&m) {}
  bool in_ring() const noexcept { return Op::in_ring(); }

  // A copying write: its bytes (reused from one write to the next).
  std::unique_ptr<std::byte[]> buf;
  std::size_t cap = 0;
  // An owned write: the writer's buffer, from its submission until the writer takes it back.
  OwnedBuffer owned;
  bool owned_abandoned = false;  // its writer is gone: free `owned` at the last CQE
  int send_res = 0;              // the send's result (>= 0 or -errno), once its CQE came
  bool zc_copies = false;        // a SEND_ZC notification said "copied" (or not TCP): SEND from now on
  bool zc_checked = false;       // the socket's family was asked (zc_allowed, uring_send.cpp)
  std::uint64_t seq = 0;         // the ticket of the latest submission (counts them; never 0)
  std::uint64_t poll_ticket = 0; // the ticket of poll-style writers (poll_write)
  bool claimed = true;           // its result was taken (or dropped)
  io::IoDriverMetrics* metrics;

 protected:
  void on_cqe(int res, unsigned flags, bool more) noexcept override;
};

// For bench/send_bench.cpp, which measures the crossover: the smallest send made with SEND_ZC
// when the ring has it (0: the default, kSendZcMin in uring_send.cpp), and whether a socket
// keeps using SEND_ZC after the kernel said it copied the bytes anyway (default: no). Read
// (relaxed) at each send.
void set_send_zc_for_bench(std::size_t min, bool keep_when_copied) noexcept;

}  // namespace eddy::net::detail
