// RuntimeMetrics: a snapshot of a runtime's scheduler counters (tokio's RuntimeMetrics subset),
// taken with RuntimeHandle::metrics(). Counters are read without stopping the workers: each is
// exact on its own, the set is not one instant.
//
// The multi-thread runtime fills every field. The current-thread runtime reports one worker
// and no counters (it keeps none, so that its hot path stays free of them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace eddy {

struct WorkerMetrics {
  std::uint64_t polls = 0;             // task polls run by this worker
  std::uint64_t steals = 0;            // tasks it stole from other workers
  std::uint64_t steal_operations = 0;  // successful steal operations (each takes half a queue)
  std::uint64_t parks = 0;             // times it went to sleep with nothing to do
  std::uint64_t overflows = 0;         // times its full local queue spilled half to the injection queue
  std::size_t local_queue_depth = 0;   // tasks in its local queue now
};

struct RuntimeMetrics {
  std::size_t workers = 1;
  std::size_t injection_queue_depth = 0;
  std::vector<WorkerMetrics> worker;  // one per worker (empty on the current-thread runtime)
};

}  // namespace eddy
