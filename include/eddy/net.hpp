// eddy::net: TCP, UDP and Unix domain sockets on the I/O driver, plus name resolution.
#pragma once

#include "eddy/net/buffer.hpp"
#include "eddy/net/error.hpp"
#include "eddy/net/ip_addr.hpp"
#include "eddy/net/lookup_host.hpp"
#include "eddy/net/shutdown.hpp"
#include "eddy/net/socket_addr.hpp"
#include "eddy/net/split.hpp"
#include "eddy/net/tcp_listener.hpp"
#include "eddy/net/tcp_socket.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/net/ucred.hpp"
#include "eddy/net/udp_socket.hpp"
#include "eddy/net/unix_datagram.hpp"
#include "eddy/net/unix_listener.hpp"
#include "eddy/net/unix_socket_addr.hpp"
#include "eddy/net/unix_stream.hpp"
