#include "eddy/detail/fatal.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace eddy::detail {

void fatal(const char* message, int err) noexcept {
  if (err != 0) std::fprintf(stderr, "eddy: %s: %s\n", message, std::strerror(err));
  else std::fprintf(stderr, "eddy: %s\n", message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace eddy::detail
