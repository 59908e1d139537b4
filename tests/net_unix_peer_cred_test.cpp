#include "eddy/net/ucred.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <system_error>

#include "eddy/net/unix_stream.hpp"
#include "support/net_test_util.hpp"
#include "support/rt_kinds.hpp"

using eddy::Task;
using eddy_test::run;

EDDY_NET_SUITE(NetUnixPeerCredTest);

TEST_P(NetUnixPeerCredTest, PairPeerIsThisProcess) {
  run([]() -> Task<void> {
    auto p = eddy::net::UnixStream::pair();
    CO_ASSERT_OK(p);
    auto c = p->first.peer_cred();
    CO_ASSERT_OK(c);
    EXPECT_EQ(c->pid, std::optional<pid_t>(::getpid()));
    EXPECT_EQ(c->uid, ::geteuid());
    EXPECT_EQ(c->gid, ::getegid());
    EXPECT_EQ(*p->second.peer_cred(), *c);
  }());
}

TEST_P(NetUnixPeerCredTest, ClosedStreamGivesEbadf) {
  run([]() -> Task<void> {
    auto p = eddy::net::UnixStream::pair();
    CO_ASSERT_OK(p);
    auto kept = std::move(p->first);
    EXPECT_EQ(p->first.peer_cred().error(), std::errc::bad_file_descriptor);
    CO_ASSERT_OK(kept.peer_cred());
  }());
}
