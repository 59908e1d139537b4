// Finding a runtime's time driver (aborting with a clear message when there is none).
#pragma once

#include <memory>

#include "eddy/runtime.hpp"

namespace eddy::detail {

class TimeHandle;

// The current runtime's time driver, or null outside a runtime / without enable_time.
TimeHandle* try_current_time_handle() noexcept;
// The same, aborting with a message naming `what` when there is none.
std::shared_ptr<TimeHandle> current_time_handle(const char* what) noexcept;
std::shared_ptr<TimeHandle> time_handle_of(const RuntimeHandle& rt, const char* what) noexcept;

}  // namespace eddy::detail
