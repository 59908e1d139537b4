#include "eddy/error.hpp"

namespace eddy {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "eddy"; }
  std::string message(int ev) const override {
    switch (static_cast<Error>(ev)) {
      case Error::shutdown: return "the eddy runtime is shutting down";
      case Error::cancelled: return "operation cancelled";
      case Error::timed_out: return "operation timed out";
      case Error::no_runtime: return "no eddy runtime is running on this thread";
      case Error::io_disabled: return "the eddy runtime was built without I/O (call enable_io)";
      case Error::unexpected_eof: return "unexpected end of file";
      case Error::write_zero: return "a write wrote no bytes";
    }
    return "unknown eddy error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace eddy
