#include "eddy/time/instant.hpp"

#include "time/current.hpp"
#include "time/time_handle.hpp"

namespace eddy::time {

Instant Instant::now() noexcept {
  if (detail::TimeHandle* t = detail::try_current_time_handle()) return t->now();
  return Instant(Clock::now());
}

}  // namespace eddy::time
