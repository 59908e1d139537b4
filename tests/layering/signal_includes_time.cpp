// Compiled as a file of the signal layer: time is above signal, so this must not compile.
#include "time/time_handle.hpp"

int eddy_probe_signal_includes_time() { return 0; }
