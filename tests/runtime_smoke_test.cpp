#include "eddy/runtime.hpp"

#include <gtest/gtest.h>

#include "eddy/async_fd.hpp"
#include "support/rt_kinds.hpp"
#include <unistd.h>
#include <fcntl.h>

namespace {

eddy::Task<int> forty_two() { co_return 42; }
eddy::Task<int> add_one() { co_return co_await forty_two() + 1; }

}  // namespace

EDDY_RT_SUITE(RuntimeSmokeTest);

TEST_P(RuntimeSmokeTest, BlockOnReturnsValue) {
  auto rt = eddy_test::rt_builder().enable_all().build();
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->block_on(add_one()), 43);
}

TEST_P(RuntimeSmokeTest, SpawnAndJoin) {
  auto rt = eddy_test::rt_builder().enable_all().build();
  ASSERT_TRUE(rt);
  int r = rt->block_on([]() -> eddy::Task<int> {
    auto h = eddy::spawn(forty_two());
    co_await eddy::yield_now();
    auto v = co_await h;
    co_return *v;
  }());
  EXPECT_EQ(r, 42);
}

TEST_P(RuntimeSmokeTest, PipeReadable) {
  auto rt = eddy_test::rt_builder().enable_all().build();
  ASSERT_TRUE(rt);
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  eddy::OwnedFd w(p[1]);
  int got = rt->block_on([](int rfd, int wfd) -> eddy::Task<int> {
    auto fd = eddy::AsyncFd<eddy::OwnedFd>::create(eddy::OwnedFd(rfd), eddy::Interest::READABLE);
    if (!fd) co_return -1;
    auto writer = eddy::spawn([](int wfd2) -> eddy::Task<void> {
      co_await eddy::yield_now();
      char c = 'x';
      (void)::write(wfd2, &c, 1);
    }(wfd));
    auto r = co_await fd->async_io(eddy::Interest::READABLE, [&]() -> eddy::Result<int> {
      char c;
      ssize_t n = ::read(fd->fd(), &c, 1);
      if (n < 0) return eddy::last_error();
      return static_cast<int>(c);
    });
    (void)(co_await writer);
    co_return r ? *r : -2;
  }(p[0], p[1]));
  EXPECT_EQ(got, 'x');
}
