// Everything in eddy.
#pragma once

#include "eddy/async_fd.hpp"
#include "eddy/coop.hpp"
#include "eddy/error.hpp"
#include "eddy/interest.hpp"
#include "eddy/io.hpp"
#include "eddy/join_handle.hpp"
#include "eddy/owned_fd.hpp"
#include "eddy/poll.hpp"
#include "eddy/ready.hpp"
#include "eddy/result.hpp"
#include "eddy/runtime.hpp"
#include "eddy/task.hpp"
#include "eddy/waker.hpp"
