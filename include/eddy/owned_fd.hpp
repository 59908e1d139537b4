// OwnedFd: a file descriptor that is closed when its owner goes away. AsyncFd<OwnedFd> closes
// the fd on destruction; AsyncFd<int> never does.
#pragma once

#include <utility>

namespace eddy {

class OwnedFd {
 public:
  OwnedFd() noexcept = default;
  explicit OwnedFd(int fd) noexcept : fd_(fd) {}
  OwnedFd(OwnedFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() { reset(); }

  int fd() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  // Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }
  // Closes now (errors from close are ignored: the fd is gone either way).
  void reset() noexcept;

 private:
  int fd_ = -1;
};

// The raw fd of an AsyncFd's inner object: an int, or anything with fd().
inline int raw_fd(int fd) noexcept { return fd; }
template <class T>
auto raw_fd(const T& t) noexcept -> decltype(t.fd()) {
  return t.fd();
}

}  // namespace eddy
