// Compiled as a file of the time layer: the runtime is above time, so this must not compile.
#include "runtime/current_thread.hpp"

int eddy_probe_time_includes_runtime() { return 0; }
