// driver::Handle: how any code reaches a runtime's drivers (I/O, signal, time and its clock).
// Always through the runtime's scheduler handle (Scheduler::driver(), found through the thread's
// Context or a RuntimeHandle), never through the scheduler's internals; the schedulers and the
// driver layers only meet here.
//
// Built once by the runtime (src/runtime/driver.cpp) and immutable afterwards, so any thread may
// read it without a lock. A member is null when the runtime was built without that driver.
#pragma once

#include <memory>

namespace eddy::io {
class Handle;  // src/io/driver.hpp
}

namespace eddy::detail {

class TimeHandle;    // src/time/time_handle.hpp
class SignalHandle;  // src/signal/signal_handle.hpp
class Clock;         // src/time/clock.hpp
class ParkThread;    // src/util/park_thread.hpp

namespace driver {

struct Handle {
  std::shared_ptr<io::Handle> io;          // null without enable_io
  std::shared_ptr<ParkThread> park_thread; // the bottom layer without I/O (else null)
  std::shared_ptr<SignalHandle> signal;    // null without I/O
  std::shared_ptr<TimeHandle> time;        // null without enable_time

  // The runtime's clock (the time driver's; null without it). Defined in the time layer.
  Clock* clock() const noexcept;

  // Wakes the thread parked on the driver stack from any thread: the time driver notes it (a
  // paused clock must not jump past a wake), then the layer at the bottom (the I/O driver or
  // the thread parker) is woken. Never blocks. Defined in the runtime layer.
  void unpark() const noexcept;
};

}  // namespace driver
}  // namespace eddy::detail
