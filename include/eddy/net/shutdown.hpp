// Shutdown: which direction(s) of a connection shutdown() closes.
#pragma once

namespace eddy::net {

enum class Shutdown { Read, Write, Both };

// The how argument of shutdown(2).
constexpr int to_shut_how(Shutdown how) noexcept { return how == Shutdown::Read ? 0 : how == Shutdown::Write ? 1 : 2; }

}  // namespace eddy::net
