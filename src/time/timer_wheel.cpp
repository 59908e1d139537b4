#include "eddy/time/detail/timer_wheel.hpp"

#include <bit>
#include <cassert>

namespace eddy::detail {

void TimerWheel::List::push_back(TimerEntry& e) noexcept {
  e.next_in_slot = nullptr;
  e.prev_in_slot = tail;
  if (tail) tail->next_in_slot = &e;
  else head = &e;
  tail = &e;
  e.linked = true;
}

void TimerWheel::List::remove(TimerEntry& e) noexcept {
  if (e.prev_in_slot) e.prev_in_slot->next_in_slot = e.next_in_slot;
  else head = e.next_in_slot;
  if (e.next_in_slot) e.next_in_slot->prev_in_slot = e.prev_in_slot;
  else tail = e.prev_in_slot;
  e.prev_in_slot = e.next_in_slot = nullptr;
  e.linked = false;
}

TimerEntry* TimerWheel::List::pop_front() noexcept {
  TimerEntry* e = head;
  if (e != nullptr) remove(*e);
  return e;
}

void TimerWheel::List::append(List& other) noexcept {
  if (other.head == nullptr) return;
  if (tail) {
    tail->next_in_slot = other.head;
    other.head->prev_in_slot = tail;
  } else {
    head = other.head;
  }
  tail = other.tail;
  other.head = other.tail = nullptr;
}

unsigned TimerWheel::level_for(std::uint64_t elapsed, std::uint64_t when) noexcept {
  // The low bits are forced on so that a deadline in elapsed's own level-0 block gives level 0.
  std::uint64_t masked = (elapsed ^ when) | (kSlots - 1);
  // Beyond the wheel's span: the top level, used as a ring.
  if (masked >= kMaxSpan) masked = kMaxSpan - 1;
  const unsigned significant = 63u - static_cast<unsigned>(std::countl_zero(masked));
  return significant / kSlotBits;
}

void TimerWheel::insert(TimerEntry& e) noexcept {
  assert(e.when > elapsed_);
  const unsigned level = level_for(elapsed_, e.when);
  const unsigned slot = slot_for(e.when, level);
  e.level = static_cast<std::uint8_t>(level);
  e.slot = static_cast<std::uint8_t>(slot);
  levels_[level].slots[slot].push_back(e);
  levels_[level].occupied |= std::uint64_t{1} << slot;
  ++size_;
}

void TimerWheel::remove(TimerEntry& e) noexcept {
  if (!e.is_linked()) return;
  if (e.level == kPendingLevel) {
    pending_.remove(e);
  } else {
    Level& lv = levels_[e.level];
    List& list = lv.slots[e.slot];
    list.remove(e);
    if (list.empty()) lv.occupied &= ~(std::uint64_t{1} << e.slot);
  }
  --size_;
}

std::optional<TimerWheel::Expiration> TimerWheel::next_expiration_at(unsigned level) const noexcept {
  const std::uint64_t occupied = levels_[level].occupied;
  if (occupied == 0) return std::nullopt;
  const unsigned shift = level * kSlotBits;
  const std::uint64_t slot_range = std::uint64_t{1} << shift;
  const std::uint64_t level_range = slot_range << kSlotBits;
  // The first occupied slot after elapsed's own, wrapping round; elapsed's own slot comes last.
  // Below the top level neither elapsed's slot nor earlier ones can be occupied (an entry's slot
  // is after elapsed's); at the top level they hold far-future entries for the next lap.
  const unsigned first = (slot_for(elapsed_, level) + 1) & (kSlots - 1);
  const unsigned pos = static_cast<unsigned>(std::countr_zero(std::rotr(occupied, static_cast<int>(first))));
  const unsigned slot = (pos + first) & (kSlots - 1);
  const std::uint64_t level_start = elapsed_ & ~(level_range - 1);
  std::uint64_t deadline = level_start + slot * slot_range;
  if (deadline <= elapsed_) deadline += level_range;
  return Expiration{level, slot, deadline};
}

std::optional<TimerWheel::Expiration> TimerWheel::next_slot() const noexcept {
  // Every slot of a lower level comes before every slot of a higher one (see the invariants).
  for (unsigned level = 0; level < kLevels; ++level) {
    if (auto exp = next_expiration_at(level)) return exp;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> TimerWheel::next_expiration() const noexcept {
  if (!pending_.empty()) return elapsed_;
  if (auto exp = next_slot()) return exp->deadline;
  return std::nullopt;
}

void TimerWheel::process(const Expiration& exp) noexcept {
  assert(exp.deadline > elapsed_);
  elapsed_ = exp.deadline;
  Level& lv = levels_[exp.level];
  lv.occupied &= ~(std::uint64_t{1} << exp.slot);
  List& list = lv.slots[exp.slot];
  if (exp.level == 0) {
    // A level-0 slot is one tick: all of it is due. Moved wholesale.
    for (TimerEntry* e = list.head; e != nullptr; e = e->next_in_slot) e->level = kPendingLevel;
    pending_.append(list);
    return;
  }
  // Take the whole slot first: a far-future entry of the top level can go back into this very
  // slot (for a later lap), and must not be seen again in this pass.
  TimerEntry* e = list.head;
  list.head = list.tail = nullptr;
  while (e != nullptr) {
    TimerEntry* next = e->next_in_slot;
    if (e->when <= elapsed_) {
      e->level = kPendingLevel;
      pending_.push_back(*e);
    } else {
      --size_;  // insert counts it again
      insert(*e);
    }
    e = next;
  }
}

TimerEntry* TimerWheel::poll(std::uint64_t now) noexcept {
  for (;;) {
    if (TimerEntry* e = pending_.pop_front()) {
      --size_;
      return e;
    }
    auto exp = next_slot();
    if (!exp || exp->deadline > now) {
      if (now > elapsed_) elapsed_ = now;
      return nullptr;
    }
    process(*exp);
  }
}

TimerEntry* TimerWheel::pop_any() noexcept {
  if (TimerEntry* e = pending_.pop_front()) {
    --size_;
    return e;
  }
  for (Level& lv : levels_) {
    while (lv.occupied != 0) {
      const unsigned slot = static_cast<unsigned>(std::countr_zero(lv.occupied));
      List& list = lv.slots[slot];
      TimerEntry* e = list.pop_front();
      if (list.empty()) lv.occupied &= ~(std::uint64_t{1} << slot);
      if (e != nullptr) {
        --size_;
        return e;
      }
    }
  }
  return nullptr;
}

}  // namespace eddy::detail
