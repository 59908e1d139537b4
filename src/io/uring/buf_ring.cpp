#include "io/uring/buf_ring.hpp"

#include <sys/mman.h>

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>

#include "io/detail/eventfd_signal.hpp"
#include "io/uring/fault_seam.hpp"
#include "io/uring/ring.hpp"

namespace eddy::io::uring {

std::error_code BufRing::create(io_uring& ring, unsigned count, unsigned size, std::unique_ptr<BufRing>& out) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0 || size == 0) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  std::unique_ptr<BufRing> b(new BufRing());
  b->count_ = count;
  b->size_ = size;
  b->br_bytes_ = count * sizeof(io_uring_buf);
  void* ringmem = ::mmap(nullptr, b->br_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (ringmem == MAP_FAILED) return {errno, std::system_category()};
  b->br_ = static_cast<io_uring_buf_ring*>(ringmem);
  b->mem_bytes_ = static_cast<std::size_t>(count) * size;
  void* mem = ::mmap(nullptr, b->mem_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return {errno, std::system_category()};
  b->mem_ = static_cast<std::byte*>(mem);
  b->next_.reset(new std::uint16_t[count]);
  b->len_.reset(new std::uint32_t[count]);

  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(b->br_);
  reg.ring_entries = count;
  reg.bgid = kGroup;
  if (int f = injected_fault(EnterSite::register_)) return {f, std::system_category()};
  if (int rc = io_uring_register_buf_ring(&ring, &reg, 0); rc < 0) return {-rc, std::system_category()};
  io_uring_buf_ring_init(b->br_);
  const int mask = io_uring_buf_ring_mask(count);
  for (unsigned i = 0; i < count; ++i) {
    io_uring_buf_ring_add(b->br_, b->data(static_cast<std::uint16_t>(i)), size, static_cast<unsigned short>(i), mask,
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(b->br_, static_cast<int>(count));
  b->free_ = count;
  out = std::move(b);
  return {};
}

BufRing::~BufRing() {
  // The owner (Ring) destroys this only after io_uring_queue_exit: the kernel no longer names it.
  if (mem_ != nullptr) ::munmap(mem_, mem_bytes_);
  if (br_ != nullptr) ::munmap(br_, br_bytes_);
}

void BufRing::add_back(std::uint16_t bid) noexcept {
  io_uring_buf_ring_add(br_, data(bid), size_, bid, io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(br_, 1);
  ++free_;
}

[[gnu::noinline]] void BufRing::wake_starved() noexcept {
  // Moved out first: a woken task may run (and wait again) only later, but the list must be
  // empty before anyone can be added for the next generation.
  std::vector<Waker> ws = std::move(starved_);
  starved_.clear();
  ++starved_gen_;
  for (auto& w : ws) w.wake();
}

void BufRing::wait_for_buffer(const Waker& w, std::uint32_t& gen, std::uint32_t& idx) {
  if (gen == starved_gen_ && idx < starved_.size()) {
    starved_[idx].clone_from(w);  // polled again before any buffer came back
    return;
  }
  gen = starved_gen_;
  idx = static_cast<std::uint32_t>(starved_.size());
  starved_.push_back(w);
}

namespace {

// lease_return off the owner thread, or once the ring is closed: out of line, so that the
// common path saves no registers for it.
[[gnu::noinline]] void lease_return_slow(BufRing* b, std::uint16_t bid) noexcept { b->return_locked(bid); }

}  // namespace

void BufRing::lease_return(eddy::detail::BufferLender* self, std::byte* /*base*/, std::uint32_t bid) noexcept {
  auto* b = static_cast<BufRing*>(self);
  const auto id = static_cast<std::uint16_t>(bid);
  // The common case: the owner thread, ring open. (orphaned_ is written by the owner thread
  // only, so the owner reads it without the lock; another thread never takes this branch.)
  if (b->owner_ == &tl_thread_tag && !b->orphaned_.load(std::memory_order_acquire)) [[likely]] {
    --b->leased_;
    b->recycle(id);
    return;
  }
  lease_return_slow(b, id);
}

void BufRing::return_locked(std::uint16_t id) noexcept {
  bool last = false;
  {
    eddy::detail::sync::LockGuard<eddy::detail::sync::Mutex> lock(remote_mu_);
    if (orphaned_.load(std::memory_order_relaxed)) {
      last = --leased_ == 0;  // the ring is closed: nothing goes back to a kernel
    } else {
      const bool first = remote_.empty();
      try {
        remote_.push_back(id);
      } catch (...) {
        return;  // out of memory: the buffer stays out of the pool (never reused, never freed early)
      }
      remote_flag_.store(true, std::memory_order_relaxed);
      // Wakes the owner's driver (its eventfd: the ring's completion token, polled
      // edge-triggered), which takes the buffer back in its turn. Under the lock: retire()
      // closes nothing before it has the lock. A write that fails for good leaves the buffer
      // queued for the driver's next turn. Only the first return of a batch writes: the list
      // was not empty, so an earlier return's write is still owed a take, and the take swaps
      // the whole list under this lock (a take before this push left it empty: we write).
      // On the multi-thread runtime every lease comes back this way, often one per read.
      if (first && wake_fd_ >= 0) (void)io::detail::signal_eventfd(wake_fd_);
    }
  }
  if (last) delete this;
}

void BufRing::take_remote_returns_slow() noexcept {
  std::vector<std::uint16_t> back;
  {
    eddy::detail::sync::LockGuard<eddy::detail::sync::Mutex> lock(remote_mu_);
    back.swap(remote_);
    remote_flag_.store(false, std::memory_order_relaxed);
  }
  for (const std::uint16_t bid : back) {
    --leased_;
    recycle(bid);
  }
}

void BufRing::retire(std::unique_ptr<BufRing> b) noexcept {
  if (!b) return;
  {
    // The starved streams' wakers are dropped first, without the lock: dropping one may free a
    // task whose leases then come back through lease_return (which may take the lock).
    std::vector<Waker> starved = std::move(b->starved_);
    b->starved_.clear();
  }
  {
    eddy::detail::sync::LockGuard<eddy::detail::sync::Mutex> lock(b->remote_mu_);
    b->leased_ -= static_cast<unsigned>(b->remote_.size());  // returned, just not taken back
    b->remote_.clear();
    b->remote_flag_.store(false, std::memory_order_relaxed);
    if (b->leased_ != 0) {
      // Leases are out: they read this memory; the last one to come back frees it.
      b->orphaned_.store(true, std::memory_order_release);
      b->wake_fd_ = -1;
      (void)b.release();
      return;
    }
  }
}

}  // namespace eddy::io::uring
