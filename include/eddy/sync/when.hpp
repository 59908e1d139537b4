// eddy::sync::when_all / when_any: run several Tasks concurrently inside the awaiting task.
//
//   auto [a, b] = co_await when_all(fetch(x), fetch(y));        // tuple of both values
//   auto first = co_await when_any(from_cache(k), from_db(k));   // {index, value} of the winner
//   auto r = co_await eddy::time::timeout(1s, when_any(...));   // composes with timeout
//
// Nothing is spawned: each Task runs as a child of the task that awaits the combinator (its own
// waker; a wake re-runs just that child), so the children need no runtime spawn, run on the
// awaiting task's thread, and may borrow from the awaiting frame. A void Task contributes
// std::monostate. when_all waits for every child and returns their values in argument order; an
// exception thrown by a child is rethrown (the first in argument order) after all have finished.
// when_any returns as soon as one child finishes; if several are ready at the same poll, the one
// listed first wins. The vector overloads take any number of Tasks of one type (when_any of an
// empty vector is a programmer's bug and aborts).
//
// Cancellation: when_any cancels the losers before it returns: their frames are destroyed at the
// point where they are suspended (their awaiters unlink, locks and permits they held are
// released), exactly like aborted tasks. Destroying the coroutine that awaits either
// combinator (e.g. a timeout firing) destroys every child frame the same way.
#pragma once

#include <coroutine>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "eddy/sync/detail/config.hpp"
#include "eddy/time/detail/child_task.hpp"
#include "eddy/detail/fatal.hpp"
#include "eddy/detail/poll_awaiter.hpp"
#include "eddy/task.hpp"

namespace eddy::sync {

template <class T>
using WhenValue = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
struct WhenAnyResult {
  std::size_t index;  // which Task won (argument or vector position)
  WhenValue<T> value;
};

namespace detail {

// The children of one when_all / when_any, polled from the awaiting task.
class ChildSet : public eddy::detail::PollAwaiter<ChildSet, std::size_t> {
 public:
  static constexpr std::size_t kAll = static_cast<std::size_t>(-1);

  ChildSet(bool any, std::size_t n) : any_(any) { kids_.reserve(n); }
  ChildSet(const ChildSet&) = delete;
  ChildSet& operator=(const ChildSet&) = delete;

  void add(std::coroutine_handle<> root) { kids_.emplace_back(root); }
  eddy::detail::ChildTask& kid(std::size_t i) noexcept { return kids_[i]; }

  // when_all: kAll once every child finished; when_any: the index of the first to finish (the
  // others are cancelled before it returns).
  Poll<std::size_t> poll(const Waker& w) noexcept {
    bool all = true;
    for (std::size_t i = 0; i < kids_.size(); ++i) {
      auto& k = kids_[i];
      if (k.done()) continue;
      if (k.poll(w)) {
        if (any_) {
          for (std::size_t j = 0; j < kids_.size(); ++j)
            if (j != i && !kids_[j].done()) kids_[j].cancel();
          return i;
        }
      } else {
        all = false;
      }
    }
    if (any_) return Pending;
    return all ? Poll<std::size_t>(kAll) : Pending;
  }

 private:
  bool any_;
  std::vector<eddy::detail::ChildTask> kids_;
};

template <class T>
WhenValue<T> take_child(eddy::detail::ChildTask& c) {
  auto& p = std::coroutine_handle<eddy::detail::Promise<T>>::from_address(c.root().address()).promise();
  if constexpr (std::is_void_v<T>) {
    p.take();
    return {};
  } else {
    return p.take();
  }
}

template <class... Ts, std::size_t... Is>
std::tuple<WhenValue<Ts>...> take_all(ChildSet& set, std::index_sequence<Is...>) {
  return std::tuple<WhenValue<Ts>...>{take_child<Ts>(set.kid(Is))...};
}

}  // namespace detail

template <class... Ts>
EDDY_CORO_TEMPLATE Task<std::tuple<WhenValue<Ts>...>> when_all(Task<Ts>... tasks) {
  detail::ChildSet set(false, sizeof...(Ts));
  (set.add(tasks.release()), ...);
  co_await set;
  co_return detail::take_all<Ts...>(set, std::index_sequence_for<Ts...>{});
}

template <class T>
EDDY_CORO_TEMPLATE Task<std::vector<WhenValue<T>>> when_all(std::vector<Task<T>> tasks) {
  detail::ChildSet set(false, tasks.size());
  for (auto& t : tasks) set.add(t.release());
  co_await set;
  std::vector<WhenValue<T>> out;
  out.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) out.push_back(detail::take_child<T>(set.kid(i)));
  co_return out;
}

template <class T, class... Ts>
EDDY_CORO_TEMPLATE Task<WhenAnyResult<T>> when_any(Task<T> first, Task<Ts>... rest) {
  static_assert((std::is_same_v<T, Ts> && ...), "when_any: every Task must have the same value type");
  detail::ChildSet set(true, 1 + sizeof...(Ts));
  set.add(first.release());
  (set.add(rest.release()), ...);
  const std::size_t i = co_await set;
  co_return WhenAnyResult<T>{i, detail::take_child<T>(set.kid(i))};
}

template <class T>
EDDY_CORO_TEMPLATE Task<WhenAnyResult<T>> when_any(std::vector<Task<T>> tasks) {
  if (tasks.empty()) eddy::detail::fatal("eddy::sync::when_any: no tasks");
  detail::ChildSet set(true, tasks.size());
  for (auto& t : tasks) set.add(t.release());
  const std::size_t i = co_await set;
  co_return WhenAnyResult<T>{i, detail::take_child<T>(set.kid(i))};
}

}  // namespace eddy::sync
