// Read and write halves of a stream socket (TcpStream, UnixStream), so that one task can read
// while another writes.
//
// - split() gives borrowed halves (ReadHalf<S>, WriteHalf<S>): free to make, valid while the
//   stream lives.
// - into_split() gives owned halves (OwnedReadHalf<S>, OwnedWriteHalf<S>) that share the stream
//   (one allocation); the socket closes when both are gone. Destroying an OwnedWriteHalf shuts
//   down the write side (the peer reads end-of-stream), as tokio does. reunite() puts the two
//   halves of one stream back into the stream.
//
// Each direction has its own waker slot in the driver, so one reader and one writer never
// steal each other's wake-ups. Two tasks reading (or two writing) at once is not supported.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <span>
#include <system_error>
#include <utility>

#include "eddy/interest.hpp"
#include "eddy/net/buffer.hpp"
#include "eddy/net/owned_buffer.hpp"
#include "eddy/poll.hpp"
#include "eddy/result.hpp"
#include "eddy/waker.hpp"

namespace eddy::net {

template <class S>
class ReadHalf {
 public:
  explicit ReadHalf(S& stream) noexcept : s_(&stream) {}

  auto read(MutableBuffer buf) noexcept { return s_->read(buf); }
  auto read_buf() noexcept { return s_->read_buf(); }
  auto try_read_buf() noexcept { return s_->try_read_buf(); }
  auto poll_read_buf(const Waker& waker) noexcept { return s_->poll_read_buf(waker); }
  auto read_exact(MutableBuffer buf) noexcept { return s_->read_exact(buf); }
  auto readable() noexcept { return s_->readable(); }
  auto peek(MutableBuffer buf) noexcept { return s_->peek(buf); }
  auto read_vectored(std::span<const MutableBuffer> bufs) noexcept { return s_->read_vectored(bufs); }
  Result<std::size_t> try_read_vectored(std::span<const MutableBuffer> bufs) { return s_->try_read_vectored(bufs); }
  Result<std::size_t> try_read(MutableBuffer buf) { return s_->try_read(buf); }
  Poll<Result<std::size_t>> poll_read(const Waker& waker, MutableBuffer buf) noexcept {
    return s_->poll_read(waker, buf);
  }
  auto peer_addr() const { return s_->peer_addr(); }
  auto local_addr() const { return s_->local_addr(); }

 private:
  S* s_;
};

template <class S>
class WriteHalf {
 public:
  explicit WriteHalf(S& stream) noexcept : s_(&stream) {}

  auto write(ConstBuffer buf) noexcept { return s_->write(buf); }
  auto write_all(ConstBuffer buf) noexcept { return s_->write_all(buf); }
  auto write_owned(OwnedBuffer buf) noexcept { return s_->write_owned(std::move(buf)); }
  auto write_all_owned(OwnedBuffer buf) noexcept { return s_->write_all_owned(std::move(buf)); }
  auto writable() noexcept { return s_->writable(); }
  auto write_vectored(std::span<const ConstBuffer> bufs) noexcept { return s_->write_vectored(bufs); }
  Result<std::size_t> try_write_vectored(std::span<const ConstBuffer> bufs) { return s_->try_write_vectored(bufs); }
  Result<std::size_t> try_write(ConstBuffer buf) { return s_->try_write(buf); }
  Poll<Result<std::size_t>> poll_write(const Waker& waker, ConstBuffer buf) noexcept {
    return s_->poll_write(waker, buf);
  }
  // Shuts down the write side of the whole stream.
  Result<void> shutdown() { return s_->shutdown(); }
  auto peer_addr() const { return s_->peer_addr(); }
  auto local_addr() const { return s_->local_addr(); }

 private:
  S* s_;
};

template <class S>
class OwnedWriteHalf;

template <class S>
class OwnedReadHalf {
 public:
  explicit OwnedReadHalf(std::shared_ptr<S> stream) noexcept : s_(std::move(stream)) {}

  auto read(MutableBuffer buf) noexcept { return s_->read(buf); }
  auto read_buf() noexcept { return s_->read_buf(); }
  auto try_read_buf() noexcept { return s_->try_read_buf(); }
  auto poll_read_buf(const Waker& waker) noexcept { return s_->poll_read_buf(waker); }
  auto read_exact(MutableBuffer buf) noexcept { return s_->read_exact(buf); }
  auto readable() noexcept { return s_->readable(); }
  auto peek(MutableBuffer buf) noexcept { return s_->peek(buf); }
  auto read_vectored(std::span<const MutableBuffer> bufs) noexcept { return s_->read_vectored(bufs); }
  Result<std::size_t> try_read_vectored(std::span<const MutableBuffer> bufs) { return s_->try_read_vectored(bufs); }
  Result<std::size_t> try_read(MutableBuffer buf) { return s_->try_read(buf); }
  Poll<Result<std::size_t>> poll_read(const Waker& waker, MutableBuffer buf) noexcept {
    return s_->poll_read(waker, buf);
  }
  auto peer_addr() const { return s_->peer_addr(); }
  auto local_addr() const { return s_->local_addr(); }

  // True when `w` is the other half of the same stream.
  bool is_pair_of(const OwnedWriteHalf<S>& w) const noexcept { return s_ && s_ == w.s_; }

  // Puts the stream back together (tokio's reunite). On success both halves are left empty and
  // nothing is shut down. When `w` belongs to another stream: std::errc::invalid_argument,
  // and both halves are left as they were.
  Result<S> reunite(OwnedWriteHalf<S>& w) {
    if (!is_pair_of(w)) return std::make_error_code(std::errc::invalid_argument);
    w.s_.reset();
    w.shutdown_on_drop_ = false;
    S out = std::move(*s_);  // the halves were its only owners
    s_.reset();
    return out;
  }

 private:
  std::shared_ptr<S> s_;
};

template <class S>
class OwnedWriteHalf {
 public:
  explicit OwnedWriteHalf(std::shared_ptr<S> stream) noexcept : s_(std::move(stream)) {}
  OwnedWriteHalf(OwnedWriteHalf&&) noexcept = default;
  OwnedWriteHalf& operator=(OwnedWriteHalf&& o) noexcept {
    if (this != &o) {
      shutdown_on_drop();
      s_ = std::move(o.s_);
      shutdown_on_drop_ = o.shutdown_on_drop_;
    }
    return *this;
  }
  // Shuts down the write side (unless forget_shutdown() was called).
  ~OwnedWriteHalf() { shutdown_on_drop(); }

  auto write(ConstBuffer buf) noexcept { return s_->write(buf); }
  auto write_all(ConstBuffer buf) noexcept { return s_->write_all(buf); }
  auto write_owned(OwnedBuffer buf) noexcept { return s_->write_owned(std::move(buf)); }
  auto write_all_owned(OwnedBuffer buf) noexcept { return s_->write_all_owned(std::move(buf)); }
  auto writable() noexcept { return s_->writable(); }
  auto write_vectored(std::span<const ConstBuffer> bufs) noexcept { return s_->write_vectored(bufs); }
  Result<std::size_t> try_write_vectored(std::span<const ConstBuffer> bufs) { return s_->try_write_vectored(bufs); }
  Result<std::size_t> try_write(ConstBuffer buf) { return s_->try_write(buf); }
  Poll<Result<std::size_t>> poll_write(const Waker& waker, ConstBuffer buf) noexcept {
    return s_->poll_write(waker, buf);
  }
  Result<void> shutdown() { return s_->shutdown(); }
  // Destroying this half will not shut down the write side.
  void forget_shutdown() noexcept { shutdown_on_drop_ = false; }
  auto peer_addr() const { return s_->peer_addr(); }
  auto local_addr() const { return s_->local_addr(); }

 private:
  void shutdown_on_drop() noexcept {
    if (s_ && shutdown_on_drop_) (void)s_->shutdown();
  }
  template <class>
  friend class OwnedReadHalf;
  std::shared_ptr<S> s_;
  bool shutdown_on_drop_ = true;
};

// The same as r.reunite(w).
template <class S>
Result<S> reunite(OwnedReadHalf<S>& r, OwnedWriteHalf<S>& w) {
  return r.reunite(w);
}

}  // namespace eddy::net
