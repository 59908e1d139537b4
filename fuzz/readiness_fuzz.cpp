// Fuzz target: sequences of driver-side readiness operations on the resources of one
// RegistrationSet (allocate, dispatch, snapshot, tick-checked clear, slot polls, list waiters,
// shutdown of one resource or of the whole set, deregister, release, drop), checked after
// every step against a reference model of each resource: its Ready bits, tick, SHUTDOWN bit,
// the waker in each slot, each list waiter's state, and how often each waker was woken.
// Single-threaded (the interleavings are the spin model's job, models/readiness.pml); ASan and
// UBSan watch the lifetimes (a ScheduledIo freed too early, a waker leaked).
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "eddy/detail/ref_ptr.hpp"
#include "eddy/io/detail/scheduled_io.hpp"
#include "eddy/io/ready_event.hpp"
#include "fuzz_input.hpp"
#include "io/registration_set.hpp"

using eddy::Interest;
using eddy::Ready;
using eddy::Waker;
using eddy::detail::RefPtr;
using eddy::io::Direction;
using eddy::io::ReadyEvent;
using eddy::io::Readiness;
using eddy::io::RegistrationSet;
using eddy::io::ScheduledIo;
using Word = eddy::io::detail::ReadinessWord;

namespace {

constexpr unsigned kResources = 3;
constexpr unsigned kWakers = 3;     // per resource
constexpr unsigned kListWaiters = 2;  // per resource

// A waker that counts its wakes and its live references (no allocation).
struct Counter {
  int refs = 0;
  int wakes = 0;
};
void* c_clone(void* d) noexcept {
  ++static_cast<Counter*>(d)->refs;
  return d;
}
void c_wake(void* d) noexcept {
  ++static_cast<Counter*>(d)->wakes;
  --static_cast<Counter*>(d)->refs;
}
void c_wake_by_ref(void* d) noexcept { ++static_cast<Counter*>(d)->wakes; }
void c_drop(void* d) noexcept { --static_cast<Counter*>(d)->refs; }
const eddy::WakerVTable kVTable{&c_clone, &c_wake, &c_wake_by_ref, &c_drop};
Waker make_waker(Counter& c) {
  ++c.refs;
  return Waker::from_raw(&c, &kVTable);
}

constexpr std::uint16_t kClosed = Ready::READ_CLOSED.bits() | Ready::WRITE_CLOSED.bits();

Interest interest_of(unsigned k) {
  switch (k % 3) {
    case 0: return Interest::READABLE;
    case 1: return Interest::WRITABLE;
    default: return Interest::READABLE | Interest::WRITABLE;
  }
}

struct ListModel {
  enum State { None, Waiting, Woken, Done } state = None;
  unsigned waker = 0;
  Interest interest = Interest::READABLE;
};

// One resource as the harness sees it: our reference and the model.
struct Res {
  RefPtr<ScheduledIo> io;
  bool live = false;          // we hold `io` and check it
  bool deregistered = false;
  bool linked = false;        // in the set's list (until release after deregister, or shutdown)
  std::uint16_t ready = 0;
  std::uint32_t tick = 0;
  bool shutdown = false;
  std::array<int, 2> slot{-1, -1};  // waker index in each direction's slot
  std::array<Counter, kWakers> wakers{};
  std::array<int, kWakers> expected_wakes{};
  std::array<std::optional<Readiness>, kListWaiters> futures;
  std::array<ListModel, kListWaiters> lists{};
  std::optional<ReadyEvent> saved;
};

void check(Res& r) {
  const std::uint64_t w = r.io->readiness_word();
  FUZZ_CHECK(Word::ready_of(w).bits() == r.ready);
  FUZZ_CHECK(Word::tick_of(w) == r.tick);
  FUZZ_CHECK(Word::is_shutdown(w) == r.shutdown);
  FUZZ_CHECK((w & ~Word::kKeep) == 0);
  for (unsigned k = 0; k < kWakers; ++k) FUZZ_CHECK(r.wakers[k].wakes == r.expected_wakes[k]);
}

// What ScheduledIo::wake(ready) does to the model's wakers. The read slot wakes on readable,
// read-closed or a pending error (issue 10: an error-only event must reach a waiting receiver;
// the corpus entry read-slot-wakes-on-error is the input that caught the model lagging).
void model_wake(Res& r, Ready ready) {
  if (!(ready & (Ready::READABLE | Ready::READ_CLOSED | Ready::ERROR)).is_empty() && r.slot[0] >= 0) {
    ++r.expected_wakes[static_cast<unsigned>(r.slot[0])];
    r.slot[0] = -1;
  }
  if (ready.is_writable() && r.slot[1] >= 0) {
    ++r.expected_wakes[static_cast<unsigned>(r.slot[1])];
    r.slot[1] = -1;
  }
  for (auto& l : r.lists) {
    if (l.state == ListModel::Waiting && ready.satisfies(l.interest)) {
      l.state = ListModel::Woken;
      ++r.expected_wakes[l.waker];
    }
  }
}

// A fresh model for a new resource in this place (the old one holds no waker any more).
void reset(Res& r) {
  for (auto& f : r.futures) f.reset();
  r.io = RefPtr<ScheduledIo>();
  r.live = r.deregistered = r.linked = false;
  r.ready = 0;
  r.tick = 0;
  r.shutdown = false;
  r.slot = {-1, -1};
  for (auto& c : r.wakers) c = Counter{};
  r.expected_wakes = {};
  r.lists = {};
  r.saved.reset();
}

void drop(Res& r) {
  for (auto& f : r.futures) f.reset();  // a Readiness never outlives its resource
  for (auto& l : r.lists) l.state = ListModel::None;
  r.io->clear_wakers();                  // as ~Registration does
  r.slot = {-1, -1};
  r.io = RefPtr<ScheduledIo>();
  r.live = false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  eddy_fuzz::FuzzInput in(data, size);
  std::vector<Res> res(kResources);
  {
    RegistrationSet set;
    bool set_shutdown = false;
    for (int step = 0; step < 256 && !in.empty(); ++step) {
      const unsigned op = in.below(12);
      Res& r = res[in.below(kResources)];
      if (op == 0) {  // allocate
        if (r.live) continue;
        auto io = set.allocate();
        FUZZ_CHECK(io.has_value() == !set_shutdown);
        if (!io) continue;
        for (auto& c : r.wakers) FUZZ_CHECK(c.refs == 0);  // the previous resource kept none
        reset(r);
        r.io = std::move(*io);
        r.live = true;
        r.linked = true;
        check(r);
        continue;
      }
      if (op == 10) {  // RegistrationSet::release (the driver's next turn)
        set.release();
        for (Res& x : res) {
          if (x.deregistered) x.linked = false;
        }
        continue;
      }
      if (op == 11) {  // Driver::shutdown
        auto all = set.shutdown();
        if (!set_shutdown) {
          for (auto& io : all) io->shutdown();
          for (Res& x : res) {
            if (x.live && x.linked) {
              x.shutdown = true;
              model_wake(x, Ready::ALL);
            }
            x.linked = false;
          }
        }
        FUZZ_CHECK(set_shutdown ? all.empty() : true);
        set_shutdown = true;
        for (Res& x : res) {
          if (x.live) check(x);
        }
        continue;
      }
      if (!r.live) continue;
      switch (op) {
        case 1:
        case 2: {  // dispatch
          const Ready ready = Ready::from_bits(in.byte());
          r.io->dispatch(ready);
          r.ready = static_cast<std::uint16_t>(r.ready | ready.bits());
          ++r.tick;
          model_wake(r, ready);
          break;
        }
        case 3: {  // snapshot (what try_io and a ready poll hand out)
          const Interest i = interest_of(in.byte());
          r.saved = r.io->ready_event(i);
          FUZZ_CHECK(r.saved->tick == r.tick);
          FUZZ_CHECK(r.saved->ready.bits() == (r.ready & Ready::from_interest(i).bits()));
          FUZZ_CHECK(r.saved->is_shutdown == r.shutdown);
          break;
        }
        case 4: {  // clear_readiness with the saved (possibly stale) event
          if (!r.saved) break;
          r.io->clear_readiness(*r.saved);
          if (r.saved->tick == r.tick) {
            r.ready = static_cast<std::uint16_t>(r.ready & ~(r.saved->ready.bits() & ~kClosed));
          }
          break;
        }
        case 5: {  // poll_readiness (slot waker)
          const unsigned k = in.below(kWakers);
          const Direction d = in.byte() & 1 ? Direction::Write : Direction::Read;
          const std::uint16_t mask = eddy::io::direction_mask(d).bits();
          Waker w = make_waker(r.wakers[k]);
          auto p = r.io->poll_readiness(w, d);
          const bool ready = (r.ready & mask) != 0 || r.shutdown;
          FUZZ_CHECK(p.is_ready() == ready);
          if (ready) {
            FUZZ_CHECK(p->tick == r.tick && p->ready.bits() == (r.ready & mask) && p->is_shutdown == r.shutdown);
          } else {
            r.slot[d == Direction::Read ? 0 : 1] = static_cast<int>(k);
          }
          break;
        }
        case 6: {  // a list waiter: create and poll, or poll again, or destroy
          const unsigned j = in.below(kListWaiters);
          const unsigned action = in.below(3);
          ListModel& l = r.lists[j];
          if (action == 2) {
            r.futures[j].reset();
            l.state = ListModel::None;
            break;
          }
          if (!r.futures[j]) {
            l = ListModel{};
            l.interest = interest_of(in.byte());
            r.futures[j].emplace(*r.io, l.interest);
          }
          if (l.state == ListModel::Done) break;  // a finished future is not polled again
          const unsigned k = in.below(kWakers);
          Waker w = make_waker(r.wakers[k]);
          auto p = r.futures[j]->poll(w);
          const bool ready_now = l.state == ListModel::Woken ||
                                 (l.state == ListModel::None &&
                                  (r.shutdown || Ready::from_bits(r.ready).satisfies(l.interest)));
          FUZZ_CHECK(p.is_ready() == ready_now);
          if (ready_now) {
            l.state = ListModel::Done;
            FUZZ_CHECK(p->is_shutdown == r.shutdown);
            FUZZ_CHECK(p->tick == r.tick);
          } else {
            l.state = ListModel::Waiting;
            l.waker = k;
          }
          break;
        }
        case 7:  // ScheduledIo::shutdown (one resource)
          r.io->shutdown();
          r.shutdown = true;
          model_wake(r, Ready::ALL);
          break;
        case 8:  // deregister (once the backend said the token is dead), then drop the socket
          if (!r.deregistered) {
            set.deregister(*r.io);
            r.deregistered = true;
          } else {
            drop(r);
          }
          break;
        default:  // clear_wakers (a Registration moved over)
          r.io->clear_wakers();
          r.slot = {-1, -1};
          break;
      }
      if (r.live) check(r);
    }
    for (Res& r : res) {
      if (r.live) drop(r);
    }
    set.release();
  }
  // Every resource is gone now, and with it every waker it held.
  for (Res& r : res) {
    for (auto& c : r.wakers) FUZZ_CHECK(c.refs == 0);
  }
  return 0;
}
