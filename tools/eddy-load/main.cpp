// eddy-load: a TCP echo load generator built on eddy (see options.cpp for the options, or run
// it with --help). One current-thread runtime; one task per connection.
#include <csignal>
#include <cstdio>
#include <string>

#include "eddy/runtime.hpp"
#include "load.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  eddy_load::Options opts;
  std::string message;
  int code = 0;
  if (!eddy_load::parse_options(argc, argv, opts, message, code)) {
    std::fputs(message.c_str(), code == 0 ? stdout : stderr);
    if (!message.empty() && message.back() != '\n') std::fputc('\n', code == 0 ? stdout : stderr);
    return code;
  }
  std::signal(SIGPIPE, SIG_IGN);  // a server that goes away shows up as EPIPE, not a dead process

  auto rt = eddy::Builder::new_current_thread().enable_all().build();
  if (!rt) {
    std::fprintf(stderr, "eddy-load: cannot build the runtime: %s\n", rt.error().message().c_str());
    return 1;
  }
  return rt->block_on(eddy_load::run_load(opts));
}
