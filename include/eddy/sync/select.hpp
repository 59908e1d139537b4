// eddy::sync::select: waits for the first of several poll-style awaitables, in place.
//
//   auto r = co_await eddy::sync::select(rx.recv(), token.cancelled(), eddy::time::sleep(1s));
//   switch (r.index()) {
//     case 0: use(std::get<0>(std::move(r)));  break;   // what rx.recv() returned
//     case 1: /* cancelled */                  break;
//     case 2: /* timed out */                  break;
//   }
//
// Each operand is an eddy awaitable with a `poll(const Waker&)` member (channel receives and
// sends, Notify::notified, Semaphore::acquire, sleep, a JoinHandle, readiness waits, ...). The
// result is a std::variant whose alternative i holds operand i's result (the same type may
// appear more than once: use the index). Unlike when_any, nothing is spawned and nothing is
// allocated: every operand is polled in the awaiting task with the task's own waker, which is
// what tokio's select! does with futures.
//
// Order: the operands are polled in argument order on every wake, and the first one ready
// wins, so an earlier operand that is always ready starves the later ones (a "biased" select;
// put the cancellation or shutdown branch first when it must win).
//
// Operands passed as rvalues are moved into the select; lvalues are polled where they are, by
// reference (an awaiter that cannot be moved once made: declare it, then pass it). An lvalue
// that is awaited through its `operator co_await` (a oneshot::Receiver) may be passed as is.
//
// Cancellation: the operands that did not win are destroyed (rvalues) or left as they are
// (lvalues) once the select completes, and all are when the awaiting coroutine is destroyed;
// each then keeps its own promise for data in flight (an mpsc receive that did not win took no
// message; a oneshot value stays in the channel; a Semaphore acquire that did not win holds no
// permit). A winner's result is moved out to the caller, so nothing it took is lost.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/poll.hpp"
#include "eddy/waker.hpp"

namespace eddy::sync {

namespace detail {

template <class P>
struct PollValue;
template <class T>
struct PollValue<Poll<T>> {
  using type = T;
};

template <class T>
concept Pollable = requires(T& a, const Waker& w) { a.poll(w); };

// How select holds operand A (deduced from the argument: T for an rvalue, T& for an lvalue):
// a pollable rvalue by value, a pollable lvalue by reference, and an lvalue whose
// `operator co_await()` makes a pollable awaiter (a oneshot::Receiver, say) as that awaiter.
template <class A>
struct SelectOperand {
  static_assert(std::is_lvalue_reference_v<A> || std::is_move_constructible_v<A>,
                "select: this awaiter cannot be moved: declare it, then pass it as an lvalue");
  using type = A;
};
template <class A>
  requires(!Pollable<std::remove_reference_t<A>>)
struct SelectOperand<A> {
  static_assert(std::is_lvalue_reference_v<A>,
                "select: an operand that is not pollable itself must be an lvalue (its awaiter refers to it)");
  using type = decltype(std::declval<A>().operator co_await());
  static_assert(Pollable<type>, "select: the operand's awaiter has no poll(const Waker&)");
};

template <class A, class B>
typename SelectOperand<A>::type make_operand(B&& op) {
  if constexpr (Pollable<std::remove_reference_t<A>>) {
    return std::forward<B>(op);
  } else {
    return op.operator co_await();
  }
}

// The value operand A's poll produces when ready.
template <class A>
using SelectValue = typename PollValue<decltype(std::declval<std::remove_reference_t<typename SelectOperand<A>::type>&>().poll(
    std::declval<const Waker&>()))>::type;

}  // namespace detail

template <class... A>
class [[nodiscard]] Select
    : public eddy::detail::PollAwaiter<Select<A...>, std::variant<detail::SelectValue<A>...>> {
 public:
  using Output = std::variant<detail::SelectValue<A>...>;

  template <class... B>
  explicit Select(B&&... ops) : ops_(detail::make_operand<A>(std::forward<B>(ops))...) {}

  Poll<Output> poll(const Waker& w) { return poll_from<0>(w); }

 private:
  template <std::size_t I>
  Poll<Output> poll_from(const Waker& w) {
    if constexpr (I == sizeof...(A)) {
      return Pending;
    } else {
      auto p = std::get<I>(ops_).poll(w);
      if (p.is_ready()) return Output(std::in_place_index<I>, std::move(*p));
      return poll_from<I + 1>(w);
    }
  }

  std::tuple<typename detail::SelectOperand<A>::type...> ops_;
};

// The first of `ops` to be ready (see the header comment). At least two operands.
template <class... A>
  requires(sizeof...(A) >= 2)
Select<A...> select(A&&... ops) {
  return Select<A...>(std::forward<A>(ops)...);
}

}  // namespace eddy::sync
