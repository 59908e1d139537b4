// Ready: the readiness a resource has been seen to have.
#pragma once

#include <cstdint>

#include "eddy/interest.hpp"

namespace eddy {

class Ready {
 public:
  static const Ready EMPTY;
  static const Ready READABLE;
  static const Ready WRITABLE;
  static const Ready READ_CLOSED;
  static const Ready WRITE_CLOSED;
  static const Ready PRIORITY;
  static const Ready ERROR;
  static const Ready ALL;

  constexpr Ready() noexcept = default;

  // Bits outside ALL are dropped.
  static constexpr Ready from_bits(std::uint32_t bits) noexcept {
    return Ready(static_cast<std::uint16_t>(bits & kAll));
  }

  // The readiness that can satisfy `interest`: READABLE -> R|RC, WRITABLE -> W|WC,
  // PRIORITY -> PRI|RC, ERROR -> ERR (a closed read side satisfies a reader: reading it
  // returns EOF at once).
  static constexpr Ready from_interest(Interest interest) noexcept {
    std::uint16_t r = 0;
    if (interest.is_readable()) r |= kReadable | kReadClosed;
    if (interest.is_writable()) r |= kWritable | kWriteClosed;
    if (interest.is_priority()) r |= kPriority | kReadClosed;
    if (interest.is_error()) r |= kError;
    return Ready(r);
  }

  constexpr bool is_empty() const noexcept { return bits_ == 0; }
  // Readable includes READ_CLOSED, writable includes WRITE_CLOSED.
  constexpr bool is_readable() const noexcept { return (bits_ & (kReadable | kReadClosed)) != 0; }
  constexpr bool is_writable() const noexcept { return (bits_ & (kWritable | kWriteClosed)) != 0; }
  constexpr bool is_read_closed() const noexcept { return (bits_ & kReadClosed) != 0; }
  constexpr bool is_write_closed() const noexcept { return (bits_ & kWriteClosed) != 0; }
  constexpr bool is_priority() const noexcept { return (bits_ & kPriority) != 0; }
  constexpr bool is_error() const noexcept { return (bits_ & kError) != 0; }

  constexpr bool contains(Ready other) const noexcept { return (bits_ & other.bits_) == other.bits_; }
  constexpr Ready intersection(Interest interest) const noexcept {
    return *this & from_interest(interest);
  }
  constexpr bool satisfies(Interest interest) const noexcept {
    return !intersection(interest).is_empty();
  }

  constexpr Ready operator|(Ready o) const noexcept { return Ready(bits_ | o.bits_); }
  constexpr Ready operator&(Ready o) const noexcept { return Ready(bits_ & o.bits_); }
  constexpr Ready operator-(Ready o) const noexcept { return Ready(bits_ & ~o.bits_); }
  constexpr Ready& operator|=(Ready o) noexcept { return *this = *this | o; }
  constexpr Ready& operator&=(Ready o) noexcept { return *this = *this & o; }
  constexpr Ready& operator-=(Ready o) noexcept { return *this = *this - o; }
  constexpr bool operator==(const Ready&) const noexcept = default;

  constexpr std::uint16_t bits() const noexcept { return bits_; }

 private:
  static constexpr std::uint16_t kReadable = 0x01;
  static constexpr std::uint16_t kWritable = 0x02;
  static constexpr std::uint16_t kReadClosed = 0x04;
  static constexpr std::uint16_t kWriteClosed = 0x08;
  static constexpr std::uint16_t kPriority = 0x10;
  static constexpr std::uint16_t kError = 0x20;
  static constexpr std::uint16_t kAll =
      kReadable | kWritable | kReadClosed | kWriteClosed | kPriority | kError;

  constexpr explicit Ready(std::uint32_t bits) noexcept : bits_(static_cast<std::uint16_t>(bits)) {}

  std::uint16_t bits_ = 0;
};

inline constexpr Ready Ready::EMPTY{0u};
inline constexpr Ready Ready::READABLE{Ready::kReadable};
inline constexpr Ready Ready::WRITABLE{Ready::kWritable};
inline constexpr Ready Ready::READ_CLOSED{Ready::kReadClosed};
inline constexpr Ready Ready::WRITE_CLOSED{Ready::kWriteClosed};
inline constexpr Ready Ready::PRIORITY{Ready::kPriority};
inline constexpr Ready Ready::ERROR{Ready::kError};
inline constexpr Ready Ready::ALL{Ready::kAll};

}  // namespace eddy
