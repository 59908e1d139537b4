/*
 * ring_park.pml: the current-thread driver parked on its io_uring in socket mode, as eddy
 * implements it (src/io/driver.cpp: Driver::turn_on_ring; src/io/uring/ring.cpp: Ring::park,
 * Ring::arm_watch, EpollWatch::on_cqe; docs/io-uring.md, "Parking on the ring").
 *
 * The question: the driver sleeps in io_uring_enter, not in epoll_wait, and looks at epoll only
 * when the ring's watch of the epoll fd completed or its last look filled the event array. Can
 * an epoll event be left in the ready list while the driver sleeps for ever?
 *
 * Actors: the kernel side (each edge of an edge-triggered registration: the item joins epoll's
 * ready list and the epoll fd's pollers are woken, the watch among them, whose wake-up becomes a
 * CQE, as deferred task work that the driver's next io_uring_enter runs; and at most once the
 * kernel ending the multishot watch, with a last CQE), and the driver (P1 arm the watch if it is
 * not armed, P2 wait for a CQE unless the last look was full, P3 reap, P4 look: epoll_wait with
 * timeout 0 takes at most K events and dispatches them).
 *
 * The kernel facts the argument rests on, modelled as steps: an edge wakes the epoll fd's
 * pollers whether or not the item was already in the ready list (ep_poll_callback); arming a
 * poll checks the file's mask at once, so a watch armed on a readable epoll fd completes
 * (vfs_poll at arm time); epoll_wait removes an edge-triggered item from the ready list when it
 * reports it.
 *
 * Property: no lost wake-up. Every edge is dispatched, and the driver never blocks for ever in
 * P2 (an invalid end state) while an event waits in the ready list.
 *
 * Broken variants (scripts/models expects a counterexample from each):
 *   -DNO_MORE       the driver looks only when the watch completed, not after a full look
 *   -DNO_REARM      a watch the kernel ended is not armed again
 *   -DARM_NO_CHECK  arming a poll would not check the current mask (only later edges count)
 */

#ifndef EDGES
#define EDGES 3      /* edges the kernel side makes */
#endif
#define K 1          /* the event array: at most K events per look */

byte ready = 0;      /* items in epoll's ready list */
byte cqe = 0;        /* watch CQEs posted or queued as task work, not yet reaped */
bool armed = 0;      /* the multishot poll is in the ring */
byte edges = 0;      /* edges made so far */
byte handled = 0;    /* events the driver dispatched */
bool ended = 0;      /* the kernel already ended the watch once */

active proctype kernel() {
  do
  :: edges < EDGES ->
     atomic {
       edges++;
       ready++;
       if
       :: armed -> cqe++      /* the watch's wake-up: a CQE */
       :: else -> skip
       fi
     }
  :: !ended && armed ->
     atomic { ended = 1; armed = 0; cqe++ }  /* the multishot ends: its last CQE */
  :: edges == EDGES -> break
  od
}

active proctype driver() {
  bool more = 0;
  bool signal = 0;
  byte took;
  do
  :: handled == EDGES -> break
  :: else ->
     /* P1: Ring::park arms the watch first when it is not in the ring */
     atomic {
       if
#ifndef NO_REARM
       :: !armed ->
#else
       :: !armed && !ended ->
#endif
          armed = 1;
#ifndef ARM_NO_CHECK
          if
          :: ready > 0 -> cqe++
          :: else -> skip
          fi
#endif
       :: else -> skip
       fi
     }
     /* P2: io_uring_wait_cqe_timeout; timeout 0 after a full look (epoll_more_) */
     if
     :: more -> skip
     :: else -> cqe > 0
     fi;
     /* P3: reap every CQE there is (the watch's set the epoll signal) */
     atomic { signal = (cqe > 0); cqe = 0 }
     /* P4: look at epoll when the watch completed or the last look was full */
#ifndef NO_MORE
     if
     :: more || signal ->
#else
     if
     :: signal ->
#endif
        atomic {
          if
          :: ready >= K -> took = K
          :: else -> took = ready
          fi;
          ready = ready - took;
          handled = handled + took
        }
        more = (took == K)
     :: else -> more = 0
     fi
  od;
  assert(ready == 0 && handled == EDGES)
}
