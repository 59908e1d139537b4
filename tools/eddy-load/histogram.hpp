// Histogram: latency samples in nanoseconds, counted in log-linear buckets.
//
// Values below 2^kSubBits are exact; above, each power of two is split into 2^(kSubBits-1)
// equal buckets, so a reported value is within 1/2^kSubBits (0.8%) of the sample. Recording is a
// count-leading-zeros, a shift and an increment into a fixed array: no allocation per sample.
#pragma once

#include <array>
#include <cstdint>

namespace eddy_load {

class Histogram {
 public:
  static constexpr unsigned kSubBits = 7;
  static constexpr std::uint64_t kSubCount = std::uint64_t{1} << kSubBits;  // 128
  static constexpr std::uint64_t kHalf = kSubCount / 2;                      // 64 per octave
  // Values < 128 take indices 0..127; octave e (2^e <= v < 2^(e+1), e >= 7) takes 64 more.
  static constexpr std::size_t kBuckets = kSubCount + (64 - kSubBits) * kHalf;

  void record(std::uint64_t ns) noexcept {
    ++counts_[index_of(ns)];
    ++total_;
    if (ns > max_) max_ = ns;
    if (ns < min_) min_ = ns;
    sum_ += ns;
  }

  void reset() noexcept { *this = Histogram(); }
  void merge(const Histogram& o) noexcept;

  std::uint64_t count() const noexcept { return total_; }
  std::uint64_t max() const noexcept { return max_; }
  std::uint64_t min() const noexcept { return total_ == 0 ? 0 : min_; }
  double mean() const noexcept { return total_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(total_); }

  // The value at quantile q (0..1): the midpoint of the bucket holding the ceil(q*n)-th sample,
  // capped at the largest sample seen. 0 when empty.
  std::uint64_t quantile(double q) const noexcept;

  static std::size_t index_of(std::uint64_t v) noexcept {
    if (v < kSubCount) return static_cast<std::size_t>(v);
    const unsigned e = 63u - static_cast<unsigned>(__builtin_clzll(v));  // e >= kSubBits
    const unsigned shift = e - (kSubBits - 1);                           // keeps 7 top bits
    const std::uint64_t sub = (v >> shift) - kHalf;                      // 0..63
    return static_cast<std::size_t>(kSubCount + (e - kSubBits) * kHalf + sub);
  }
  // The smallest value of bucket `i`, and its width.
  static std::uint64_t lower_bound(std::size_t i) noexcept;
  static std::uint64_t width(std::size_t i) noexcept;

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t sum_ = 0;
};

}  // namespace eddy_load
