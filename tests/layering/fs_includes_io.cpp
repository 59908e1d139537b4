// Compiled as a file of the fs layer: io (the ring) is below fs, so this must compile.
#include "io/uring/ring.hpp"

int eddy_probe_fs_includes_io() { return 0; }
