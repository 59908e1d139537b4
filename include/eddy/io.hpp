// The I/O driver layer: Driver, Handle, ScheduledIo, Registration and their value types.
#pragma once

#include "eddy/interest.hpp"
#include "eddy/io/driver.hpp"
#include "eddy/io/metrics.hpp"
#include "eddy/io/ready_event.hpp"
#include "eddy/io/registration.hpp"
#include "eddy/io/registration_set.hpp"
#include "eddy/io/scheduled_io.hpp"
#include "eddy/ready.hpp"
#include "eddy/waker.hpp"
