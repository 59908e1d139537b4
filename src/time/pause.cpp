#include "eddy/time/clock.hpp"

#include "eddy/detail/fatal.hpp"
#include "eddy/yield_now.hpp"
#include "time/current.hpp"
#include "time/time_handle.hpp"

namespace eddy::time {

void pause() noexcept {
  auto t = detail::current_time_handle("eddy::time::pause");
  t->clock().pause();
  // Onto the driver's 1 ms grid (less than a tick forward), so that a sleep of whole
  // milliseconds started now ends exactly that much later.
  t->clock().advance_to(t->tick_to_instant(t->deadline_to_tick(t->now())));
}

void resume() noexcept { detail::current_time_handle("eddy::time::resume")->clock().resume(); }

bool is_paused() noexcept { return detail::current_time_handle("eddy::time::is_paused")->clock().is_paused(); }

Task<void> advance(Duration d) {
  if (!detail::current_time_handle("eddy::time::advance")->clock().advance(d)) {
    detail::fatal("eddy::time::advance needs a paused clock (Builder::start_paused or eddy::time::pause)");
  }
  co_await yield_now();
}

}  // namespace eddy::time
