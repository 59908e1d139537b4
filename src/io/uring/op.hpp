// One io_uring operation's state, heap-owned so that no coroutine frame is ever named by the
// kernel. Invariant: while an operation is in the ring (between its SQE and its CQE) the ring
// holds a reference to it (`ring_ref`), so its buffer, paths and result outlive the coroutine
// that submitted it, whatever happens to that coroutine. Only the ring's owner thread touches an
// Op that is in the ring (see ring.hpp).
#pragma once

#include <memory>

#include "eddy/waker.hpp"

namespace eddy::io::uring {

class Ring;

class Op {
 public:
  Op() = default;
  Op(const Op&) = delete;
  Op& operator=(const Op&) = delete;
  virtual ~Op() = default;

  bool done() const noexcept { return done_; }
  // The CQE's result: >= 0, or -errno. Valid once done().
  int result() const noexcept { return res_; }
  // Keeps `w` to be woken by the completion. Owner thread only.
  void set_waker(const Waker& w) noexcept { waker_.clone_from(w); }
  void clear_waker() noexcept { waker_ = Waker(); }

 protected:
  // Called by the ring (owner thread) for every CQE of this op, before the ring's own
  // bookkeeping. `more` is IORING_CQE_F_MORE: a multishot op (accept, recv) that stays in the
  // ring; without it this is the op's last CQE, after which the ring stores `res`, marks the op
  // done, wakes the waiter and drops its reference. Must not drop the last reference to the op.
  virtual void on_cqe(int /*res*/, unsigned /*flags*/, bool /*more*/) noexcept {}
  // In the ring now (SQE prepared, last CQE not reaped).
  bool in_ring() const noexcept { return ring_ref_ != nullptr; }

 private:
  friend class Ring;
  int res_ = 0;
  bool done_ = false;
  bool cancel_sent_ = false;
  Waker waker_;
  std::shared_ptr<Op> ring_ref_;  // non-null exactly while the op is in the ring
  // Set when the kernel refused the op's SQE (Ring::fail_unsubmitted): the op is on the ring's
  // list of refused ops, to be completed with -failed_errno_ at the next reap.
  Op* failed_next_ = nullptr;
  int failed_errno_ = 0;
};

}  // namespace eddy::io::uring
