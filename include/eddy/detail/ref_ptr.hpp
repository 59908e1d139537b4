// RefPtr<T>: an owning pointer to an intrusively reference-counted T.
//
// Used instead of shared_ptr where the raw address must be the identity (a ScheduledIo's address
// is its epoll token, and turning a token back into an object must be a plain cast with no
// control block). T provides `void ref() noexcept` and `void unref() noexcept` (the last unref
// frees).
#pragma once

#include <utility>

namespace eddy::detail {

template <class T>
class RefPtr {
 public:
  RefPtr() noexcept = default;
  // Adopts one reference that the caller already holds.
  static RefPtr adopt(T* p) noexcept { return RefPtr(p); }
  // Takes a new reference to `p`.
  static RefPtr share(T* p) noexcept {
    if (p) p->ref();
    return RefPtr(p);
  }

  RefPtr(const RefPtr& o) noexcept : p_(o.p_) {
    if (p_) p_->ref();
  }
  RefPtr(RefPtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  RefPtr& operator=(RefPtr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~RefPtr() { reset(); }

  void reset() noexcept {
    if (T* p = std::exchange(p_, nullptr)) p->unref();
  }
  // Gives up ownership of the reference without dropping it.
  T* release() noexcept { return std::exchange(p_, nullptr); }

  T* get() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  T* operator->() const noexcept { return p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  friend bool operator==(const RefPtr& a, const RefPtr& b) noexcept { return a.p_ == b.p_; }

 private:
  explicit RefPtr(T* p) noexcept : p_(p) {}
  T* p_ = nullptr;
};

}  // namespace eddy::detail
