/*
 * readiness.pml: the readiness protocol of one registered fd, as eddy's io layer implements it
 * (include/eddy/io/detail/scheduled_io.hpp, readiness_word.hpp, registration.hpp,
 * src/io/scheduled_io.cpp, src/io/driver.cpp, src/io/registration_set.cpp).
 *
 * Actors: the kernel-side peer (sends bytes; each send queues an epoll edge), the driver
 * (Driver::turn: RegistrationSet::release, select, ScheduledIo::dispatch + wake), the polling
 * task (Registration::poll_io: poll_readiness / register_and_recheck, read, clear_readiness,
 * then deregister_source and drop), and a thread shutting the driver down (Driver::shutdown:
 * RegistrationSet::shutdown hands back the live entry, ScheduledIo::shutdown, unref).
 *
 * Each labelled step (R1, D2, ...) is named in a comment at the atomic operation in the code.
 *
 * Properties checked (spin: assertions, invariants below, and invalid end states):
 *   INV_NO_LOST_EDGE   a stale clear never erases a newer event: while the fd is registered,
 *                      bytes in the socket with the readable bit clear always have an edge
 *                      still to be dispatched (queued in the kernel or in the driver's batch).
 *   INV_NO_LOST_WAKE   a task that returned Pending is never left waiting with readiness (or
 *                      shutdown) recorded and no wake under way.
 *   INV_SHUTDOWN_STICKY once ScheduledIo::shutdown ran, the word keeps SHUTDOWN.
 *   assert(!freed)     no ScheduledIo is touched (by dispatch of a token from the kernel) after
 *                      it was freed; at the end it is freed (no leak).
 *   end states         the task always finishes (all bytes read, or it saw shutdown); nobody
 *                      deadlocks on the waiter lock (wakers run outside it).
 *
 * Memory model: spin interleaves steps (sequential consistency). That is sound for this
 * protocol because every cross-thread hand-off goes through one of: an acq_rel RMW on the one
 * readiness word, the waiter spin lock (mutex_), or the RegistrationSet mutex. The re-check
 * argument (task: lock, store waker, load word; driver: RMW word, lock, take waker) needs only
 * that the two critical sections are ordered by the lock, which they are.
 *
 * Broken variants (scripts/models expects a counterexample from each):
 *   -DNO_TICK_CHECK        clear_readiness clears without comparing the tick
 *   -DNO_RECHECK           register_and_recheck does not re-load the word under the lock
 *   -DWAKE_UNDER_LOCK      wake() calls the waker with mutex_ held
 *   -DCLEAR_DROPS_SHUTDOWN a clear rebuilds the word without SHUTDOWN (tokio's behaviour)
 *   -DEAGER_RELEASE        deregistration frees at once instead of at the driver's next turn
 *   -DLIST_NO_RECHECK      Readiness::poll links its waiter without re-loading under the lock
 */

#ifndef N
#define N 2            /* bytes the peer sends */
#endif

/* ScheduledIo::readiness_ (ReadinessWord): one direction (READABLE) is enough here. */
bool ready = 0;        /* the READABLE bit */
byte tick = 0;         /* the tick (32 bits in the code; at most N dispatches here, no wrap) */
bool shutdown = 0;     /* kShutdownBit */

/* ScheduledIo::mutex_ and the reader_ slot it guards */
bool mutex = 0;
bool reader = 0;       /* reader_ holds the task's waker */

/* A list waiter (Readiness future, interest READABLE) of a second task, guarded by mutex_ */
bool lw_linked = 0;    /* the Waiter node is in waiters_ */
bool lw_ready = 0;     /* Waiter::is_ready */
bool lw_waker = 0;     /* Waiter::waker is set */
bool l_notified = 0;
bool l_waiting = 0;    /* ghost: the future returned Pending and has not been woken */

/* the task's scheduling: Waker::wake marks it notified; the runtime then polls it again */
bool notified = 0;
bool waiting = 0;      /* ghost: the task returned Pending and has not been woken */

/* the kernel */
byte data = 0;         /* bytes in the socket's receive buffer */
bool edge = 0;         /* an edge for this token queued in the epoll instance */
bool registered = 1;   /* the fd is in the epoll set: the kernel may return its token */
bool in_hand = 0;      /* the driver's current select batch holds the token */

/* lifetime (RegistrationSet): the list's reference + the Registration's */
byte refs = 2;
bool linked = 1;       /* in RegistrationSet::registrations_ */
bool release_pending = 0;
bool freed = 0;

/* ghosts for the invariants */
bool driver_waking = 0;   /* between D3 (dispatch) and the end of its wake() */
bool shutdown_waking = 0; /* between S2 (shutdown) and the end of its wake() */
byte in_flight = 0;       /* wakers taken from the slot (W1) and not yet called (W2) */
byte l_in_flight = 0;     /* the list waiter's waker, taken (W1) and not yet called (W2) */
bool shutdown_called = 0;
bool task_done = 0;
bool closer_done = 0;
bool lister_done = 0;
byte got = 0;

#define INV_NO_LOST_EDGE   (!(registered && data > 0 && !ready) || edge || in_hand)
#define INV_NO_LOST_WAKE   (!(waiting && !notified && in_flight == 0 && \
                              ((ready && !driver_waking) || (shutdown && !shutdown_waking))))
#define INV_SHUTDOWN_STICKY (!shutdown_called || shutdown)
#define INV_NO_LOST_LIST_WAKE (!(l_waiting && !l_notified && l_in_flight == 0 && \
                                 ((ready && !driver_waking) || (shutdown && !shutdown_waking))))

inline lock() { atomic { mutex == 0 -> mutex = 1 } }
inline unlock() { mutex = 0 }

/* ScheduledIo::unref: the last reference frees */
inline unref() {
  atomic {
    assert(refs > 0 && !freed);
    refs--;
    if
    :: refs == 0 -> freed = 1
    :: else -> skip
    fi
  }
}

/* Waker::wake of the task's waker. Calling (or dropping) a task waker may run the task's
   teardown, which unlinks its waiter under this resource's mutex_: model that as an optional
   lock/unlock. */
inline waker_call() {
  atomic { notified = 1; in_flight-- };
  if
  :: true -> skip
  :: true -> lock(); unlock()   /* the choice is made first: a held lock then blocks */
  fi
}

inline l_waker_call() {
  atomic { l_notified = 1; l_in_flight-- };
  if
  :: true -> skip
  :: true -> lock(); unlock()
  fi
}

/* ScheduledIo::wake: W1 take the slot waker (and, wake_with_list, unlink a satisfied list
   waiter, mark it ready and take its waker) under the lock; W2 call them outside. Every wake in
   this model carries READABLE (dispatch) or ALL (shutdown), which satisfy the list waiter. */
inline wake(w) {
  assert(!freed);
  lock();                               /* W1 */
  atomic { w = reader; reader = 0; in_flight = in_flight + w };
  atomic {
    lw = 0;
    if
    :: lw_linked -> lw_linked = 0; lw_ready = 1; lw = lw_waker; lw_waker = 0; l_in_flight = l_in_flight + lw
    :: else -> skip
    fi
  };
#ifdef WAKE_UNDER_LOCK
  if :: w -> waker_call() :: else -> skip fi;
  if :: lw -> l_waker_call() :: else -> skip fi;
#endif
  unlock();
#ifndef WAKE_UNDER_LOCK
  if :: w -> waker_call() :: else -> skip fi;   /* W2 */
  if :: lw -> l_waker_call() :: else -> skip fi;
#endif
  w = 0;
  lw = 0
}

/* The peer: each send adds a byte and, while the fd is registered, queues an edge. */
active proctype peer() {
  byte sent = 0;
  do
  :: sent < N -> atomic { data++; sent++; if :: registered -> edge = 1 :: else -> skip fi }
  :: sent == N -> break
  od
}

/* Driver::turn, repeated. */
active proctype driver() {
  bool w = 0, lw = 0;
  do
  :: atomic { release_pending -> release_pending = 0 };
     /* D1: RegistrationSet::release, at the top of a turn (never during a batch): the list's
        reference if still linked, then the pending list's. */
     atomic { if :: linked -> linked = 0; unref() :: else -> skip fi };
     unref()
  :: atomic { edge && registered -> edge = 0; in_hand = 1 }   /* D2: select returns the token */
     assert(!freed);
     /* D3: ScheduledIo::dispatch: one acq_rel CAS ORs READABLE in and bumps the tick */
     atomic { ready = 1; tick++; in_hand = 0; driver_waking = 1 };
     wake(w);                                                  /* D4: wake(ready) */
     driver_waking = 0
  :: atomic { task_done && !edge && !in_hand && !release_pending } -> break
  od;
  /* Everyone is done: the resource must be gone (no leak). */
  closer_done;
  assert(freed && refs == 0)
}

/* The polling task: read until N bytes arrived or the resource is shut down, then drop the
   socket (deregister, drop the slot wakers, drop the Registration's reference). */
active proctype task() {
  bool r_ready, r_shut, ok;
  byte r_tick;
top:
  if
  :: got >= N -> goto done
  :: else -> skip
  fi;
  /* R1: poll_readiness's acquire load of the word */
  atomic { r_ready = ready; r_tick = tick; r_shut = shutdown };
  if
  :: r_ready || r_shut -> skip
  :: else ->
     /* R2: register_and_recheck: store the waker in the slot under mutex_ ... */
     lock();
     reader = 1;
#ifndef NO_RECHECK
     /* R3: ... and re-load the word under the lock */
     atomic { r_ready = ready; r_tick = tick; r_shut = shutdown };
#endif
     if
     :: !(r_ready || r_shut) ->
        atomic { unlock(); waiting = 1 };        /* Pending */
        atomic { notified -> notified = 0; waiting = 0 };   /* woken: polled again */
        goto top
     :: else ->
        reader = 0;                              /* take the stored waker back */
        unlock()
     fi
  fi;
  if
  :: r_shut -> goto done                         /* Error::shutdown */
  :: else -> skip
  fi;
  /* the read syscall: drains the socket or would block */
  atomic {
    if
    :: data > 0 -> got = got + data; data = 0; ok = 1
    :: else -> ok = 0
    fi
  };
  if
  :: ok -> goto top
  :: else ->
     /* R4: clear_readiness(event): CAS the bit off only while the tick is the event's */
     atomic {
#ifdef NO_TICK_CHECK
       ready = 0;
#else
       if :: tick == r_tick -> ready = 0 :: else -> skip fi;
#endif
#ifdef CLEAR_DROPS_SHUTDOWN
       shutdown = 0;
#endif
       skip
     };
     goto top
  fi;
done:
  /* The socket is shared with the lister's task: the last user drops it. */
  lister_done;
  /* T1: Handle::deregister_source: epoll DEL (the kernel drops queued edges; a token already in
     the driver's batch stays there) ... */
  atomic { registered = 0; edge = 0 };
#ifdef EAGER_RELEASE
  atomic { if :: linked -> linked = 0; unref() :: else -> skip fi };
#else
  /* T2: ... then RegistrationSet::deregister: a reference for the pending list */
  atomic { refs++; release_pending = 1 };
#endif
  /* T3: Registration's destructor: clear_wakers, then drop its reference */
  lock(); reader = 0; unlock();
  unref();
  task_done = 1
}

/* Driver::shutdown, from another thread: take the live entry out of the set (its list
   reference moves to us), mark it shut down, wake everyone, drop the reference. */
active proctype closer() {
  bool mine = 0, w = 0, lw = 0;
  atomic { if :: linked -> linked = 0; mine = 1 :: else -> skip fi };   /* S1 */
  if
  :: mine ->
     /* S2: ScheduledIo::shutdown: fetch_or SHUTDOWN (acq_rel) */
     atomic { shutdown = 1; shutdown_called = 1; shutdown_waking = 1 };
     wake(w);                                                             /* S3: wake(ALL) */
     shutdown_waking = 0;
     unref()
  :: else -> skip
  fi;
  closer_done = 1
}

/* A second task waiting once with a Readiness future (Readiness::poll, list waiter), or
   dropping it while it waits (~Readiness unlinks under the lock). It holds its own reference
   (its Registration) until it is done, and the reading task drops the socket only after it:
   so the resource is still in the set when the closer runs, and its shutdown must reach this
   waiter if nothing else does (a lost wake-up is an invalid end state, or INV_NO_LOST_LIST_WAKE
   earlier). */
active proctype lister() {
  bool r_ready, r_shut;
  atomic { refs++ };
  /* L1: Readiness::poll, Init: the optimistic load */
  atomic { r_ready = ready; r_shut = shutdown };
  if
  :: r_ready || r_shut -> goto ldone
  :: else -> skip
  fi;
  lock();
#ifndef LIST_NO_RECHECK
  /* L2: the re-load under the lock */
  atomic { r_ready = ready; r_shut = shutdown };
#endif
  if
  :: r_ready || r_shut -> unlock(); goto ldone
  :: else -> skip
  fi;
  /* L3: link the waiter with its waker, Pending */
  lw_linked = 1; lw_ready = 0; lw_waker = 1;
  atomic { unlock(); l_waiting = 1 };
lpoll:
  if
  :: atomic { l_notified -> l_notified = 0; l_waiting = 0 };
     /* L4: polled again: Waiting, is_ready under the lock */
     lock();
     if
     :: lw_ready -> unlock(); goto ldone
     :: else -> atomic { unlock(); l_waiting = 1 }; goto lpoll
     fi
  :: true ->
     /* L5: ~Readiness while Waiting: unlink, drop the waker outside the lock */
     lock();
     atomic { lw_linked = 0; lw_waker = 0; l_waiting = 0 };
     unlock();
     goto ldone
  fi;
ldone:
  unref();
  lister_done = 1
}

active proctype invariants() {
  /* Each assertion can fire in any reachable state: spin's usual way to check invariants. */
  if
  :: assert(INV_NO_LOST_EDGE)
  :: assert(INV_NO_LOST_WAKE)
  :: assert(INV_SHUTDOWN_STICKY)
  :: assert(INV_NO_LOST_LIST_WAKE)
  fi
}
