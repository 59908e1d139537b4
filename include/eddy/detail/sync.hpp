// The one place eddy's internals take their atomics and locks from.
//
// Every synchronisation primitive in the driver and the schedulers is spelled through these
// aliases, so that a stress or model-checking build can swap in instrumented versions without
// touching the code that uses them (tokio does the same with its `loom` module).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace eddy::detail::sync {

template <class T>
using Atomic = std::atomic<T>;

using Mutex = std::mutex;
using CondVar = std::condition_variable;

template <class M>
using LockGuard = std::lock_guard<M>;

template <class M>
using UniqueLock = std::unique_lock<M>;

}  // namespace eddy::detail::sync
