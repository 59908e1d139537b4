// File descriptors for driver tests: an owning Fd, and non-blocking pipes, eventfds and
// socketpairs (the driver is edge-triggered, so everything it watches must be non-blocking).
#pragma once

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

#include <gtest/gtest.h>

namespace eddy_test {

class Fd {
 public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { close(); }

  int get() const noexcept { return fd_; }
  void close() noexcept {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

inline Pipe make_pipe() {
  int p[2] = {-1, -1};
  EXPECT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  return Pipe{Fd(p[0]), Fd(p[1])};
}

inline Fd make_eventfd() {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  return Fd(fd);
}

inline std::pair<Fd, Fd> make_socketpair() {
  int sv[2] = {-1, -1};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  return {Fd(sv[0]), Fd(sv[1])};
}

// One byte into a pipe or socket.
inline void write_byte(int fd) { EXPECT_EQ(::write(fd, "x", 1), 1); }

// Makes an eventfd readable (adds 1 to its counter).
inline void signal_eventfd(int fd) {
  const std::uint64_t one = 1;
  EXPECT_EQ(::write(fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
}

// Reads everything available; returns the number of bytes read.
inline std::size_t drain(int fd) {
  char buf[4096];
  std::size_t total = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return total;
    total += static_cast<std::size_t>(n);
  }
}

// A number that is not an open fd in this process (a closed one, still unused).
inline int closed_fd_number() {
  Fd f = make_eventfd();
  const int n = f.get();
  f.close();
  return n;
}

}  // namespace eddy_test
