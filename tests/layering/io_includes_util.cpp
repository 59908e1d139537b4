// Compiled as a file of the io layer: util is below io, so this must compile.
#include "util/wake_list.hpp"

int eddy_probe_io_includes_util() { return 0; }
