// Waker: a type-erased, copyable, thread-safe handle that tells an executor "poll this again".
//
// A Waker is a data pointer plus a table of four functions, like Rust's RawWaker. Copying calls
// `clone`, destruction calls `drop`, `wake()` consumes the waker, `wake_by_ref()` does not.
// Any thread may wake. The scheduler implements it for its tasks; tests and foreign executors can
// implement it themselves with Waker::from_raw.
#pragma once

#include <utility>

namespace eddy {

struct WakerVTable {
  // Returns a data pointer for a new waker that wakes the same thing (usually `data` after a
  // reference-count increment).
  void* (*clone)(void* data) noexcept;
  // Wakes and releases `data`.
  void (*wake)(void* data) noexcept;
  // Wakes without releasing `data`.
  void (*wake_by_ref)(void* data) noexcept;
  // Releases `data` without waking.
  void (*drop)(void* data) noexcept;
};

class Waker {
 public:
  // An empty waker: waking it does nothing. Useful as "no waker stored".
  Waker() noexcept = default;

  // Adopts `data` (no clone is made).
  static Waker from_raw(void* data, const WakerVTable* vtable) noexcept { return Waker(data, vtable); }

  Waker(const Waker& other) noexcept
      : data_(other.vtable_ ? other.vtable_->clone(other.data_) : nullptr), vtable_(other.vtable_) {}
  Waker(Waker&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), vtable_(std::exchange(other.vtable_, nullptr)) {}
  Waker& operator=(const Waker& other) noexcept {
    if (this != &other) clone_from(other);
    return *this;
  }
  Waker& operator=(Waker&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      vtable_ = std::exchange(other.vtable_, nullptr);
    }
    return *this;
  }
  ~Waker() { reset(); }

  explicit operator bool() const noexcept { return vtable_ != nullptr; }

  // Wakes and leaves this waker empty.
  void wake() noexcept {
    if (vtable_) {
      auto* vt = std::exchange(vtable_, nullptr);
      vt->wake(std::exchange(data_, nullptr));
    }
  }
  void wake_by_ref() const noexcept {
    if (vtable_) vtable_->wake_by_ref(data_);
  }

  // True when both wake the same thing, so that a stored waker need not be replaced.
  bool will_wake(const Waker& other) const noexcept {
    return data_ == other.data_ && vtable_ == other.vtable_;
  }

  // Makes this a copy of `other`, skipping the clone when it already wakes the same thing.
  void clone_from(const Waker& other) noexcept {
    if (will_wake(other)) return;
    *this = Waker(other);
  }

  void reset() noexcept {
    if (vtable_) {
      auto* vt = std::exchange(vtable_, nullptr);
      vt->drop(std::exchange(data_, nullptr));
    }
  }

  // Empties this waker without dropping its reference (for borrowed wakers; see WakerRef).
  void forget() noexcept {
    data_ = nullptr;
    vtable_ = nullptr;
  }

  void* data() const noexcept { return data_; }
  const WakerVTable* vtable() const noexcept { return vtable_; }

 private:
  Waker(void* data, const WakerVTable* vtable) noexcept : data_(data), vtable_(vtable) {}

  void* data_ = nullptr;
  const WakerVTable* vtable_ = nullptr;
};

}  // namespace eddy
