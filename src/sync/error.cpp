#include "eddy/sync/error.hpp"

#include <climits>
#include <string>

namespace eddy::sync {
namespace {

class SyncCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eddy.sync"; }
  std::string message(int ev) const override {
    switch (static_cast<SyncError>(ev)) {
      case SyncError::closed: return "closed (the other side was dropped or closed)";
      case SyncError::empty: return "nothing to receive";
      case SyncError::full: return "the channel is full";
      case SyncError::would_block: return "the operation would have to wait";
    }
    return "unknown eddy.sync error";
  }
};

class LaggedCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eddy.sync.lagged"; }
  std::string message(int ev) const override {
    return "receiver lagged behind and missed " + std::to_string(ev) + " message(s)";
  }
};

}  // namespace

const std::error_category& sync_category() noexcept {
  static const SyncCategory c;
  return c;
}

const std::error_category& lagged_category() noexcept {
  static const LaggedCategory c;
  return c;
}

std::error_code make_lagged_error(std::uint64_t missed) noexcept {
  const int v = missed > static_cast<std::uint64_t>(INT_MAX) ? INT_MAX : static_cast<int>(missed);
  return {v == 0 ? 1 : v, lagged_category()};
}

std::optional<std::uint64_t> lagged_count(std::error_code ec) noexcept {
  if (ec.category() != lagged_category()) return std::nullopt;
  return static_cast<std::uint64_t>(ec.value());
}

}  // namespace eddy::sync
