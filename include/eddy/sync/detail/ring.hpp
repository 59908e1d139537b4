// Ring<T>: a growable FIFO ring buffer. It doubles when full and never shrinks, so a channel
// whose queue has reached its working size allocates nothing per message. Not thread-safe (the
// channel's lock guards it).
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace eddy::sync::detail {

template <class T>
class Ring {
 public:
  Ring() noexcept = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    clear();
    if (buf_) std::allocator<T>().deallocate(buf_, cap_);
  }

  bool empty() const noexcept { return len_ == 0; }
  std::size_t size() const noexcept { return len_; }
  std::size_t capacity() const noexcept { return cap_; }

  // `limit` caps growth (a bounded channel never holds more than its capacity); 0 = no cap.
  template <class U>
  void push(U&& v, std::size_t limit = 0) {
    if (len_ == cap_) grow(limit);
    std::size_t i = head_ + len_;
    if (i >= cap_) i -= cap_;
    ::new (static_cast<void*>(buf_ + i)) T(std::forward<U>(v));
    ++len_;
  }

  T pop() {
    T v(std::move(buf_[head_]));
    buf_[head_].~T();
    if (++head_ == cap_) head_ = 0;
    --len_;
    return v;
  }

  void clear() noexcept {
    while (len_ > 0) {
      buf_[head_].~T();
      if (++head_ == cap_) head_ = 0;
      --len_;
    }
    head_ = 0;
  }

 private:
  void grow(std::size_t limit) {
    std::size_t ncap = cap_ == 0 ? 8 : cap_ * 2;
    if (limit != 0 && ncap > limit) ncap = limit > cap_ ? limit : cap_ + 1;
    T* nbuf = std::allocator<T>().allocate(ncap);
    std::size_t j = 0;
    for (std::size_t k = 0; k < len_; ++k) {
      T& src = buf_[(head_ + k) % cap_];
      ::new (static_cast<void*>(nbuf + j++)) T(std::move(src));
      src.~T();
    }
    if (buf_) std::allocator<T>().deallocate(buf_, cap_);
    buf_ = nbuf;
    cap_ = ncap;
    head_ = 0;
  }

  T* buf_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t head_ = 0;
  std::size_t len_ = 0;
};

}  // namespace eddy::sync::detail
