#include "eddy/sync/semaphore.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "support/rt_helpers.hpp"
#include "support/test_waker.hpp"
#include "support/rt_kinds.hpp"

// Semaphore: ports of tokio's sync_semaphore.rs / batch_semaphore tests, FIFO fairness with
// acquire_many, and the cancellation cases (a partly assigned waiter, a granted waiter that never
// ran), each checking that every permit comes back.

namespace {

using eddy::sync::Semaphore;
using eddy::sync::SyncError;
using eddy_test::TestWaker;

using AcquirePoll = eddy::Poll<eddy::Result<eddy::sync::SemaphorePermit>>;

}  // namespace

EDDY_RT_SUITE(SyncSemaphoreTest);

TEST_P(SyncSemaphoreTest, TryAcquireAndReleaseOnDrop) {
  Semaphore s(2);
  {
    auto p1 = s.try_acquire();
    ASSERT_TRUE(p1);
    auto p2 = s.try_acquire();
    ASSERT_TRUE(p2);
    auto p3 = s.try_acquire();
    ASSERT_FALSE(p3);
    EXPECT_EQ(p3.error(), SyncError::would_block);
    EXPECT_EQ(s.available_permits(), 0u);
  }
  EXPECT_EQ(s.available_permits(), 2u);
}

TEST_P(SyncSemaphoreTest, TryAcquireMany) {
  Semaphore s(5);
  auto p = s.try_acquire(3);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->num_permits(), 3u);
  EXPECT_FALSE(s.try_acquire(3));
  EXPECT_TRUE(s.try_acquire(2));
}

TEST_P(SyncSemaphoreTest, AcquireReadyAtOnceWhenAvailable) {
  Semaphore s(1);
  TestWaker w;
  auto a = s.acquire();
  AcquirePoll r = a.poll(w.waker());
  ASSERT_TRUE(r);
  ASSERT_TRUE(*r);
  EXPECT_EQ(s.available_permits(), 0u);
}

TEST_P(SyncSemaphoreTest, WaiterWokenByRelease) {
  Semaphore s(1);
  TestWaker w;
  auto held = s.try_acquire();
  ASSERT_TRUE(held);
  auto a = s.acquire();
  EXPECT_FALSE(a.poll(w.waker()));
  held->reset();
  EXPECT_EQ(w.woken(), 1);
  EXPECT_EQ(s.available_permits(), 0u);  // handed straight to the waiter
  auto r = a.poll(w.waker());
  ASSERT_TRUE(r && *r);
}

TEST_P(SyncSemaphoreTest, FifoAcquireManyBlocksLaterSmallerWaiters) {
  Semaphore s(0);
  TestWaker wa, wb;
  auto a = s.acquire(2);
  auto b = s.acquire(1);
  EXPECT_FALSE(a.poll(wa.waker()));
  EXPECT_FALSE(b.poll(wb.waker()));
  s.add_permits(1);  // goes to a (partly), not to b
  EXPECT_EQ(wa.woken(), 0);
  EXPECT_EQ(wb.woken(), 0);
  EXPECT_FALSE(s.try_acquire());  // nor to a newcomer
  s.add_permits(1);
  EXPECT_EQ(wa.woken(), 1);
  EXPECT_EQ(wb.woken(), 0);
  s.add_permits(1);
  EXPECT_EQ(wb.woken(), 1);
  auto ra = a.poll(wa.waker());
  auto rb = b.poll(wb.waker());
  ASSERT_TRUE(ra && *ra);
  ASSERT_TRUE(rb && *rb);
  EXPECT_EQ((*ra)->num_permits(), 2u);
}

TEST_P(SyncSemaphoreTest, AcquireTakesPartialPermitsThenWaits) {
  Semaphore s(1);
  TestWaker w;
  auto a = s.acquire(3);
  EXPECT_FALSE(a.poll(w.waker()));
  EXPECT_EQ(s.available_permits(), 0u);  // the one permit is assigned to a
  s.add_permits(2);
  auto r = a.poll(w.waker());
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->num_permits(), 3u);
}

TEST_P(SyncSemaphoreTest, CancelledPartlyAssignedWaiterGivesPermitsOn) {
  Semaphore s(0);
  TestWaker wa, wb;
  auto bw = s.acquire(1);
  {
    auto a = s.acquire(2);
    EXPECT_FALSE(a.poll(wa.waker()));
    EXPECT_FALSE(bw.poll(wb.waker()));
    s.add_permits(1);  // assigned to a
    EXPECT_EQ(wb.woken(), 0);
  }  // a destroyed: its one permit must reach b
  EXPECT_EQ(wb.woken(), 1);
  auto r = bw.poll(wb.waker());
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(s.available_permits(), 0u);
}

TEST_P(SyncSemaphoreTest, GrantedWaiterDestroyedBeforeRunningReturnsPermit) {
  Semaphore s(0);
  TestWaker w;
  {
    auto a = s.acquire(2);
    EXPECT_FALSE(a.poll(w.waker()));
    s.add_permits(2);  // a is granted and woken...
    EXPECT_EQ(w.woken(), 1);
    EXPECT_EQ(s.available_permits(), 0u);
  }  // ...but destroyed before it ran
  EXPECT_EQ(s.available_permits(), 2u);
}

TEST_P(SyncSemaphoreTest, GrantedWaiterDestroyedBeforeRunningWakesNextWaiter) {
  Semaphore s(0);
  TestWaker wa, wb;
  auto b = s.acquire(1);
  {
    auto a = s.acquire(1);
    EXPECT_FALSE(a.poll(wa.waker()));
    EXPECT_FALSE(b.poll(wb.waker()));
    s.add_permits(1);
    EXPECT_EQ(wa.woken(), 1);
  }
  EXPECT_EQ(wb.woken(), 1);
  auto r = b.poll(wb.waker());
  ASSERT_TRUE(r && *r);
}

TEST_P(SyncSemaphoreTest, CloseFailsWaitersAndNewAcquires) {
  Semaphore s(1);
  TestWaker w;
  auto held = s.try_acquire();
  ASSERT_TRUE(held);
  auto a = s.acquire();
  EXPECT_FALSE(a.poll(w.waker()));
  s.close();
  EXPECT_TRUE(s.is_closed());
  EXPECT_EQ(w.woken(), 1);
  auto r = a.poll(w.waker());
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error(), SyncError::closed);
  EXPECT_EQ(s.try_acquire().error(), SyncError::closed);
  auto b = s.acquire();
  auto rb = b.poll(w.waker());
  ASSERT_TRUE(rb && !*rb);
  held->reset();  // a permit held across close still goes back
  EXPECT_EQ(s.available_permits(), 1u);
}

TEST_P(SyncSemaphoreTest, CloseReturnsPartialAssignments) {
  Semaphore s(1);
  TestWaker w;
  auto a = s.acquire(2);
  EXPECT_FALSE(a.poll(w.waker()));
  EXPECT_EQ(s.available_permits(), 0u);
  s.close();
  EXPECT_EQ(s.available_permits(), 1u);
}

TEST_P(SyncSemaphoreTest, ForgetAndMerge) {
  Semaphore s(3);
  auto p = s.try_acquire();
  auto q = s.try_acquire();
  ASSERT_TRUE(p && q);
  p->merge(std::move(*q));
  EXPECT_EQ(p->num_permits(), 2u);
  p->forget();
  EXPECT_EQ(s.available_permits(), 1u);
  EXPECT_EQ(s.forget_permits(5), 1u);
  EXPECT_EQ(s.available_permits(), 0u);
}

TEST_P(SyncSemaphoreTest, OwnedPermitKeepsSemaphoreAlive) {
  auto s = std::make_shared<Semaphore>(1);
  std::weak_ptr<Semaphore> weak = s;
  auto p = eddy::sync::try_acquire_owned(s);
  ASSERT_TRUE(p);
  EXPECT_FALSE(eddy::sync::try_acquire_owned(s));
  s.reset();
  EXPECT_FALSE(weak.expired());
  p->reset();
  EXPECT_TRUE(weak.expired());
}

TEST_P(SyncSemaphoreTest, AcquireOwnedWaits) {
  auto s = std::make_shared<Semaphore>(0);
  TestWaker w;
  auto a = eddy::sync::acquire_owned(s, 2);
  EXPECT_FALSE(a.poll(w.waker()));
  s->add_permits(2);
  auto r = a.poll(w.waker());
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->num_permits(), 2u);
  r->value().reset();
  EXPECT_EQ(s->available_permits(), 2u);
}

TEST_P(SyncSemaphoreTest, TasksNeverExceedPermits) {
  auto rt = eddy_test::make_rt(false);
  Semaphore s(2);
  int max_seen = rt.block_on([](Semaphore& sem) -> eddy::Task<int> {
    // Atomics: on the multi-thread kind the two permit holders run on
    // different workers at once, so a plain counter would itself race.
    std::atomic<int> inside{0}, max_inside{0};
    std::vector<eddy::JoinHandle<void>> hs;
    for (int i = 0; i < 10; ++i) {
      hs.push_back(eddy::spawn(
          [](Semaphore& sm, std::atomic<int>& in, std::atomic<int>& mx) -> eddy::Task<void> {
            auto p = co_await sm.acquire();
            EXPECT_TRUE(p);
            int now = in.fetch_add(1) + 1;
            int seen = mx.load();
            while (now > seen && !mx.compare_exchange_weak(seen, now)) {
            }
            co_await eddy::yield_now();
            co_await eddy::yield_now();
            in.fetch_sub(1);
          }(sem, inside, max_inside)));
    }
    for (auto& h : hs) EXPECT_TRUE(co_await h);
    co_return max_inside.load();
  }(s));
  EXPECT_EQ(max_seen, 2);
  EXPECT_EQ(s.available_permits(), 2u);
}

TEST_P(SyncSemaphoreTest, AbortedTaskGrantedPermitIsNotLost) {
  auto rt = eddy_test::make_rt(false);
  Semaphore s(0);
  rt.block_on([](Semaphore& sem) -> eddy::Task<void> {
    auto h = eddy::spawn([](Semaphore& sm) -> eddy::Task<void> {
      auto p = co_await sm.acquire();
      ADD_FAILURE() << "the aborted task must not run on";
    }(sem));
    co_await eddy::yield_now();  // h waits
    sem.add_permits(1);          // granted to h and h scheduled...
    h.abort();                   // ...but aborted before it runs
    auto r = co_await h;
    EXPECT_FALSE(r);
    EXPECT_EQ(sem.available_permits(), 1u);
  }(s));
}

TEST_P(SyncSemaphoreTest, CrossThreadReleasesReachTask) {
  auto rt = eddy_test::make_rt(false);
  Semaphore s(0);
  constexpr int kThreads = 4, kPer = 500;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < kPer; ++i) s.add_permits(1);
    });
  int got = rt.block_on([](Semaphore& sem) -> eddy::Task<int> {
    int n = 0;
    for (int i = 0; i < kThreads * kPer; ++i) {
      auto p = co_await sem.acquire();
      if (!p) co_return -1;
      p->forget();
      ++n;
    }
    co_return n;
  }(s));
  for (auto& t : ts) t.join();
  EXPECT_EQ(got, kThreads * kPer);
  EXPECT_EQ(s.available_permits(), 0u);
}

TEST_P(SyncSemaphoreTest, StressThreadsTryAcquireTasksAcquire) {
  // Threads take and return permits with try_acquire while tasks wait in acquire(): the number in
  // use never exceeds the permits, and every permit is back at the end.
  auto rt = eddy_test::make_rt(false);
  Semaphore s(3);
  std::atomic<int> in_use{0}, max_in_use{0};
  auto enter = [&] {
    const int now = in_use.fetch_add(1) + 1;
    int m = max_in_use.load();
    while (now > m && !max_in_use.compare_exchange_weak(m, now)) {
    }
  };
  std::vector<std::thread> ts;
  for (int t = 0; t < 3; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 3000; ++i) {
        auto p = s.try_acquire();
        if (!p) {
          std::this_thread::yield();
          continue;
        }
        enter();
        in_use.fetch_sub(1);
      }
    });
  rt.block_on([](Semaphore& sem, auto& ent, std::atomic<int>& use) -> eddy::Task<void> {
    std::vector<eddy::JoinHandle<void>> hs;
    for (int k = 0; k < 4; ++k)
      hs.push_back(eddy::spawn([](Semaphore& sm, auto& e, std::atomic<int>& u) -> eddy::Task<void> {
        for (int i = 0; i < 500; ++i) {
          auto p = co_await sm.acquire(1 + i % 2);
          EXPECT_TRUE(p);
          e();
          if (i % 2) e();
          co_await eddy::yield_now();
          u.fetch_sub(1 + i % 2);
        }
      }(sem, ent, use)));
    for (auto& h : hs) EXPECT_TRUE(co_await h);
  }(s, enter, in_use));
  for (auto& t : ts) t.join();
  EXPECT_LE(max_in_use.load(), 3);
  EXPECT_EQ(s.available_permits(), 3u);
}
