// Compiled as a file of the io layer: runtime is above io, so this must not compile.
#include "runtime/driver.hpp"

int eddy_probe_io_includes_runtime() { return 0; }
