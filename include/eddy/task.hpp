// Task<T>: eddy's lazy coroutine type.
//
// A Task does nothing until it is awaited (or spawned / run by block_on). Awaiting a Task starts
// it by symmetric transfer, and its completion transfers straight back to the awaiting
// coroutine, so a chain of awaits costs no stack growth and no allocation beyond the frames.
// A Task returns a value (or void); an exception thrown inside it is rethrown to whoever awaits
// it.
//
// Cancellation: destroying a Task destroys its coroutine frame, and with it every awaiter it is
// suspended in (which unlink themselves from whatever they wait on). Nothing runs after that.
#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

#include "eddy/detail/task_frame.hpp"

namespace eddy {

template <class T = void>
class Task;

namespace detail {

class PromiseBase {
 public:
  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      // With no continuation this is a root task: control goes back to whoever resumed it
      // (the scheduler), which sees done().
      auto c = h.promise().continuation_;
      return c ? c : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  void set_continuation(std::coroutine_handle<> c) noexcept { continuation_ = c; }

 protected:
  std::coroutine_handle<> continuation_;
};

// Frames come from the per-thread frame cache (eddy/detail/frame_alloc.hpp), each with a
// prefix in front where spawn builds the task's header and output slot
// (eddy/detail/task_frame.hpp): one allocation per spawned task.
template <class T>
class Promise final : public PromiseBase {
 public:
  static void* operator new(std::size_t n) { return task_frame_allocate(n, TaskFrameLayout<Output>::kPrefix); }
  static void operator delete(void* p, std::size_t) noexcept { task_frame_deallocate(p); }

  Task<T> get_return_object() noexcept;

  template <class U>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    result_.template emplace<1>(std::forward<U>(v));
  }
  void unhandled_exception() noexcept { result_.template emplace<2>(std::current_exception()); }

  bool has_exception() const noexcept { return result_.index() == 2; }
  std::exception_ptr exception() const noexcept {
    return result_.index() == 2 ? std::get<2>(result_) : nullptr;
  }
  // The value; rethrows the task's exception.
  T take() {
    if (result_.index() == 2) std::rethrow_exception(std::get<2>(result_));
    return std::move(std::get<1>(result_));
  }

  // The outcome of a finished coroutine: its value or its exception (monostate: none).
  using Output = std::variant<std::monostate, T, std::exception_ptr>;
  // Moves the outcome out (a spawned task keeps it in its header and destroys the frame).
  Output take_output() noexcept(std::is_nothrow_move_constructible_v<T>) { return std::move(result_); }

 private:
  Output result_;
};

template <>
class Promise<void> final : public PromiseBase {
 public:
  static void* operator new(std::size_t n) { return task_frame_allocate(n, TaskFrameLayout<Output>::kPrefix); }
  static void operator delete(void* p, std::size_t) noexcept { task_frame_deallocate(p); }

  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  bool has_exception() const noexcept { return exception_ != nullptr; }
  std::exception_ptr exception() const noexcept { return exception_; }
  void take() {
    if (exception_) std::rethrow_exception(exception_);
  }

  using Output = std::exception_ptr;  // null: returned normally
  Output take_output() noexcept { return std::move(exception_); }

 private:
  std::exception_ptr exception_;
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() noexcept = default;
  explicit Task(Handle h) noexcept : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(h_); }
  bool done() const noexcept { return h_ && h_.done(); }

  auto operator co_await() && noexcept {
    struct Awaiter {
      Handle h;
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        h.promise().set_continuation(awaiting);
        return h;
      }
      T await_resume() { return h.promise().take(); }
    };
    return Awaiter{h_};
  }

  // Hands the coroutine over (used by the scheduler); the Task becomes empty.
  Handle release() noexcept { return std::exchange(h_, {}); }

 private:
  void reset() noexcept {
    if (h_) std::exchange(h_, {}).destroy();
  }

  Handle h_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace eddy
