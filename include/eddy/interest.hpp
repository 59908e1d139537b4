// Interest: what a registration (or a waiter) wants to hear about.
#pragma once

#include <cstdint>
#include <optional>

namespace eddy {

class Interest {
 public:
  static const Interest READABLE;
  static const Interest WRITABLE;
  // Out-of-band / urgent data.
  static const Interest PRIORITY;
  // Error readiness only. Backends report errors whatever the registration, so registering
  // ERROR alone registers the fd for some readiness and the waiter's interest filters the rest.
  static const Interest ERROR;

  constexpr bool is_readable() const noexcept { return (bits_ & kReadable) != 0; }
  constexpr bool is_writable() const noexcept { return (bits_ & kWritable) != 0; }
  constexpr bool is_priority() const noexcept { return (bits_ & kPriority) != 0; }
  constexpr bool is_error() const noexcept { return (bits_ & kError) != 0; }

  constexpr Interest add(Interest other) const noexcept { return Interest(bits_ | other.bits_); }
  // The interest without `other`, or nullopt when nothing would be left (an empty interest
  // cannot be registered).
  constexpr std::optional<Interest> remove(Interest other) const noexcept {
    const auto rest = static_cast<std::uint8_t>(bits_ & ~other.bits_);
    if (rest == 0) return std::nullopt;
    return Interest(rest);
  }

  constexpr Interest operator|(Interest other) const noexcept { return add(other); }
  constexpr Interest& operator|=(Interest other) noexcept { return *this = add(other); }
  constexpr bool operator==(const Interest&) const noexcept = default;

  constexpr std::uint8_t bits() const noexcept { return bits_; }

 private:
  static constexpr std::uint8_t kReadable = 0x01;
  static constexpr std::uint8_t kWritable = 0x02;
  static constexpr std::uint8_t kPriority = 0x10;
  static constexpr std::uint8_t kError = 0x20;

  constexpr explicit Interest(std::uint8_t bits) noexcept : bits_(bits) {}

  std::uint8_t bits_;
};

inline constexpr Interest Interest::READABLE{Interest::kReadable};
inline constexpr Interest Interest::WRITABLE{Interest::kWritable};
inline constexpr Interest Interest::PRIORITY{Interest::kPriority};
inline constexpr Interest Interest::ERROR{Interest::kError};

}  // namespace eddy
