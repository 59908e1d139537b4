// Finding a runtime's time driver: through the thread's Context (the running scheduler's
// driver::Handle), or a given driver::Handle. The time layer sits below the runtime and never
// sees the scheduler behind the handle.
#pragma once

#include <memory>

#include "eddy/detail/driver_handle.hpp"

namespace eddy::detail {

class TimeHandle;

// The current runtime's time driver, or null outside a runtime / without enable_time.
TimeHandle* try_current_time_handle() noexcept;
// The same, aborting with a message naming `what` when there is none.
std::shared_ptr<TimeHandle> current_time_handle(const char* what) noexcept;
// `driver`'s time driver, aborting with a message naming `what` when it has none.
std::shared_ptr<TimeHandle> time_handle_of(const driver::Handle& driver, const char* what) noexcept;

}  // namespace eddy::detail
