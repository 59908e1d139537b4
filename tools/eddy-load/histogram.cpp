#include "histogram.hpp"

#include <algorithm>
#include <cmath>

namespace eddy_load {

std::uint64_t Histogram::lower_bound(std::size_t i) noexcept {
  if (i < kSubCount) return i;
  const std::size_t k = i - kSubCount;
  const unsigned e = kSubBits + static_cast<unsigned>(k / kHalf);
  const std::uint64_t sub = k % kHalf;
  return (kHalf + sub) << (e - (kSubBits - 1));
}

std::uint64_t Histogram::width(std::size_t i) noexcept {
  if (i < kSubCount) return 1;
  const unsigned e = kSubBits + static_cast<unsigned>((i - kSubCount) / kHalf);
  return std::uint64_t{1} << (e - (kSubBits - 1));
}

void Histogram::merge(const Histogram& o) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
  total_ += o.total_;
  sum_ += o.sum_;
  max_ = std::max(max_, o.max_);
  min_ = std::min(min_, o.min_);
}

std::uint64_t Histogram::quantile(double q) const noexcept {
  if (total_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total_)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t mid = lower_bound(i) + width(i) / 2;
      return std::min(std::max(mid, min()), max_);
    }
  }
  return max_;
}

}  // namespace eddy_load
