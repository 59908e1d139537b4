// eddy's own error values. I/O errors from the kernel are reported as std::errc / system
// errors; the conditions below are the ones eddy itself produces, each distinct so that callers
// can tell a shutdown from a cancellation from a timeout.
#pragma once

#include <string>
#include <system_error>

namespace eddy {

enum class Error {
  // The runtime (its I/O driver) is shutting down or has shut down. Every waiter still pending
  // when the driver shuts down gets this, and so does every wait started afterwards.
  shutdown = 1,
  // The operation was cancelled (an aborted task, a cancelled join).
  cancelled,
  // A deadline passed before the operation finished (eddy::time::timeout).
  timed_out,
  // An operation that needs a runtime was used outside of one.
  no_runtime,
  // The runtime was built without the I/O driver.
  io_disabled,
  // The end of a file came before the whole buffer was read (fs::File::read_exact_at).
  unexpected_eof,
  // A write wrote nothing while bytes were left to write (fs::File::write_all_at).
  write_zero,
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(Error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace eddy

template <>
struct std::is_error_code_enum<eddy::Error> : std::true_type {};
