// Pattern: the bytes one connection sends, as an endless stream with a per-connection period.
//
// Byte i of connection c's stream is table_c[i % kPeriod], where table_c is pseudo-random from c.
// Echoed bytes are checked against the same stream at the same offset, so a lost, duplicated,
// reordered or corrupted byte, or bytes from another connection, are caught. The period is prime
// so that it never lines up with message sizes. The table is stored kPeriod + `span` bytes long,
// so that any `span` consecutive stream bytes are one contiguous slice (no copying to send).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace eddy_load {

class Pattern {
 public:
  static constexpr std::size_t kPeriod = 251;

  Pattern(std::uint64_t seed, std::size_t span) : span_(span), bytes_(new std::byte[kPeriod + span]) {
    std::uint64_t x = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
    for (std::size_t i = 0; i < kPeriod; ++i) {
      // splitmix64
      x += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      bytes_[i] = static_cast<std::byte>((z ^ (z >> 31)) & 0xff);
    }
    for (std::size_t i = kPeriod; i < kPeriod + span; ++i) bytes_[i] = bytes_[i - kPeriod];
  }

  // The stream from `offset` on; valid for span() bytes.
  const std::byte* at(std::uint64_t offset) const noexcept { return bytes_.get() + offset % kPeriod; }
  std::size_t span() const noexcept { return span_; }

  // True when `data` (at most span() bytes) equals the stream at `offset`.
  bool matches(std::uint64_t offset, const std::byte* data, std::size_t n) const noexcept {
    return std::memcmp(at(offset), data, n) == 0;
  }

 private:
  std::size_t span_;
  std::unique_ptr<std::byte[]> bytes_;
};

}  // namespace eddy_load
