// RegistrationSet: owns every live ScheduledIo of one driver, and the list of deregistered ones
// waiting to be freed.
//
// The lifetime invariant that makes pointer tokens safe: a ScheduledIo is freed only by
// release(), which only the driver calls, at the top of a turn, before it selects. An entry
// reaches the pending list only after the backend confirmed its token dead (epoll: DEL returned;
// see io/detail/selector.hpp), so no later select can return its token, and every token in the
// batch being dispatched still points at live memory.
//
// In the defensive token mode (EDDY_DEFENSIVE_TOKENS) the set also keeps a TokenSlab: tokens are
// slot + generation, and a token that comes back for an entry freed through a misuse (its fd
// closed under its registration while a dup keeps the epoll item alive) finds nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "eddy/detail/linked_list.hpp"
#include "eddy/detail/ref_ptr.hpp"
#include "eddy/detail/sync.hpp"
#include "eddy/io/detail/scheduled_io.hpp"
#include "eddy/result.hpp"
#include "io/token_slab.hpp"

namespace eddy::io {

class RegistrationSet {
 public:
  // The deregistration that makes this many releases pending unparks the driver, so memory held
  // by a long-sleeping driver stays bounded. Fires once per batch (== rather than >=).
  static constexpr std::size_t kNotifyAfter = 16;

  RegistrationSet();
  RegistrationSet(const RegistrationSet&) = delete;
  RegistrationSet& operator=(const RegistrationSet&) = delete;
  // Drops every reference still held (live entries after shutdown, pending releases).
  ~RegistrationSet();

  // A new ScheduledIo, linked into the set (the set holds one reference, the caller gets
  // another). Fails with Error::shutdown once shutdown() has run.
  Result<eddy::detail::RefPtr<ScheduledIo>> allocate();
  // Entries allocated from now on are padded against false sharing (ScheduledIo::create): for a
  // driver shared by threads. Called before the driver's handle is shared.
  void pad_entries() noexcept { padded_ = true; }

  // The token to register `io` under: its address, or (defensive mode) its slab token. For an
  // entry allocate() has just returned.
#if EDDY_DEFENSIVE_TOKENS
  std::uint64_t token_of(const ScheduledIo& io) const;
#else
  std::uint64_t token_of(const ScheduledIo& io) const noexcept { return io.token(); }
#endif

#if EDDY_DEFENSIVE_TOKENS
  // The driver thread, while it dispatches a batch: the live entry `token` names, or nullptr
  // when that entry has been released (or the token is not one of this set's).
  ScheduledIo* find(std::uint64_t token) const noexcept { return slab_.find(token); }
#endif

  // Queues `io` for release at the driver's next turn. Only once the backend has confirmed that
  // its token is dead. Returns true when this made exactly
  // kNotifyAfter releases pending (the caller should then unpark the driver).
  bool deregister(ScheduledIo& io);

  // Unlinks `io` at once. Only for an entry whose token never reached the kernel (the failure
  // path of add_source).
  void remove(ScheduledIo& io);

  // A hint, read without the lock: are releases pending? Being late is always safe.
  bool needs_release() const noexcept {
    return num_pending_release_.load(std::memory_order_acquire) != 0;
  }

  // Frees the pending entries. Driver thread only, never during the dispatch of a poll batch.
  void release();

  // Marks the set shut down and hands back every live entry, for the caller to shut down
  // outside the lock. Later calls return nothing.
  std::vector<eddy::detail::RefPtr<ScheduledIo>> shutdown();

  bool is_shutdown() const;
  std::size_t live_count() const;

 private:
  mutable eddy::detail::sync::Mutex mutex_;
  bool padded_ = false;  // set before sharing, then read-only
  // Guarded by mutex_. Each linked entry holds one reference owned by the list.
  bool is_shutdown_ = false;
  eddy::detail::IntrusiveList<ScheduledIo, detail::RegistrationListTag> registrations_;
  std::vector<ScheduledIo*> pending_release_;  // each holds one reference
  // Driver-thread scratch space for release(), kept to avoid allocating on every release.
  std::vector<ScheduledIo*> releasing_;
  eddy::detail::sync::Atomic<std::size_t> num_pending_release_{0};
#if EDDY_DEFENSIVE_TOKENS
  TokenSlab slab_;  // inserts and erases under mutex_; finds by the driver without it
  // Each allocated entry's slab token until it is released. Guarded by mutex_. A side table
  // rather than a ScheduledIo field, so that the mode changes no public header's layout; its
  // cost is on registration and release only, never on an event.
  std::unordered_map<const ScheduledIo*, std::uint64_t> tokens_;
  void erase_token(const ScheduledIo& io) noexcept;  // under mutex_
#endif
};

}  // namespace eddy::io
