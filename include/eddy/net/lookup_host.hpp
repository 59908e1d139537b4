// lookup_host: resolves "host:port" to socket addresses without blocking the runtime's thread.
//
//   auto addrs = co_await eddy::net::lookup_host("localhost:8080");  // Result<vector<SocketAddr>>
//
// Literal addresses ("127.0.0.1:80", "[::1]:80") are parsed at once. Names go to getaddrinfo
// on the blocking pool (spawn_blocking). Errors: std::errc::invalid_argument for malformed
// input (no port, port out of range, unterminated bracket); resolver failures in
// net::gai_category() (EAI_NONAME for an unknown name, ...); Error::shutdown if the runtime
// shuts down first.
//
// Cancellation: destroying the awaiting coroutine drops the result; a lookup already handed to
// the blocking pool still runs to completion there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eddy/net/socket_addr.hpp"
#include "eddy/result.hpp"
#include "eddy/task.hpp"

namespace eddy::net {

Task<Result<std::vector<SocketAddr>>> lookup_host(std::string host_and_port);
Task<Result<std::vector<SocketAddr>>> lookup_host(std::string host, std::uint16_t port);

}  // namespace eddy::net
