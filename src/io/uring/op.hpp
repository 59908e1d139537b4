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

 private:
  friend class Ring;
  int res_ = 0;
  bool done_ = false;
  bool cancel_sent_ = false;
  Waker waker_;
  std::shared_ptr<Op> ring_ref_;  // non-null exactly while the op is in the ring
};

}  // namespace eddy::io::uring
