// RuntimeMetrics: a snapshot of a runtime's scheduler counters (tokio's RuntimeMetrics subset),
// taken with RuntimeHandle::metrics(). Counters are read without stopping the workers: each is
// exact on its own, the set is not one instant.
//
// Both kinds fill every field; the current-thread runtime reports one worker, which never
// steals or overflows, and does not track its queue depths (0: counting them would put two
// more stores on its hot path).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace eddy {

struct WorkerMetrics {
  std::uint64_t polls = 0;             // task polls run by this worker
  std::uint64_t steals = 0;            // tasks it stole from other workers
  std::uint64_t steal_operations = 0;  // successful steal operations (each takes half a queue)
  std::uint64_t parks = 0;             // times it went to sleep with nothing to do
  std::uint64_t unparks = 0;           // times another thread woke it to take new work
  std::uint64_t overflows = 0;         // times its full local queue spilled half to the injection queue
  std::size_t local_queue_depth = 0;   // tasks in its local queue now
  // Time spent outside parking (running tasks, polling the driver between tasks), counted up
  // to this worker's last park: a worker that never parks shows no progress here.
  std::chrono::nanoseconds busy_duration{0};
};

struct RuntimeMetrics {
  std::size_t workers = 1;
  std::size_t injection_queue_depth = 0;
  std::size_t alive_tasks = 0;              // spawned tasks not yet finished or cancelled
  std::uint64_t budget_forced_yields = 0;   // task polls cut short by the cooperative budget
  std::vector<WorkerMetrics> worker;  // one per worker (empty on the current-thread runtime)
};

}  // namespace eddy
