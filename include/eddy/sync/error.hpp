// eddy::sync's error values: what a channel, semaphore or lock reports instead of throwing.
//
// Each is a distinct std::error_code (category "eddy.sync"), so a caller can tell "the other
// side is gone" from "try again later". A broadcast receiver that fell behind gets an error of
// its own category whose value is the number of messages it missed (see lagged_count()).
#pragma once

#include <cstdint>
#include <optional>
#include <system_error>

namespace eddy::sync {

enum class SyncError {
  // The channel or semaphore was closed, or every sender / the receiver was dropped.
  closed = 1,
  // A non-waiting receive found nothing to receive (the channel is still open).
  empty,
  // A non-waiting send found the bounded channel full (the channel is still open).
  full,
  // A non-waiting acquire (try_acquire, try_lock, try_read, try_write) would have had to wait.
  would_block,
};

const std::error_category& sync_category() noexcept;
const std::error_category& lagged_category() noexcept;

inline std::error_code make_error_code(SyncError e) noexcept { return {static_cast<int>(e), sync_category()}; }

// The error a lagging broadcast receiver gets: its value is how many messages it skipped
// (capped at INT32_MAX).
std::error_code make_lagged_error(std::uint64_t missed) noexcept;
// The number of messages a lagged error says were missed; nullopt for any other error.
std::optional<std::uint64_t> lagged_count(std::error_code ec) noexcept;

}  // namespace eddy::sync

template <>
struct std::is_error_code_enum<eddy::sync::SyncError> : std::true_type {};
