// TaskCell<T>: a spawned task's header with a place for its output.
//
// When the task's coroutine finishes, the scheduler calls finish_frame(): the output (value or
// exception) is moved out of the promise into the cell, and the frame is destroyed at once, so a
// finished task holds nothing but its output while a JoinHandle (or anyone) keeps the header.
// The output is written by the thread that ran the task before the task is marked complete
// (release), and read by the JoinHandle only after it saw COMPLETE (acquire).
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "eddy/detail/task_header.hpp"
#include "eddy/task.hpp"

namespace eddy::detail {

template <class T>
class TaskCell final : public TaskHeader {
 public:
  using Output = typename Promise<T>::Output;

  explicit TaskCell(std::coroutine_handle<Promise<T>> root) noexcept : TaskHeader(root, &kOps) {}

  // The output of a task that finished (not cancelled): its value (rethrowing its exception).
  T take() {
    Output& out = *output_;
    if constexpr (std::is_void_v<T>) {
      if (out) std::rethrow_exception(out);
    } else {
      if (out.index() == 2) std::rethrow_exception(std::get<2>(out));
      return std::move(std::get<1>(out));
    }
  }

 private:
  ~TaskCell() = default;

  static void harvest(TaskHeader* task) noexcept {
    auto* self = static_cast<TaskCell*>(task);
    // Constructed in place: T need only be move-constructible.
    self->output_.emplace(std::coroutine_handle<Promise<T>>::from_address(task->root().address()).promise().take_output());
  }
  static void destroy(TaskHeader* task) noexcept { delete static_cast<TaskCell*>(task); }
  static constexpr TaskOps kOps{&TaskCell::harvest, &TaskCell::destroy};

  std::optional<Output> output_;  // set once, by harvest
};

}  // namespace eddy::detail
