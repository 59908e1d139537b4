// IpAddr: an IPv4 or IPv6 address (no port), parsed from and formatted to text.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/result.hpp"

namespace eddy::net {

class IpAddr {
 public:
  enum class Family : std::uint8_t { V4, V6 };

  // 0.0.0.0
  constexpr IpAddr() noexcept = default;

  static constexpr IpAddr v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept {
    IpAddr ip;
    ip.bytes_ = {a, b, c, d};
    return ip;
  }
  static constexpr IpAddr v6(const std::array<std::uint8_t, 16>& octets) noexcept {
    IpAddr ip;
    ip.family_ = Family::V6;
    ip.bytes_ = octets;
    return ip;
  }
  static constexpr IpAddr v4_loopback() noexcept { return v4(127, 0, 0, 1); }
  static constexpr IpAddr v4_unspecified() noexcept { return v4(0, 0, 0, 0); }
  static constexpr IpAddr v6_loopback() noexcept {
    return v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  }
  static constexpr IpAddr v6_unspecified() noexcept { return v6({}); }

  // "127.0.0.1" or "::1" (no brackets, no port, no scope). Anything else, including
  // "1.2.3" and the empty string, gives std::errc::invalid_argument.
  static Result<IpAddr> parse(std::string_view text);

  constexpr Family family() const noexcept { return family_; }
  constexpr bool is_ipv4() const noexcept { return family_ == Family::V4; }
  constexpr bool is_ipv6() const noexcept { return family_ == Family::V6; }
  bool is_loopback() const noexcept;
  bool is_unspecified() const noexcept;

  // Network byte order. For V4 only the first 4 bytes are meaningful.
  constexpr const std::array<std::uint8_t, 16>& octets() const noexcept { return bytes_; }

  // "127.0.0.1", "::1" (RFC 5952 form, as inet_ntop writes it).
  std::string to_string() const;

  constexpr bool operator==(const IpAddr&) const noexcept = default;

 private:
  Family family_ = Family::V4;
  std::array<std::uint8_t, 16> bytes_{};
};

}  // namespace eddy::net
