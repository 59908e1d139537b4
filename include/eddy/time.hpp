// eddy::time: Instant, sleep, sleep_until, timeout, interval, and the paused clock for tests.
// Needs a runtime built with Builder::enable_time() (or enable_all()).
#pragma once

#include "eddy/time/clock.hpp"
#include "eddy/time/instant.hpp"
#include "eddy/time/interval.hpp"
#include "eddy/time/sleep.hpp"
#include "eddy/time/timeout.hpp"
