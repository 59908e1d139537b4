// The block of every Task coroutine frame: a prefix in front of the frame where, if the Task is
// spawned (or run as a timeout's / when_all's child), its TaskHeader and output slot are built,
// so that a task costs one allocation, not two (frame + header).
//
//   block: [ pad | output slot | TaskHeader | FrameTag | coroutine frame ... ]
//          ^ frame_allocate'd                          ^ what operator new returns
//
// Why a prefix and not a header inside the promise: the frame (promise included) is destroyed
// the moment a task finishes or is cancelled, so that what it owns (sockets, by-value
// parameters) goes then, while the header and the output must live on until the last
// reference (JoinHandle, wakers) goes; an object in the promise would die with the frame.
//
// What it costs a frame that is never spawned (`co_await sub()`): the prefix's bytes (128 for
// Task<void> and Task<int>) and, per frame, one 8-byte store in operator new and one load and
// branch in operator delete; nothing is constructed in the prefix until spawn.
//
// Invariants:
// - The TaskHeader sits at a constant distance before the frame (sizeof(FrameTag) +
//   sizeof(TaskHeader)) whatever T is, so the header finds its root coroutine from its own
//   address and type-erased code frees the block (FrameTag records size and prefix).
// - Every offset is a multiple of the types' alignment: the block is 16-aligned (frame
//   allocator), the prefix a multiple of 16, the header's and the tag's sizes multiples of 8,
//   and the output slot is placed at a multiple of its alignment (at most 16) before the frame.
// - FrameTag::owned false: the frame's operator delete frees the block; true (set once, by
//   TaskHeader::emplace, before the task is published): it frees nothing, TaskHeader::destroy
//   does at the last unref, after destroying the frame if still alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#include "eddy/detail/frame_alloc.hpp"
#include "eddy/detail/task_header.hpp"

namespace eddy::detail {

constexpr std::size_t task_round_up(std::size_t n, std::size_t a) noexcept { return (n + a - 1) / a * a; }

template <class Output>
struct TaskFrameLayout {
  static_assert(alignof(Output) <= 16, "a task's output type may not be over-aligned");
  static_assert(alignof(TaskHeader) <= 8 && sizeof(TaskHeader) % 8 == 0);
  // Distances back from the frame's start.
  static constexpr std::size_t kHeaderBack = sizeof(FrameTag) + sizeof(TaskHeader);
  static constexpr std::size_t kOutputBack = task_round_up(kHeaderBack + sizeof(Output), alignof(Output));
  static constexpr std::size_t kPrefix = task_round_up(kOutputBack, 16);
  static_assert(kPrefix <= UINT16_MAX);
};

// Operator new of a Task frame of `n` bytes with a prefix of `prefix` bytes.
inline void* task_frame_allocate(std::size_t n, std::size_t prefix) {
  const std::size_t bytes = n + prefix;
  if (bytes > UINT32_MAX) throw std::bad_alloc();
  char* const f = static_cast<char*>(frame_allocate(bytes)) + prefix;
  ::new (f - sizeof(FrameTag)) FrameTag{static_cast<std::uint32_t>(bytes), static_cast<std::uint16_t>(prefix), false};
  return f;
}

// Operator delete of a Task frame: frees the block unless a TaskHeader owns it (see above).
inline void task_frame_deallocate(void* frame) noexcept {
  char* const f = static_cast<char*>(frame);
  const FrameTag tag = *std::launder(reinterpret_cast<const FrameTag*>(f - sizeof(FrameTag)));
  if (tag.owned) return;  // TaskHeader::destroy frees it at the last unref
  frame_deallocate(f - tag.prefix, tag.bytes);
}

}  // namespace eddy::detail
