// eddy::sync: channels, locks, semaphores and structured concurrency for eddy tasks.
//
// Every awaitable here documents what happens when the awaiting coroutine is destroyed (cancel
// safety); every primitive may be used across threads; closed channels and dropped peers are
// reported as error values (eddy::sync::SyncError), never exceptions.
#pragma once

#include "eddy/sync/barrier.hpp"            // Barrier
#include "eddy/sync/broadcast.hpp"          // broadcast::channel (lagging receivers learn the count)
#include "eddy/sync/cancellation_token.hpp" // CancellationToken, child tokens, DropGuard
#include "eddy/sync/error.hpp"              // SyncError, lagged_count
#include "eddy/sync/join_set.hpp"           // JoinSet<T>
#include "eddy/sync/mpsc.hpp"               // mpsc::channel (bounded), mpsc::unbounded_channel
#include "eddy/sync/mutex.hpp"              // Mutex<T>, MutexGuard, OwnedMutexGuard
#include "eddy/sync/notify.hpp"             // Notify
#include "eddy/sync/oneshot.hpp"            // oneshot::channel
#include "eddy/sync/rwlock.hpp"             // RwLock<T>
#include "eddy/sync/semaphore.hpp"          // Semaphore, permits
#include "eddy/sync/task_scope.hpp"         // scoped(), TaskScope
#include "eddy/sync/watch.hpp"              // watch::channel
#include "eddy/sync/select.hpp"             // select (first ready of poll-style awaitables, in place)
#include "eddy/sync/when.hpp"               // when_all, when_any
