// Fuzz target: TimerWheel operation sequences (insert, remove, poll, next_expiration, pop_any)
// against a reference model: a plain list of (deadline, id) pairs.
// Properties: size() always matches; poll(now) returns an entry exactly when the model has one
// due at `now`, and then one with the earliest deadline; next_expiration() is never later than
// the earliest deadline; elapsed() never goes back; every entry comes out exactly once.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "eddy/time/detail/timer_wheel.hpp"
#include "fuzz_input.hpp"

using eddy::detail::TimerEntry;
using eddy::detail::TimerWheel;

namespace {

constexpr unsigned kEntries = 16;
constexpr std::uint64_t kMaxTick = std::uint64_t{1} << 62;  // keeps elapsed + delta far from overflow

// A delta of a size class chosen by the input: within a slot, a level, several levels, or
// beyond the wheel's whole span.
std::uint64_t delta(eddy_fuzz::FuzzInput& in) {
  switch (in.below(5)) {
    case 0: return in.byte() % 4;
    case 1: return in.byte();
    case 2: return in.u16();
    case 3: return in.u32();
    default: return in.u64() % (TimerWheel::kMaxSpan * 4);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  eddy_fuzz::FuzzInput in(data, size);
  TimerWheel wheel;
  std::array<TimerEntry, kEntries> entries;
  std::array<std::optional<std::uint64_t>, kEntries> model{};  // deadline of each linked entry
  std::uint64_t last_elapsed = 0;

  auto earliest = [&]() -> std::optional<std::uint64_t> {
    std::optional<std::uint64_t> m;
    for (const auto& d : model) {
      if (d && (!m || *d < *m)) m = *d;
    }
    return m;
  };
  auto index_of = [&](TimerEntry* e) {
    const auto i = static_cast<std::size_t>(e - entries.data());
    FUZZ_CHECK(i < kEntries);
    return i;
  };
  auto count = [&] {
    return static_cast<std::size_t>(std::count_if(model.begin(), model.end(), [](auto& d) { return d.has_value(); }));
  };

  for (int step = 0; step < 512 && !in.empty(); ++step) {
    const unsigned op = in.below(6);
    const unsigned id = in.below(kEntries);
    switch (op) {
      case 0:
      case 1: {  // insert
        if (model[id]) break;
        const std::uint64_t when = wheel.elapsed() + 1 + delta(in);
        if (when >= kMaxTick) break;
        entries[id].when = when;
        wheel.insert(entries[id]);
        model[id] = when;
        break;
      }
      case 2:  // remove (also of an entry that is not linked: a no-op)
        wheel.remove(entries[id]);
        model[id].reset();
        break;
      case 3: {  // poll
        const std::uint64_t now = std::min(wheel.elapsed() + delta(in), kMaxTick);
        const auto first = earliest();
        TimerEntry* e = wheel.poll(now);
        if (first && *first <= now) {
          FUZZ_CHECK(e != nullptr);
          const auto i = index_of(e);
          FUZZ_CHECK(model[i].has_value());
          FUZZ_CHECK(e->when == *first);
          FUZZ_CHECK(!e->is_linked());
          model[i].reset();
        } else {
          FUZZ_CHECK(e == nullptr);
          FUZZ_CHECK(wheel.elapsed() == std::max(last_elapsed, now));
        }
        break;
      }
      case 4: {  // next_expiration
        const auto next = wheel.next_expiration();
        const auto first = earliest();
        FUZZ_CHECK(next.has_value() == first.has_value());
        if (next) FUZZ_CHECK(*next <= *first);
        break;
      }
      default: {  // pop_any
        TimerEntry* e = wheel.pop_any();
        if (count() == 0) {
          FUZZ_CHECK(e == nullptr);
        } else {
          FUZZ_CHECK(e != nullptr);
          const auto i = index_of(e);
          FUZZ_CHECK(model[i].has_value());
          model[i].reset();
        }
        break;
      }
    }
    FUZZ_CHECK(wheel.elapsed() >= last_elapsed);
    last_elapsed = wheel.elapsed();
    FUZZ_CHECK(wheel.size() == count());
  }

  // Drain: everything comes out once, in deadline order, by polling far enough ahead.
  std::uint64_t prev = 0;
  while (TimerEntry* e = wheel.poll(kMaxTick)) {
    const auto i = index_of(e);
    FUZZ_CHECK(model[i].has_value());
    FUZZ_CHECK(e->when >= prev);
    prev = e->when;
    model[i].reset();
  }
  FUZZ_CHECK(count() == 0 && wheel.empty());
  return 0;
}
