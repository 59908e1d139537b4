// Compiled as a file of the runtime layer: fs is above the runtime, so this must not compile.
#include "fs/op.hpp"

int eddy_probe_runtime_includes_fs() { return 0; }
