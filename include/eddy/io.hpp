// The I/O driver's public face: the value types an AsyncFd user (or a poll-style integration)
// handles, and the driver's metrics. The driver itself (Driver, Handle, RegistrationSet, the
// backend) is private to the library; ScheduledIo and Registration sit in io/detail because the
// inline fast paths of the socket and AsyncFd templates need them, not for users to call.
#pragma once

#include "eddy/interest.hpp"
#include "eddy/io/metrics.hpp"
#include "eddy/io/ready_event.hpp"
#include "eddy/ready.hpp"
#include "eddy/waker.hpp"
