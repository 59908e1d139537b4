// Loud failure for conditions that are programmer bugs or broken invariants, never for I/O errors
// (those are values; see eddy/error.hpp).
#pragma once

namespace eddy::detail {

// Prints "eddy: <message>" (plus strerror(err) when err != 0) to stderr and aborts.
[[noreturn]] void fatal(const char* message, int err = 0) noexcept;

}  // namespace eddy::detail
