// Compiled as a file of the runtime layer: net is above the runtime, so this must not compile.
#include "net/sys.hpp"

int eddy_probe_runtime_includes_net() { return 0; }
