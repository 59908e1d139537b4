// A stream socket in io_uring completion mode (Builder::io_backend): its multishot op (recv for a
// stream, accept for a listener), what that op delivered and no read has taken yet, and its
// send op. docs/io-uring.md, "Sockets", says why each choice below was made.
//
// Invariants (all on the ring's owner thread, which is the runtime's block_on thread, or, on
// the multi-thread runtime, under the shared ring's lock: SocketLock below):
// - Data order: only the multishot recv takes bytes from the socket while it is armed; the
//   buffers it fills are queued here in CQE order (head..tail, linked through the BufRing) and
//   reads copy from the head, or lend it whole (read_buf: a net::RecvBuffer, returned to the
//   BufRing by the lease). A read waiting for data pins no buffer; a destroyed read loses
//   nothing (the queue belongs to the socket, not to the read).
// - Memory: the kernel writes only into provided buffers (BufRing) and reads only from the send
//   op's own bytes (net/uring_send.hpp: a copy, or an owned buffer moved in). Each op is
//   heap-owned and held by the ring from SQE to last CQE (io/uring/op.hpp), so no coroutine
//   frame or freed buffer is ever named by the kernel.
// - One send in the ring at a time (net/uring_send.hpp): a send whose writer was destroyed still
//   completes (its bytes are the op's, so they go out in order); the next write waits for it.
// - Detached (the socket closed): queued buffers went back to the BufRing, the ops were asked to
//   cancel; a CQE arriving later recycles its buffer or closes its accepted fd.
// - No epoll registration: the socket's bytes and connections reach it through its CQEs only
//   (its PollEvented holds a detached registration, io::Registration::detached). It joins epoll
//   (`readiness`) the first time its readiness is asked for (readable(), writable(), ready(),
//   peek, poll_*_ready); until then no readiness event is ever dispatched for it and it holds no
//   ScheduledIo of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <system_error>
#include <type_traits>
#include <vector>

#include "eddy/io/detail/registration.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"
#include "eddy/waker.hpp"
#include "io/uring/buf_ring.hpp"
#include "io/uring/op.hpp"
#include "io/uring/ring.hpp"
#include "net/uring_send.hpp"

namespace eddy::net::detail {

// A listener's accepted fds not yet taken, oldest at `head`.
struct AcceptQueue {
  std::vector<int> fds;
  std::size_t head = 0;
};

// What few sockets need, made on first need in a block of its own (UringSocket::rare_state),
// so that an idle stream does not carry it: a listener's queue (made with the listener), the
// late epoll registration, and the slot of a recv waiting for a provided buffer.
struct UringSocketRare {
  AcceptQueue accepted;  // listener only
  // The epoll registration made when the socket's readiness is first asked for (null before):
  // readiness waits only; its bytes still come through the ring.
  std::unique_ptr<io::Registration> readiness;
  // recv: the BufRing wait slot of a recv that ended with ENOBUFS (see `nobufs`).
  std::uint32_t starved_gen = 0;
  std::uint32_t starved_idx = 0;
};

class UringSocket final : public io::uring::Op {
 public:
  UringSocket(io::uring::Ring& r, int socket_fd, bool is_listener)
      : fd(socket_fd), ring(&r), bufs(r.buffers()), listener(is_listener) {
    if (listener) rare = std::make_unique<UringSocketRare>();
  }
  ~UringSocket() override;
  bool in_ring() const noexcept { return Op::in_ring(); }
  // The late epoll registration, or null.
  io::Registration* readiness() const noexcept { return rare ? rare->readiness.get() : nullptr; }
  UringSocketRare& rare_state() {
    if (!rare) rare = std::make_unique<UringSocketRare>();
    return *rare;
  }

  // First: it fills Op's tail padding (Op is not a POD, so a derived class may use it).
  int fd;
  io::uring::Ring* ring;
  io::uring::BufRing* bufs;
  bool listener;
  bool detached = false;
  bool eof = false;  // recv: the peer's FIN came (after every queued byte)
  // recv: the last arm ended with ENOBUFS (no provided buffer left); it is re-armed only once
  // the BufRing has a buffer again (until then the reader waits there: rare->starved_gen/idx).
  bool nobufs = false;
  int err = 0;       // the last error the multishot op ended with (errno), until taken
  // Stream: received buffers not yet read (BufRing links); head_off bytes of head already read.
  std::uint16_t head = io::uring::BufRing::kNone;
  std::uint16_t tail = io::uring::BufRing::kNone;
  std::uint32_t head_off = 0;
  std::unique_ptr<UringSocketRare> rare;  // see UringSocketRare; always made for a listener
  // Stream: the send op, made by the first write (it keeps the send tickets).
  std::shared_ptr<UringSendOp> send;

 protected:
  void on_cqe(int res, unsigned flags, bool more) noexcept override;
};
// Every connection in completion mode holds one (in make_shared's block, with the 16-byte
// control block): at 120 bytes the block takes one 144-byte malloc chunk (at 136 it took 160,
// at 160 it took 192). Keep rarely used state out of it: the send tickets live in the send op,
// the rest in UringSocketRare.
static_assert(sizeof(UringSocket) <= 120, "UringSocket grew: see the comment above");

// Every completion-mode call on a shared ring holds one: the hot calls through off_owner_thread
// (below), the rare ones (accept, close, the late epoll registration, an abandoned owned write)
// directly, which on the current-thread runtime's ring (one thread, its owner) costs a test of
// a null pointer. The multi-thread runtime's rings are shared
// by the workers (io/uring/ring_set.hpp): the socket's state, its ops and the provided buffers
// are then touched only under its ring's lock, whichever worker runs the socket's task (a
// stream's two halves may run on two workers at once), and the reaper takes the same lock.
// Releasing it gives SQEs this call prepared to the kernel at once when the ring is not the
// calling worker's own (that ring's worker, which would flush them at its next park, may be
// asleep); a worker's own ring is flushed, batched, before it parks or polls the driver.
class SocketLock {
 public:
  explicit SocketLock(const UringSocket& s) noexcept : ring_(s.ring), m_(s.ring->shared_lock()) {
    if (m_ != nullptr) [[unlikely]] m_->lock();
  }
  ~SocketLock() {
    if (m_ != nullptr) [[unlikely]] unlock_shared(*ring_, *m_);
  }
  SocketLock(const SocketLock&) = delete;
  SocketLock& operator=(const SocketLock&) = delete;

 private:
  static void unlock_shared(io::uring::Ring& ring, eddy::detail::sync::Mutex& m) noexcept;
  io::uring::Ring* ring_;
  eddy::detail::sync::Mutex* m_;
};

// The socket's ring is a shared one (the multi-thread runtime): its calls take SocketLock.
inline bool shared_ring(const UringSocket& s) noexcept { return s.ring->shared_lock() != nullptr; }

// Owner thread only, checked on every completion-mode call: a current-thread runtime whose
// block_on later runs on another thread cannot enter its ring (SINGLE_ISSUER).
inline std::error_code not_owner() noexcept { return std::make_error_code(std::errc::operation_not_supported); }
template <class T>
Poll<Result<T>> refused_off_owner(std::type_identity<Poll<Result<T>>>) noexcept {
  return Result<T>(not_owner());
}
template <class T>
Result<T> refused_off_owner(std::type_identity<Result<T>>) noexcept {
  return not_owner();
}

// The hot completion-mode calls first test Ring::owner_thread_here() (the current-thread
// runtime's owner: the test they always made) and run their body at once; everything else comes
// here, out of line: a shared ring's call runs its body under SocketLock, and a call on another
// thread than an owner-mode ring's owner is refused. So the current-thread path keeps the code
// it had before the multi-thread runtime had sockets. (A SocketLock in each hot call cost 36
// user-space instructions per echo round trip there, and a separate shared-ring test, with the
// bodies out of line, 31: callgrind, same run.)
template <class F>
[[gnu::noinline]] auto off_owner_thread(const UringSocket& s, F f) noexcept -> decltype(f()) {
  if (!shared_ring(s)) return refused_off_owner(std::type_identity<decltype(f())>{});
  SocketLock lock(s);
  return f();
}

// Shared by the read side (uring_socket.cpp) and the send side (uring_send.cpp).
inline std::error_code errno_code(int e) noexcept { return {e, std::system_category()}; }
// Every byte of `bufs` (a ring op is not limited to kMaxIoVecs, unlike vectored_len).
template <class Buffer>
std::size_t total_len(std::span<const Buffer> bufs) noexcept {
  std::size_t n = 0;
  for (const auto& b : bufs) n += b.size();
  return n;
}

// Arms the multishot accept if needed; the next accepted fd (SOCK_NONBLOCK|SOCK_CLOEXEC), its
// error, or Pending with `waker` kept. Ready values take one unit of budget.
Poll<Result<int>> uring_poll_accept(const std::shared_ptr<UringSocket>& s, const Waker& waker) noexcept;

// Completion-mode state for stream socket `fd` on `handle`'s driver, or null when the socket must
// stay in readiness mode: the driver does not run sockets on the ring, or the calling thread
// does not run that runtime (and so cannot own its ring, or, on the multi-thread runtime, is
// not one of its workers, whose ring the socket joins for life), or the ring is closed.
std::shared_ptr<UringSocket> make_uring_socket(const std::shared_ptr<io::Handle>& handle, int fd, bool listener);

// Detaches `s` from its socket (PollEvented::close, before the fd is closed).
void uring_close(UringSocket& s) noexcept;

}  // namespace eddy::net::detail
