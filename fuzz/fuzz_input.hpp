// FuzzInput: reads a libFuzzer input as a sequence of small integers. Running out of bytes
// yields zeros, so every input is a valid (possibly short) operation sequence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>

namespace eddy_fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) noexcept : p_(data), end_(data + size) {}
  bool empty() const noexcept { return p_ == end_; }
  std::uint8_t byte() noexcept { return p_ == end_ ? 0 : *p_++; }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
  std::uint32_t u32() noexcept { return u16() | (static_cast<std::uint32_t>(u16()) << 16); }
  std::uint64_t u64() noexcept { return u32() | (static_cast<std::uint64_t>(u32()) << 32); }
  // 0 .. n-1
  unsigned below(unsigned n) noexcept { return byte() % n; }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

// A property of the target failed: report and abort, so libFuzzer records the input.
[[noreturn]] inline void fail(const char* what, int line) {
  std::fprintf(stderr, "fuzz property violated (line %d): %s\n", line, what);
  std::abort();
}

}  // namespace eddy_fuzz

#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond)) ::eddy_fuzz::fail(#cond, __LINE__); \
  } while (0)
