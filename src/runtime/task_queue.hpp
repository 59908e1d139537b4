// TaskQueue: an intrusive FIFO of tasks (through TaskHeader::queue_next), so queueing never
// allocates. Not thread-safe: its owner says who may touch it (a core's local queue: the
// thread running the core; an injection queue: whoever holds its mutex). Each entry holds one
// task reference, handed over by push and back by pop.
#pragma once

#include "eddy/detail/task_header.hpp"

namespace eddy::detail {

class TaskQueue {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  void push(TaskHeader* t) noexcept {
    t->queue_next = nullptr;
    if (tail_) tail_->queue_next = t;
    else head_ = t;
    tail_ = t;
  }
  TaskHeader* pop() noexcept {
    TaskHeader* t = head_;
    if (t) {
      head_ = t->queue_next;
      if (!head_) tail_ = nullptr;
      t->queue_next = nullptr;
    }
    return t;
  }
  // Moves every entry of `other` to the back of this queue.
  void append(TaskQueue& other) noexcept {
    if (other.empty()) return;
    if (tail_) tail_->queue_next = other.head_;
    else head_ = other.head_;
    tail_ = other.tail_;
    other.head_ = other.tail_ = nullptr;
  }

 private:
  TaskHeader* head_ = nullptr;
  TaskHeader* tail_ = nullptr;
};

}  // namespace eddy::detail
