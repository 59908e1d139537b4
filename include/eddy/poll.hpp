// Poll<T>: the result of polling something that may not be finished: a value, or Pending
// (nullopt). Whoever returns Pending has stored the caller's Waker and will wake it.
#pragma once

#include <optional>

namespace eddy {

template <class T>
using Poll = std::optional<T>;
inline constexpr std::nullopt_t Pending = std::nullopt;

}  // namespace eddy
