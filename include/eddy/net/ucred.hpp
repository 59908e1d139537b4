// UCred: the credentials of the process at the other end of a Unix stream socket, as the
// kernel recorded them when the connection was made (SO_PEERCRED): its process id, user id and
// group id. See UnixStream::peer_cred.
#pragma once

#include <sys/types.h>

#include <optional>

namespace eddy::net {

struct UCred {
  // The peer's pid; nullopt when the kernel does not know it (a peer in another pid
  // namespace it cannot name).
  std::optional<pid_t> pid;
  uid_t uid = 0;
  gid_t gid = 0;

  bool operator==(const UCred&) const noexcept = default;
};

}  // namespace eddy::net
