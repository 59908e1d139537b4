#include "io/uring/buf_ring.hpp"

#include <sys/mman.h>

#include <cerrno>

#include "io/uring/fault_seam.hpp"

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

void BufRing::recycle(std::uint16_t bid) noexcept {
  io_uring_buf_ring_add(br_, data(bid), size_, bid, io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(br_, 1);
  ++free_;
}

}  // namespace eddy::io::uring
