// Counts every allocation of the benchmark program through replaced global operator new /
// delete: g_allocs. Include it from exactly one file of a benchmark executable (it defines the
// replacements), the one with the benchmarks that report allocations per operation.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include <benchmark/benchmark.h>

namespace {
std::atomic<std::uint64_t> g_allocs{0};

void* counted_alloc(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* counted_aligned_alloc(std::size_t n, std::align_val_t al) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  const auto a = static_cast<std::size_t>(al);
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new(std::size_t n, std::align_val_t al) { return counted_aligned_alloc(n, al); }
void* operator new[](std::size_t n, std::align_val_t al) { return counted_aligned_alloc(n, al); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {
// Reports allocations per iteration of the enclosing benchmark (allocs_per_op) beside the
// number expected by design (expected_per_op).
class AllocScope {
 public:
  explicit AllocScope(benchmark::State& s, double expected_per_op) : s_(s), expected_(expected_per_op) {
    start_ = g_allocs.load(std::memory_order_relaxed);
  }
  ~AllocScope() {
    const double n = static_cast<double>(g_allocs.load(std::memory_order_relaxed) - start_);
    const double it = s_.iterations() == 0 ? 1.0 : static_cast<double>(s_.iterations());
    s_.counters["allocs_per_op"] = n / it;
    s_.counters["expected_per_op"] = expected_;
  }
  AllocScope(const AllocScope&) = delete;
  AllocScope& operator=(const AllocScope&) = delete;

 private:
  benchmark::State& s_;
  double expected_;
  std::uint64_t start_;
};
}  // namespace
