/*
 * task_state.pml: the task state word of one spawned task, as eddy's runtime implements it
 * (include/eddy/detail/task_header.hpp, src/runtime/task_header.cpp, and its use by the
 * current-thread scheduler in src/runtime/current_thread.cpp: run_task, complete).
 *
 * Bits: SCHEDULED (in a run queue), RUNNING (being polled), NOTIFIED (woken while running),
 * COMPLETE (finished or cancelled), CANCELLED (abort() was called); "idle" is none of them.
 *
 * Actors: the scheduler thread (pops, transition_to_running, polls, transition_to_idle or
 * complete), a thread holding the task's Waker (spurious wakes by reference, then either the
 * real wake-up by value after publishing the event the task waits for, or a plain drop), a
 * thread holding an AbortHandle (abort() racing the wakes and the completion), and the
 * JoinHandle's owner (poll_join until complete, then reads the outcome and drops the handle).
 *
 * Each labelled step (T1, A1, ...) is named in a comment at the atomic operation in the code.
 *
 * Properties:
 *   - at most one run-queue entry, and only while SCHEDULED (assert at every push and pop);
 *   - the frame is never polled after it was destroyed, nor a complete task run;
 *   - no lost wake-up: once the event is published and its wake has gone through W1, the task
 *     is never idle (INV_NO_LOST_WAKE);
 *   - no lost abort: the task always completes (invalid end state otherwise);
 *   - a finished task reports its output, never "cancelled"; a cancelled one has no frame;
 *   - references: nothing touches a freed header, and at the end it is freed (no leak).
 *
 * Memory model: sequential consistency; sound here because every transition is one acq_rel
 * RMW (CAS loop) on the one state word, and the join waker is guarded by join_mutex_.
 *
 * Broken variants (scripts/models expects a counterexample from each):
 *   -DIDLE_DROPS_NOTIFIED           transition_to_idle ignores NOTIFIED (a wake while running lost)
 *   -DABORT_NO_SCHEDULE             abort() of an idle task does not schedule it
 *   -DCOMPLETE_KEEPS_CANCELLED      set_complete(false) keeps a late CANCELLED
 *   -DWAKE_SCHEDULES_COMPLETE       transition_to_notified does not check COMPLETE
 */

#define SCHEDULED 1
#define RUNNING   2
#define NOTIFIED  4
#define COMPLETE  8
#define CANCELLED 16

/* Spawned: SCHEDULED and in the run queue. References: the JoinHandle's (the initial one),
   the owned list's, the run queue's, one Waker's, the AbortHandle's. */
byte state = SCHEDULED;
byte queued = 1;
byte refs = 5;
bool freed = 0;
bool owned = 1;

bool frame = 1;        /* the coroutine frame exists */
bool output = 0;       /* the output was harvested into the header */
bool event = 0;        /* what the task waits for (published before the real wake) */
bool waking = 0;       /* ghost: event published, its wake_by_val not yet through W1 */

bool join_mutex = 0;
bool join_waker = 0;
bool join_notified = 0;

bool waker_done = 0;
bool aborter_done = 0;
bool joiner_done = 0;

inline unref() {
  atomic {
    assert(refs > 0 && !freed);
    refs--;
    if
    :: refs == 0 -> assert(!frame); freed = 1
    :: else -> skip
    fi
  }
}

inline push() {   /* Scheduler::schedule: the caller's reference becomes the queue's */
  atomic { assert(!freed && queued == 0 && (state & SCHEDULED)); queued++ }
}

/* W1: TaskHeader::transition_to_notified (one CAS loop): true when the caller must queue it */
inline transition_to_notified(r) {
  atomic {
    assert(!freed);
    if
#ifndef WAKE_SCHEDULES_COMPLETE
    :: (state & COMPLETE) -> r = 0
#endif
    :: !(state & COMPLETE) && (state & RUNNING) -> state = state | NOTIFIED; r = 0
    :: !(state & (COMPLETE | RUNNING)) && (state & SCHEDULED) -> r = 0
    :: !(state & (RUNNING | SCHEDULED)) -> state = state | SCHEDULED; r = 1
    fi
  }
}

inline lock_join() { atomic { join_mutex == 0 -> join_mutex = 1 } }
inline unlock_join() { join_mutex = 0 }

/* CurrentThreadHandle::complete: destroy (or harvest) the frame, C1 set_complete, leave the
   owned list, wake the JoinHandle, drop the owned list's reference. */
inline complete(cancelled) {
  if
  :: cancelled -> skip
  :: else -> output = 1       /* finish_frame harvests the output */
  fi;
  frame = 0;
  atomic {
    if
    :: cancelled -> state = state | COMPLETE | CANCELLED
#ifdef COMPLETE_KEEPS_CANCELLED
    :: else -> state = state | COMPLETE
#else
    :: else -> state = (state | COMPLETE) & ~CANCELLED
#endif
    fi
  };
  atomic { was_owned = owned; owned = 0 };
  lock_join(); jw = join_waker; join_waker = 0; unlock_join();   /* wake_join */
  if :: jw -> join_notified = 1 :: else -> skip fi;
  if :: was_owned -> unref() :: else -> skip fi
}

active proctype scheduler() {
  byte prev;
  bool r, was_owned, jw;
  do
  :: atomic { queued > 0 -> assert(state & SCHEDULED); queued-- };   /* pop */
     /* T1: transition_to_running: SCHEDULED -> RUNNING (CAS), or fetch_xor */
     atomic {
       assert(!freed);
       prev = state;
       state = state ^ (SCHEDULED | RUNNING)
     };
     assert((prev & SCHEDULED) && !(prev & (RUNNING | COMPLETE)));
     if
     :: (prev & CANCELLED) ->
        complete(1);
        unref()                    /* the queue's reference */
     :: else ->
        assert(frame);             /* task->run() polls the frame */
        if
        :: event ->                /* the root coroutine finished */
           complete(0);
           unref()
        :: else ->
           /* T2: transition_to_idle (fast CAS RUNNING -> idle, else the slow loop) */
           atomic {
#ifdef IDLE_DROPS_NOTIFIED
             if
             :: (state & CANCELLED) -> state = (state & ~(RUNNING | NOTIFIED)) | SCHEDULED; r = 1
             :: else -> state = state & ~(RUNNING | NOTIFIED); r = 0
             fi
#else
             if
             :: (state & (NOTIFIED | CANCELLED)) -> state = (state & ~(RUNNING | NOTIFIED)) | SCHEDULED; r = 1
             :: else -> state = state & ~RUNNING; r = 0
             fi
#endif
           };
           if
           :: r -> push()           /* keeps the queue's reference */
           :: else -> unref()
           fi
        fi
     fi
  :: atomic { queued == 0 && (state & COMPLETE) } -> break
  od
}

/* The thread holding the task's Waker. */
active proctype waker() {
  bool r;
  byte n = 0;
  do
  :: n < 2 ->                      /* a spurious wake_by_ref */
     transition_to_notified(r);
     if :: r -> atomic { refs++ }; push() :: else -> skip fi;   /* ref(); schedule */
     n++
  :: true -> break
  od;
  if
  :: atomic { event = 1; waking = 1 };   /* W2: the real wake-up: wake_by_val */
     transition_to_notified(r);
     waking = 0;
     if :: r -> push() :: else -> unref() fi
  :: unref()                       /* dropped without waking */
  fi;
  waker_done = 1
}

/* The thread holding an AbortHandle: TaskHeader::abort at any moment (before the first poll,
   while queued, running, idle, or after completion), then drops the handle. It always aborts,
   so that a run in which the waker is dropped without waking must still complete. */
active proctype aborter() {
  bool ms;
  /* A1: abort's CAS loop: CANCELLED, and SCHEDULED if the task was idle */
  atomic {
    assert(!freed);
    if
    :: (state & (COMPLETE | CANCELLED)) -> ms = 0
    :: else ->
       ms = ((state & (RUNNING | SCHEDULED)) == 0);
#ifdef ABORT_NO_SCHEDULE
       state = state | CANCELLED;
       ms = 0
#else
       if
       :: ms -> state = state | CANCELLED | SCHEDULED
       :: else -> state = state | CANCELLED
       fi
#endif
    fi
  };
  if :: ms -> atomic { refs++ }; push() :: else -> skip fi;
  unref();
  aborter_done = 1
}

/* The JoinHandle's owner: poll_join until complete, then the outcome. */
active proctype joiner() {
  bool done = 0;
  do
  :: lock_join();
     if
     :: (state & COMPLETE) -> done = 1
     :: else -> join_waker = 1
     fi;
     unlock_join();
     if
     :: done -> break
     :: else -> atomic { join_notified -> join_notified = 0 }
     fi
  od;
  /* "cancelled" means the frame is gone and no output was produced; otherwise the output is
     there. */
  if
  :: (state & CANCELLED) -> assert(!frame && !output)
  :: else -> assert(output && !frame)
  fi;
  unref();
  joiner_done = 1
}

#define INV_NO_LOST_WAKE (!(event && !waking && (state & (SCHEDULED | RUNNING | COMPLETE)) == 0))

active proctype invariants() {
  assert(INV_NO_LOST_WAKE)
}

/* At the end of every run the header is freed. */
active proctype leak_check() {
  atomic { waker_done && aborter_done && joiner_done && (state & COMPLETE) && queued == 0 && refs == 0 };
  assert(freed)
}
