// eddy::sync::Barrier: n tasks wait until all n have arrived, then all continue.
//
//   Barrier b(3);
//   auto r = co_await b.wait();      // BarrierWaitResult
//   if (r.is_leader()) { ... }       // exactly one of each group of n is the leader
//
// The barrier is reusable: after n arrivals release a generation, the next n wait() calls form
// the next one. Barrier(0) behaves as Barrier(1).
//
// Thread safety: wait() may be awaited from any thread.
//
// Cancellation: destroying a coroutine suspended in `co_await b.wait()` withdraws its arrival
// (the generation then needs another waiter to be released). Once its generation was released,
// destroying it changes nothing for the others.
#pragma once

#include <cstddef>
#include <cstdint>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/sync/detail/waiters.hpp"

namespace eddy::sync {

class BarrierWaitResult {
 public:
  explicit BarrierWaitResult(bool leader) noexcept : leader_(leader) {}
  bool is_leader() const noexcept { return leader_; }

 private:
  bool leader_;
};

class Barrier {
 public:
  explicit Barrier(std::size_t n) noexcept : n_(n == 0 ? 1 : n) {}
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  class [[nodiscard]] Wait : public eddy::detail::PollAwaiter<Wait, BarrierWaitResult> {
   public:
    explicit Wait(Barrier* b) noexcept : b_(b) {}
    Wait(const Wait&) = delete;
    Wait& operator=(const Wait&) = delete;
    ~Wait();
    Poll<BarrierWaitResult> poll(const Waker& w) noexcept;

   private:
    friend class Barrier;
    struct Node : detail::Waiter {
      bool queued = false;
    };
    Barrier* b_;
    Node node_;
    std::uint64_t gen_ = 0;
    bool arrived_ = false;  // touched only by the owner
  };

  // co_await: a BarrierWaitResult once n tasks are waiting (see the header comment).
  Wait wait() noexcept { return Wait(this); }

 private:
  detail::Lock lock_;
  std::size_t n_;
  std::size_t arrived_ = 0;
  std::uint64_t generation_ = 0;
  detail::WaiterList<Wait::Node> waiters_;
};

}  // namespace eddy::sync
