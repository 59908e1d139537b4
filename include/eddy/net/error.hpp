// Errors produced by eddy::net itself (the kernel's own errors are std::system_category codes):
// - NetError::unexpected_eof: read_exact met the end of the stream before the buffer was full.
// - resolver errors (getaddrinfo's EAI_* codes) in gai_category(), with gai_strerror's text.
#pragma once

#include <system_error>

namespace eddy::net {

enum class NetError {
  // The peer closed its write side before read_exact had filled the buffer.
  unexpected_eof = 1,
};

const std::error_category& net_category() noexcept;
inline std::error_code make_error_code(NetError e) noexcept { return {static_cast<int>(e), net_category()}; }

// getaddrinfo's error codes (EAI_NONAME, EAI_AGAIN, ...). EAI_SYSTEM is reported as errno
// instead, in std::system_category().
const std::error_category& gai_category() noexcept;

}  // namespace eddy::net

template <>
struct std::is_error_code_enum<eddy::net::NetError> : std::true_type {};
