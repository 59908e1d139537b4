#include "fs/op.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "eddy/blocking.hpp"
#include "eddy/detail/context.hpp"
#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/detail/scheduler.hpp"
#include "eddy/error.hpp"
#include "io/driver.hpp"

namespace eddy::fs::detail {

namespace {

constexpr unsigned kStatxMask = STATX_BASIC_STATS | STATX_BTIME;

// The ring this thread may submit to, with the lock that guards it (null for the current-thread
// runtime's owner-mode ring, whose owner is the only thread that touches it). Empty (the caller
// uses the blocking pool) unless the runtime running here (not merely entered) has a ring for
// files and this thread may use it: it owns the owner-mode ring, or it is a worker of the
// multi-thread runtime (its worker's ring of the set, io/uring/ring_set.hpp).
struct RingRef {
  std::shared_ptr<io::Handle> io;  // keeps the ring alive
  io::uring::Ring* ring = nullptr;
  eddy::detail::sync::Mutex* lock = nullptr;
  explicit operator bool() const noexcept { return ring != nullptr; }
};

RingRef ring_for_this_thread() {
  auto& ctx = eddy::detail::context();
  if (ctx.scheduler == nullptr || ctx.scheduler != ctx.handle) return {};
  const auto& io = ctx.scheduler->driver().io;
  if (!io || !io->files_on_ring()) return {};
  if (io::uring::RingSet* set = io->ring_set()) {
    if (ctx.core == nullptr) return {};
    auto& slot = set->slot(ctx.core->worker_slot);
    return {io, slot.ring.get(), &slot.mutex};
  }
  if (!io->ring()->claim()) return {};
  return {io, io->ring(), nullptr};
}

// Holds a shared ring's lock (RingRef::lock); nothing for an owner-mode ring.
class MaybeLock {
 public:
  explicit MaybeLock(eddy::detail::sync::Mutex* m) noexcept : m_(m) {
    if (m_ != nullptr) m_->lock();
  }
  ~MaybeLock() {
    if (m_ != nullptr) m_->unlock();
  }
  MaybeLock(const MaybeLock&) = delete;
  MaybeLock& operator=(const MaybeLock&) = delete;

 private:
  eddy::detail::sync::Mutex* m_;
};

void prep(io_uring_sqe* sqe, FileOp& op) {
  switch (op.kind) {
    case Kind::openat: io_uring_prep_openat(sqe, AT_FDCWD, op.path.c_str(), op.flags, op.mode); break;
    case Kind::read:
      io_uring_prep_read(sqe, op.fd, op.buf.get(), static_cast<unsigned>(op.len), static_cast<std::uint64_t>(op.offset));
      break;
    case Kind::write:
      io_uring_prep_write(sqe, op.fd, op.buf.get(), static_cast<unsigned>(op.len), static_cast<std::uint64_t>(op.offset));
      break;
    case Kind::fsync: io_uring_prep_fsync(sqe, op.fd, 0); break;
    case Kind::fdatasync: io_uring_prep_fsync(sqe, op.fd, IORING_FSYNC_DATASYNC); break;
    case Kind::statx:
      io_uring_prep_statx(sqe, op.fd, op.path.c_str(), op.flags, kStatxMask, &op.stx);
      break;
    case Kind::unlinkat: io_uring_prep_unlinkat(sqe, AT_FDCWD, op.path.c_str(), op.flags); break;
    case Kind::renameat: io_uring_prep_renameat(sqe, AT_FDCWD, op.path.c_str(), AT_FDCWD, op.path2.c_str(), 0); break;
    case Kind::mkdirat: io_uring_prep_mkdirat(sqe, AT_FDCWD, op.path.c_str(), op.mode); break;
    case Kind::ftruncate: break;  // never on the ring (execute)
  }
}

// The same operation as a blocking syscall: >= 0, or -errno.
long run_sync(FileOp& op) noexcept {
  long r = -1;
  switch (op.kind) {
    case Kind::openat: r = ::openat(AT_FDCWD, op.path.c_str(), op.flags, op.mode); break;
    case Kind::read:
      r = op.offset < 0 ? ::read(op.fd, op.buf.get(), op.len) : ::pread(op.fd, op.buf.get(), op.len, op.offset);
      break;
    case Kind::write:
      r = op.offset < 0 ? ::write(op.fd, op.buf.get(), op.len) : ::pwrite(op.fd, op.buf.get(), op.len, op.offset);
      break;
    case Kind::fsync: r = ::fsync(op.fd); break;
    case Kind::fdatasync: r = ::fdatasync(op.fd); break;
    case Kind::statx: r = ::statx(op.fd, op.path.c_str(), op.flags, kStatxMask, &op.stx); break;
    case Kind::unlinkat: r = ::unlinkat(AT_FDCWD, op.path.c_str(), op.flags); break;
    case Kind::renameat: r = ::renameat(AT_FDCWD, op.path.c_str(), AT_FDCWD, op.path2.c_str()); break;
    case Kind::mkdirat: r = ::mkdirat(AT_FDCWD, op.path.c_str(), op.mode); break;
    case Kind::ftruncate: r = ::ftruncate(op.fd, static_cast<off_t>(op.len)); break;
  }
  return r < 0 ? -errno : r;
}

// Waits for an op in the ring. Destroyed before the CQE (its coroutine destroyed): drops the
// waker and asks the ring to cancel the op; the ring's reference keeps the op alive until the
// CQE, so the kernel never writes into freed memory. With a shared ring (multi-thread runtime)
// every look at the op is under the ring's lock: the reaper may be another worker, and so may
// the thread that destroys this awaiter; the cancel is flushed at once (the ring's own worker
// may be asleep).
class RingWait : public eddy::detail::PollAwaiter<RingWait, int> {
 public:
  RingWait(RingRef ring, std::shared_ptr<FileOp> op) noexcept : ring_(std::move(ring)), op_(std::move(op)) {}
  RingWait(const RingWait&) = delete;
  RingWait& operator=(const RingWait&) = delete;
  ~RingWait() {
    MaybeLock lock(ring_.lock);
    if (!op_->done()) {
      op_->clear_waker();
      ring_.ring->cancel(*op_);
      if (ring_.lock != nullptr && ring_.ring->has_pending()) {
        ring_.ring->flush();
        // Refused: the driver's holder retries it (its worker may be asleep).
        if (ring_.ring->has_pending()) ring_.ring->signal_event_fd();
      }
    }
  }
  Poll<int> poll(const Waker& w) noexcept {
    MaybeLock lock(ring_.lock);
    if (op_->done()) return op_->result();
    op_->set_waker(w);
    return Pending;
  }

 private:
  RingRef ring_;
  std::shared_ptr<FileOp> op_;
};

// The blocking-pool side of an op: runs the syscall, keeps the result in the op (so that an
// unclaimed fd is closed with it), holds a reference until the job is destroyed.
struct PoolJob {
  std::shared_ptr<FileOp> op;
  long operator()() noexcept {
    op->sync_res = run_sync(*op);
    return op->sync_res;
  }
};

Result<std::uint64_t> from_syscall(long r) {
  if (r < 0) return errno_code(static_cast<int>(-r));
  return static_cast<std::uint64_t>(r);
}

}  // namespace

std::error_code errno_code(int e) noexcept { return {e, std::system_category()}; }

FileOp::~FileOp() {
  if (fd_owned) ::close(fd);
  if (kind != Kind::openat || fd_taken) return;
  // The shared_ptr's last release orders this after the ring's or the pool's write.
  const long opened = done() ? result() : sync_res;
  if (opened >= 0) ::close(static_cast<int>(opened));
}

Task<Result<std::uint64_t>> execute(const std::shared_ptr<FileOp>& op_ref) {
  // Our own reference, taken before the first suspension (the caller's lives in its frame
  // until this task completes). g++ 12 loses a reference when a shared_ptr parameter is taken
  // by value here and captured by the pool's lambda (seen under valgrind), so copy explicitly.
  std::shared_ptr<FileOp> op = op_ref;
  if (op->kind != Kind::ftruncate) {
    if (RingRef ring = ring_for_this_thread()) {
      bool open;
      {
        MaybeLock lock(ring.lock);
        open = ring.ring->is_open();
        if (open) prep(ring.ring->prepare(op), *op);
      }
      if (open) {
        RingWait wait(std::move(ring), op);  // a named local, not a temporary (see the pool's case below)
        const int r = co_await wait;
        // ECANCELED only comes from the shutdown's cancel-all (a task's own cancel comes with
        // its frame gone): the runtime is going away.
        if (r == -ECANCELED) co_return Error::shutdown;
        co_return from_syscall(r);
      }
      co_return Error::shutdown;
    }
  }
  // The job and its handle are named locals, not temporaries of the co_await expression: g++ 12
  // destroys such a temporary (the lambda holding the op) twice, which freed the op early (found
  // with valgrind).
  if (op->fd >= 0) {
    const int own = ::fcntl(op->fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) co_return errno_code(errno);
    op->fd = own;
    op->fd_owned = true;
  }
  auto pending = spawn_blocking(PoolJob{op});
  auto r = co_await pending;
  if (!r) co_return r.error();
  co_return from_syscall(*r);
}

namespace {
std::chrono::system_clock::time_point to_time(const statx_timestamp& t) noexcept {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(t.tv_sec) +
                                                                      std::chrono::nanoseconds(t.tv_nsec)));
}
}  // namespace

Metadata to_metadata(const struct statx& stx) noexcept {
  Metadata m;
  switch (stx.stx_mode & S_IFMT) {
    case S_IFREG: m.type = FileType::file; break;
    case S_IFDIR: m.type = FileType::dir; break;
    case S_IFLNK: m.type = FileType::symlink; break;
    default: m.type = FileType::other; break;
  }
  m.len = stx.stx_size;
  m.permissions = stx.stx_mode & 07777;
  m.inode = stx.stx_ino;
  m.blocks = stx.stx_blocks;
  m.modified = to_time(stx.stx_mtime);
  m.accessed = to_time(stx.stx_atime);
  m.has_created = (stx.stx_mask & STATX_BTIME) != 0;
  if (m.has_created) m.created = to_time(stx.stx_btime);
  return m;
}

}  // namespace eddy::fs::detail
