// TaskCell<T>: a spawned task's header together with a place for its output, both built at
// spawn in the prefix of the task's frame block (eddy/detail/task_frame.hpp).
//
// When the task's coroutine finishes, the scheduler calls finish_frame(): the output (value or
// exception) is moved out of the promise into the output slot, and the frame is destroyed at
// once, so a finished task holds nothing but its output while a JoinHandle (or anyone) keeps the
// header (and with it the block's memory, not the frame's objects, as in tokio).
// The output is written by the thread that ran the task before the task is marked complete
// (release), and read by the JoinHandle only after it saw COMPLETE (acquire).
#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <variant>

#include "eddy/detail/task_frame.hpp"
#include "eddy/detail/task_header.hpp"
#include "eddy/task.hpp"

namespace eddy::detail {

template <class T>
class TaskCell {
 public:
  using Output = typename Promise<T>::Output;
  using Layout = TaskFrameLayout<Output>;

  // Builds the header and an empty output slot in `root`'s block; one reference.
  static TaskHeader* create(std::coroutine_handle<Promise<T>> root) noexcept {
    TaskHeader* h = TaskHeader::emplace(root, &kOps);
    ::new (slot_address(h)) Output();
    return h;
  }

  // The output of a task that finished (not cancelled): its value (rethrowing its exception).
  static T take(TaskHeader& task) {
    Output& out = slot(&task);
    if constexpr (std::is_void_v<T>) {
      if (out) std::rethrow_exception(out);
    } else {
      if (out.index() == 2) std::rethrow_exception(std::get<2>(out));
      return std::move(std::get<1>(out));
    }
  }

 private:
  static void* slot_address(TaskHeader* h) noexcept {
    return reinterpret_cast<char*>(h) + Layout::kHeaderBack - Layout::kOutputBack;
  }
  static Output& slot(TaskHeader* h) noexcept { return *std::launder(static_cast<Output*>(slot_address(h))); }

  static void harvest(TaskHeader* task) noexcept {
    // Rebuilt in place: T need only be move-constructible.
    Output& out = slot(task);
    std::destroy_at(&out);
    ::new (static_cast<void*>(&out))
        Output(std::coroutine_handle<Promise<T>>::from_address(task->frame().address()).promise().take_output());
  }
  static void drop_output(TaskHeader* task) noexcept { std::destroy_at(&slot(task)); }
  static constexpr TaskOps kOps{&TaskCell::harvest, &TaskCell::drop_output};
};

}  // namespace eddy::detail
