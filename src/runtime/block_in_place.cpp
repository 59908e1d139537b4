// block_in_place's runtime side: asks the scheduler running on this thread to hand its core to
// another thread (SchedulerShared::hand_off_core) and to take it back afterwards. Invariant:
// a guard that handed a core off reclaims it (or learns it is gone) exactly once, on the thread
// that handed it off.
#include "eddy/block_in_place.hpp"

#include "runtime/scheduler.hpp"

namespace eddy::detail {

BlockInPlaceGuard::BlockInPlaceGuard() noexcept : budget_(context().budget) {
  Context& ctx = context();
  if (ctx.scheduler != nullptr && ctx.core != nullptr && ctx.task != nullptr) {
    auto* s = static_cast<SchedulerShared*>(ctx.scheduler);
    SchedulerCore* core = ctx.core;
    if (s->hand_off_core(*core)) {
      scheduler_ = s;
      core_ = core;
    }
  }
  ctx.budget = kUnconstrained;
}

BlockInPlaceGuard::~BlockInPlaceGuard() {
  if (scheduler_ != nullptr) static_cast<SchedulerShared*>(scheduler_)->reclaim_core(*core_);
  context().budget = budget_;
}

}  // namespace eddy::detail
