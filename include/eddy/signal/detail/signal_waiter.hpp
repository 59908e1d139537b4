// A signal listener waiting for the next delivery (see src/signal/registry.hpp). Lives in the
// awaiter, inside the awaiting coroutine's frame; linked into its signal's waiter list under the
// slot's mutex.
#pragma once

#include "eddy/detail/linked_list.hpp"
#include "eddy/waker.hpp"

namespace eddy::detail::signal {

struct WaiterTag {};

struct Waiter : ListHook<WaiterTag> {
  Waker waker;  // guarded by the slot's mutex
};

}  // namespace eddy::detail::signal
