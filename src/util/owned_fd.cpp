#include "eddy/owned_fd.hpp"

#include <unistd.h>

namespace eddy {

void OwnedFd::reset() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

}  // namespace eddy
