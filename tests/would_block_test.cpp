// Issue 10, item 3: would-block is one error everywhere (EAGAIN in the system category, what
// the syscalls give), whether it comes from a socket's try_* or from AsyncFd::try_io, and one
// predicate (io::is_would_block) recognises it. Before, AsyncFd::try_io gave the generic
// category, so its error did not compare equal to a socket's.
#include "eddy/io/detail/registration.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "eddy/async_fd.hpp"
#include "eddy/net/udp_socket.hpp"
#include "support/net_test_util.hpp"

using eddy::Task;
using eddy_test::run;

namespace {
const std::error_code kSystemEagain(EAGAIN, std::system_category());
}  // namespace

TEST(WouldBlock, AsyncFdTryIoAndSocketTryReadGiveTheSameError) {
  run([]() -> Task<void> {
    int p[2];
    CO_ASSERT_TRUE(::pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    {
      auto fd = eddy::AsyncFd<int>::create(int{p[0]}, eddy::Interest::READABLE);
      CO_ASSERT_OK(fd);
      // Not ready: the closure is not called.
      bool called = false;
      auto r = fd->try_io(eddy::Interest::READABLE, [&]() -> eddy::Result<int> {
        called = true;
        return 0;
      });
      CO_ASSERT_TRUE(!r);
      EXPECT_FALSE(called);
      EXPECT_EQ(r.error(), kSystemEagain);
      EXPECT_EQ(r.error(), eddy::io::would_block_error());

      auto pair = co_await eddy_test::tcp_pair();
      CO_ASSERT_OK(pair);
      std::array<char, 8> buf{};
      auto t = pair->client.try_read(buf);
      CO_ASSERT_TRUE(!t);
      EXPECT_EQ(t.error(), kSystemEagain);
      EXPECT_EQ(t.error(), r.error());

      auto u = eddy::net::UdpSocket::bind(eddy_test::loopback_any_port());
      CO_ASSERT_OK(u);
      auto ut = u->try_recv(buf);
      CO_ASSERT_TRUE(!ut);
      EXPECT_EQ(ut.error(), r.error());
      // And everyone can compare through std::errc.
      EXPECT_EQ(r.error(), std::errc::resource_unavailable_try_again);
      EXPECT_EQ(t.error(), std::errc::operation_would_block);
    }
    ::close(p[0]);
    ::close(p[1]);
  }());
}

TEST(WouldBlock, OnePredicateAcceptsEagainInBothStandardCategoriesOnly) {
  EXPECT_TRUE(eddy::io::is_would_block(kSystemEagain));
  EXPECT_TRUE(eddy::io::is_would_block(std::error_code(EWOULDBLOCK, std::system_category())));
  EXPECT_TRUE(eddy::io::is_would_block(std::make_error_code(std::errc::resource_unavailable_try_again)));
  EXPECT_TRUE(eddy::io::is_would_block(std::make_error_code(std::errc::operation_would_block)));
  EXPECT_FALSE(eddy::io::is_would_block(std::error_code()));
  EXPECT_FALSE(eddy::io::is_would_block(std::error_code(EINTR, std::system_category())));
  EXPECT_FALSE(eddy::io::is_would_block(std::make_error_code(std::errc::connection_refused)));
  // eddy's own error enum never counts, whatever its value.
  EXPECT_FALSE(eddy::io::is_would_block(std::error_code(EAGAIN, eddy::error_category())));
}

TEST(WouldBlock, AsyncFdGuardTryIoClearsOnAGenericCategoryEagainToo) {
  run([]() -> Task<void> {
    int p[2];
    CO_ASSERT_TRUE(::pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    {
      auto fd = eddy::AsyncFd<int>::create(int{p[0]}, eddy::Interest::READABLE);
      CO_ASSERT_OK(fd);
      CO_ASSERT_TRUE(::write(p[1], "x", 1) == 1);
      auto g = co_await fd->readable();
      CO_ASSERT_OK(g);
      auto r = g->try_io([]() -> eddy::Result<int> { return std::make_error_code(std::errc::operation_would_block); });
      CO_ASSERT_TRUE(!r);
      EXPECT_TRUE(g->ready().is_empty());  // cleared
    }
    ::close(p[0]);
    ::close(p[1]);
  }());
}
