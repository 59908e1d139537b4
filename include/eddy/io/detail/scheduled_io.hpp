// ScheduledIo: the driver's per-resource state. One per registered fd; its address is the fd's
// epoll token.
//
// Invariants:
// - The readiness word packs the Ready bits, a per-resource tick and a sticky SHUTDOWN bit.
//   Every update is a CAS that starts from the current word, so SHUTDOWN, once set, survives
//   every later update (tokio drops it on a successful clear; see the regression tests).
// - A ScheduledIo whose token the kernel may still return is freed only by the driver, between
//   two polls (RegistrationSet owns one reference until then).
// - Wakers are never called with the waiter lock held: a woken task may destroy its waiter or
//   its resource, which takes that lock.
#pragma once

#include <cstdint>
#include <new>

#include "eddy/detail/linked_list.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/interest.hpp"
#include "eddy/io/detail/readiness_word.hpp"
#include "eddy/io/ready_event.hpp"
#include "eddy/ready.hpp"
#include "eddy/waker.hpp"

namespace eddy::io {

class Readiness;

namespace detail {
struct RegistrationListTag {};
struct WaiterListTag {};

// A list waiter: lives inside the object that waits (a Readiness future, and through it a
// coroutine frame), so its address is stable while it is linked.
struct Waiter : eddy::detail::ListHook<WaiterListTag> {
  Waker waker;
  Interest interest = Interest::READABLE;
  // Set by ScheduledIo::wake, under the waiter lock, when it unlinks this node.
  bool is_ready = false;
};
}  // namespace detail

// Padding against false sharing between resources that the driver and user threads touch: a
// driver shared by threads (the multi-thread runtime) gives each ScheduledIo 128 bytes of its
// own, aligned to 128 (two cache lines: x86's adjacent-line prefetcher pairs them). The
// current-thread runtime's resources are touched by one thread, and padding there costs about
// 155 bytes of memory per connection (the padding plus what an aligned allocation wastes), so
// its ScheduledIos are plain allocations (create(padded)).
inline constexpr std::size_t kPaddedScheduledIoSize = 128;

class ScheduledIo : public eddy::detail::ListHook<detail::RegistrationListTag> {
 public:
  // Layout of the readiness word (see ReadinessWord, which owns every transition on it).
  using Word = detail::ReadinessWord;
  static constexpr std::uint64_t kReadyMask = Word::kReadyMask;
  static constexpr unsigned kTickShift = Word::kTickShift;
  static constexpr std::uint64_t kTickMask = Word::kTickMask;
  static constexpr std::uint64_t kShutdownBit = Word::kShutdownBit;

  ScheduledIo() noexcept = default;
  // A new ScheduledIo (one reference), padded or not (see kPaddedScheduledIoSize); null when
  // memory runs out. The only way to make one: `new` and `delete` are deleted, so every
  // ScheduledIo is freed by destroy(), the way it was allocated.
  static ScheduledIo* create(bool padded) noexcept;
  static void destroy(ScheduledIo* io) noexcept;
  static void* operator new(std::size_t) = delete;
  static void operator delete(void*) = delete;
  ScheduledIo(const ScheduledIo&) = delete;
  ScheduledIo& operator=(const ScheduledIo&) = delete;
  // Wakes every waiter, as a safety net (a correct program has none left).
  ~ScheduledIo();

  // The backend token for this resource: its address. The reserved tokens (src/io/detail/
  // selector.hpp) are all below alignof(ScheduledIo), which no object address is.
  std::uint64_t token() const noexcept { return reinterpret_cast<std::uintptr_t>(this); }
  static ScheduledIo* from_token(std::uint64_t token) noexcept {
    return reinterpret_cast<ScheduledIo*>(static_cast<std::uintptr_t>(token));
  }

  // Intrusive reference count; the last unref deletes.
  void ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void unref() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy(this);
  }
  // References held now (diagnostics: who keeps a resource alive).
  std::uint32_t use_count() const noexcept { return refs_.load(std::memory_order_acquire); }

  // Applies `f` to the readiness bits under `tick`. Returns false when a Clear found a newer tick
  // (nothing changed). The SHUTDOWN bit is carried through unchanged.
  template <class F>
  bool set_readiness(Tick tick, F&& f) noexcept {
    std::uint64_t curr = readiness_.load(std::memory_order_acquire);
    for (;;) {
      std::uint32_t t = tick_of(curr);
      if (tick.kind == Tick::Kind::Clear) {
        if (t != tick.value) return false;
      } else {
        ++t;  // wraps at 2^32
      }
      const std::uint64_t next = Word::update(curr, t, f(ready_of(curr)));
      if (readiness_.compare_exchange_weak(curr, next, std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
        return true;
      }
    }
  }

  // The driver's hot path: OR in an event's readiness and bump the tick, then wake.
  // Model: models/readiness.pml D3 (the CAS) and D4 (the wake).
  void dispatch(Ready ready) noexcept {
    // set_readiness(Tick::set(), curr | ready) in its cheapest form (ReadinessWord::dispatch).
    std::uint64_t curr = readiness_.load(std::memory_order_acquire);
    while (!readiness_.compare_exchange_weak(curr, Word::dispatch(curr, ready),
                                             std::memory_order_acq_rel, std::memory_order_acquire)) {
    }
    wake(ready);
  }

  // Clears `event.ready` (never READ_CLOSED or WRITE_CLOSED: closed is final) if the tick has
  // not moved since `event` was taken.
  void clear_readiness(ReadyEvent event) noexcept {
    // set_readiness(Tick::clear(event.tick), curr - clear) in its cheapest form (every short
    // read and write comes here): clear the bits while the tick is still the event's.
    // Model: models/readiness.pml R4 (the tick-checked CAS; variant NO_TICK_CHECK drops the test).
    const std::uint64_t clear = Word::clear_bits(event.ready);
    std::uint64_t curr = readiness_.load(std::memory_order_acquire);
    while (tick_of(curr) == event.tick) {
      if (readiness_.compare_exchange_weak(curr, Word::clear(curr, clear), std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
        return;
      }
    }
  }

  // Marks the resource shut down (sticky) and wakes every waiter.
  void shutdown() noexcept;
  bool is_shutdown() const noexcept {
    return (readiness_.load(std::memory_order_acquire) & kShutdownBit) != 0;
  }

  // Wakes the waiters that `ready` satisfies: the reader slot for readable readiness, the writer
  // slot for writable readiness, every list waiter whose interest overlaps. Wakers are collected
  // 32 at a time and called with the lock dropped.
  void wake(Ready ready) noexcept {
    // Model: models/readiness.pml W1 (take the wakers under the lock), W2 (call them after the
    // unlock; variant WAKE_UNDER_LOCK deadlocks).
    mutex_.lock();
    const bool wake_reader = !(ready & direction_mask(Direction::Read)).is_empty() && reader_;
    const bool wake_writer = ready.is_writable() && writer_;
    if (!waiters_.empty()) [[unlikely]] {
      wake_with_list(ready, wake_reader, wake_writer);  // unlocks
      return;
    }
    // Inline fast path: the driver calls this for every event, and a socket used through the
    // poll-style API (every read and write of the socket types) has only slot waiters. Nothing
    // to batch: take at most two wakers and call them with the lock dropped.
    if (!wake_reader && !wake_writer) {
      mutex_.unlock();
      return;
    }
    Waker reader = wake_reader ? std::move(reader_) : Waker();
    Waker writer = wake_writer ? std::move(writer_) : Waker();
    mutex_.unlock();
    reader.wake();
    writer.wake();
  }

  // Poll-style readiness for one direction (one waker slot per direction; only the last waker
  // to poll is kept). Ready at once when the direction is ready or the resource is shut down.
  Poll<ReadyEvent> poll_readiness(const Waker& waker, Direction direction) noexcept {
    // Fast path, inline: already ready (or shut down) costs one atomic load and one test.
    // Model: models/readiness.pml R1.
    const std::uint64_t curr = readiness_.load(std::memory_order_acquire);
    const Ready mask = direction_mask(direction);
    if (Word::any(curr, mask)) return event_of(curr, mask);
    return register_and_recheck(waker, direction);
  }

  // True when `direction` is not ready (nor shut down) and `waker` now waits in its slot, as a
  // pending poll_readiness leaves it; false when it is ready (the waker may be stored anyway).
  // Its own fast test rather than !poll_readiness(): written that way g++ 12 still builds the
  // unused ready event, about 10 more instructions on every read that waits.
  bool wait_if_pending(const Waker& waker, Direction direction) noexcept {
    const std::uint64_t curr = readiness_.load(std::memory_order_acquire);
    if (Word::any(curr, direction_mask(direction))) return false;
    return register_and_recheck(waker, direction).is_pending();
  }

  // Lock-free snapshot for try_io. Works with combined interests (READABLE|WRITABLE), unlike
  // tokio's exact-match mask.
  ReadyEvent ready_event(Interest interest) const noexcept {
    const std::uint64_t curr = readiness_.load(std::memory_order_acquire);
    return ReadyEvent{tick_of(curr), ready_of(curr).intersection(interest), Word::is_shutdown(curr)};
  }

  // Drops both slot wakers (breaks the cycle waker -> task -> runtime -> driver -> this).
  void clear_wakers() noexcept;

  // The raw word (diagnostics; decode it with ReadinessWord).
  std::uint64_t readiness_word() const noexcept { return readiness_.load(std::memory_order_acquire); }

  static constexpr Ready ready_of(std::uint64_t word) noexcept { return Word::ready_of(word); }
  static constexpr std::uint32_t tick_of(std::uint64_t word) noexcept { return Word::tick_of(word); }

 private:
  friend class Readiness;

  // poll_readiness once the word said "not ready": store the waker in the direction's slot,
  // then re-check under the lock. The driver writes the word before it takes the lock in
  // wake(), so either it sees our waker or we see its readiness. Inline: every read that waits
  // comes here.
  Poll<ReadyEvent> register_and_recheck(const Waker& waker, Direction direction) noexcept {
    const Ready mask = direction_mask(direction);
    Waker& slot = direction == Direction::Read ? reader_ : writer_;
    // Model: models/readiness.pml R2 (store the waker under the lock) and R3 (the re-load below;
    // variant NO_RECHECK drops it and loses a wake-up).
    mutex_.lock();
    const bool stored = !slot;
    if (stored) [[likely]] {
      slot = Waker(waker);  // the common case: wake() emptied the slot
    } else if (!slot.will_wake(waker)) {
      replace_slot(slot, waker);  // unlocks
      return poll_readiness(waker, direction);
    }
    const std::uint64_t again = readiness_.load(std::memory_order_acquire);
    if (!Word::any(again, mask)) [[likely]] {
      mutex_.unlock();
      return Pending;
    }
    // Readiness came between the two loads: the caller proceeds now, so take back the waker
    // stored above. Left in the slot it would keep its task alive, and a finished task's frame
    // may own this very resource: a cycle that would keep the fd open until the next event.
    Waker taken = stored ? std::move(slot) : Waker();
    mutex_.unlock();
    return event_of(again, mask);
  }
  static ReadyEvent event_of(std::uint64_t word, Ready mask) noexcept {
    return ReadyEvent{tick_of(word), ready_of(word) & mask, Word::is_shutdown(word)};
  }
  // Called with mutex_ held and `slot` holding a different waker: installs a clone of `waker`,
  // releases the lock, then drops the old waker (dropping a task waker may destroy the task,
  // which may take this lock).
  void replace_slot(Waker& slot, const Waker& waker) noexcept;
  // wake() when list waiters exist. Called with mutex_ held; returns with it released. Wakes in
  // batches of 32, dropping the lock for each batch.
  void wake_with_list(Ready ready, bool wake_reader, bool wake_writer) noexcept;

  eddy::detail::sync::Atomic<std::uint32_t> refs_{1};
  eddy::detail::sync::Atomic<std::uint64_t> readiness_{0};
  // Held only for a few list operations, never while a waker runs.
  eddy::detail::sync::SpinLock mutex_;
  bool padded_ = false;  // allocated by create(true): 128 bytes aligned to 128
  // Guarded by mutex_.
  eddy::detail::IntrusiveList<detail::Waiter, detail::WaiterListTag> waiters_;
  Waker reader_;
  Waker writer_;
};

// A future-style wait for readiness matching an interest (a "list waiter"; any number may wait
// on one resource, each with its own interest).
//
// Poll it with a Waker until it returns a ReadyEvent. The event's set may be empty (readiness
// was cleared between the wake-up and this poll): callers just try their operation.
// When the resource is shut down the event has is_shutdown set.
//
// Not movable once polled: the embedded waiter node may be linked into the resource's list.
// Destroying it unlinks the node (this is how a destroyed coroutine cancels its wait); nothing
// is lost, since readiness stays recorded in the resource.
class Readiness {
 public:
  Readiness(ScheduledIo& io, Interest interest) noexcept : io_(&io) { waiter_.interest = interest; }
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;
  ~Readiness();

  Poll<ReadyEvent> poll(const Waker& waker) noexcept;

  Interest interest() const noexcept { return waiter_.interest; }

 private:
  enum class State : std::uint8_t { Init, Waiting, Done };

  ReadyEvent done_event() const noexcept;

  ScheduledIo* io_;
  State state_ = State::Init;
  detail::Waiter waiter_;
};

}  // namespace eddy::io
