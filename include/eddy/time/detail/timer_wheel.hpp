// TimerWheel: a hierarchical timing wheel (6 levels x 64 slots, 1 tick = 1 ms by convention of
// its owner; the wheel itself only sees integer ticks).
//
// A slot at level L covers 64^L ticks, so level L spans 64^(L+1) ticks and the whole wheel
// 2^36 ticks (about 2.2 years at 1 ms). An entry lives at the level given by the highest bit in
// which its deadline differs from `elapsed` (the tick the wheel has processed up to), in the slot
// given by its deadline's 6 bits at that level. Deadlines further out than the top level's span
// are parked in the top level as if it were a ring; when their slot comes round they are simply
// re-inserted (possibly into the top level again).
//
// Invariants (checked by the wheel's unit tests):
// - every linked entry has when > elapsed, except entries in `pending`, which are due;
// - for level L < 5 every occupied slot lies strictly after elapsed's own slot at that level,
//   and all of level L's slots come before any of level L+1's, so the earliest deadline is found
//   by looking at the lowest occupied level;
// - a slot's start is never after the deadline of any entry in it.
//
// Insert and remove are O(1): an entry records its level and slot, and each level keeps a 64-bit
// occupancy mask (finding the next slot is a rotate and a count of trailing zeros).
//
// Not thread-safe: the owner (TimeHandle) guards it with its mutex. Entries are intrusive and
// never owned; the wheel never allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <system_error>

#include "eddy/detail/sync.hpp"
#include "eddy/waker.hpp"

namespace eddy::detail {

// One timer. It lives in its owner (a Sleep, usually inside the awaiting coroutine's frame).
struct TimerEntry {
  // State as seen by the owner without the lock. Transitions:
  //   kIdle -> kRegistered            (owner, under the time handle's lock)
  //   kRegistered -> kIdle            (owner cancels, under the lock)
  //   kRegistered -> kFired/kShutdown (driver, under the lock; the driver's last touch)
  //   kFired/kShutdown -> kIdle       (owner resets it)
  static constexpr std::uint8_t kIdle = 0;
  static constexpr std::uint8_t kRegistered = 1;
  static constexpr std::uint8_t kFired = 2;
  static constexpr std::uint8_t kShutdown = 3;

  // Deadline tick. Guarded by the owner's lock while linked.
  std::uint64_t when = 0;
  // Where the entry is linked (kPendingLevel: the due list). Guarded by the lock.
  std::uint8_t level = 0;
  std::uint8_t slot = 0;
  sync::Atomic<std::uint8_t> state{kIdle};
  // Whom to wake when it fires. Guarded by the lock.
  Waker waker;

  // The wheel's own doubly-linked slot lists (not IntrusiveList: the wheel moves whole slots in
  // O(1), which that list cannot). Guarded by the lock.
  TimerEntry* prev_in_slot = nullptr;
  TimerEntry* next_in_slot = nullptr;
  bool linked = false;
  bool is_linked() const noexcept { return linked; }
};

class TimerWheel {
 public:
  static constexpr unsigned kLevels = 6;
  static constexpr unsigned kSlotBits = 6;
  static constexpr unsigned kSlots = 1u << kSlotBits;
  // Ticks spanned by the whole wheel.
  static constexpr std::uint64_t kMaxSpan = std::uint64_t{1} << (kLevels * kSlotBits);
  static constexpr std::uint8_t kPendingLevel = 0xff;

  TimerWheel() noexcept = default;
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // The tick processed up to: every deadline <= elapsed() has been handed out by poll.
  std::uint64_t elapsed() const noexcept { return elapsed_; }
  // Linked entries (including due ones not yet popped).
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // Links `e`, whose `when` must be > elapsed() (callers fire earlier deadlines themselves).
  void insert(TimerEntry& e) noexcept;
  // Unlinks `e` if it is linked (in this wheel). O(1).
  void remove(TimerEntry& e) noexcept;

  // The earliest tick at which poll() can return an entry, or nullopt when the wheel is empty.
  // Can be earlier than every real deadline (a slot's start, or a top-level ring lap), never
  // later: the caller wakes, polls, gets nothing, and asks again.
  std::optional<std::uint64_t> next_expiration() const noexcept;

  // Unlinks and returns one entry whose deadline is <= now, in deadline order, or null when
  // there is none; then elapsed() becomes max(elapsed(), now).
  TimerEntry* poll(std::uint64_t now) noexcept;

  // Unlinks and returns any entry, or null when empty (shutdown).
  TimerEntry* pop_any() noexcept;

  // The level an entry due at `when` goes to when the wheel has processed up to `elapsed`.
  static unsigned level_for(std::uint64_t elapsed, std::uint64_t when) noexcept;
  // Its slot at that level.
  static unsigned slot_for(std::uint64_t when, unsigned level) noexcept {
    return static_cast<unsigned>((when >> (level * kSlotBits)) & (kSlots - 1));
  }

 private:
  // A FIFO of entries (equal deadlines fire in registration order).
  struct List {
    TimerEntry* head = nullptr;
    TimerEntry* tail = nullptr;
    bool empty() const noexcept { return head == nullptr; }
    void push_back(TimerEntry& e) noexcept;
    void remove(TimerEntry& e) noexcept;
    TimerEntry* pop_front() noexcept;
    // Moves all of `other` to the back of this list (entries stay linked).
    void append(List& other) noexcept;
  };
  struct Level {
    std::uint64_t occupied = 0;
    std::array<List, kSlots> slots;
  };
  struct Expiration {
    unsigned level;
    unsigned slot;
    std::uint64_t deadline;  // the slot's start
  };

  std::optional<Expiration> next_expiration_at(unsigned level) const noexcept;
  std::optional<Expiration> next_slot() const noexcept;
  // Moves elapsed to the slot's start and redistributes its entries (due ones to pending).
  void process(const Expiration& exp) noexcept;

  std::uint64_t elapsed_ = 0;
  std::size_t size_ = 0;
  std::array<Level, kLevels> levels_;
  List pending_;
};

}  // namespace eddy::detail
