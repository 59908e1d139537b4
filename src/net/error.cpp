#include "eddy/net/error.hpp"

#include <netdb.h>

#include <string>

namespace eddy::net {

namespace {

class NetCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eddy.net"; }
  std::string message(int ev) const override {
    switch (static_cast<NetError>(ev)) {
      case NetError::unexpected_eof:
        return "unexpected end of stream";
    }
    return "unknown eddy.net error";
  }
};

class GaiCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int ev) const override { return ::gai_strerror(ev); }
};

}  // namespace

const std::error_category& net_category() noexcept {
  static const NetCategory c;
  return c;
}

const std::error_category& gai_category() noexcept {
  static const GaiCategory c;
  return c;
}

}  // namespace eddy::net
