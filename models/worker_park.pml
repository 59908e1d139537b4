/*
 * worker_park.pml: how the multi-thread scheduler's workers search, park and are woken, as
 * eddy implements it (src/runtime/multi_thread.cpp: next_task, steal_work, run_task /
 * transition_from_searching, park / transition_to_parked / transition_from_parked,
 * notify_parked, notify_if_work_pending; src/runtime/idle.hpp: Idle; src/runtime/
 * worker_parker.cpp: WorkerParker's NOTIFIED state).
 *
 * Actors: NW workers, and a thread outside the runtime that pushes PUSHES tasks into the
 * injection queue and notifies (schedule_remote). A task a worker runs may wake one more task
 * into that worker's local queue and notify (push_back + notify_parked), CHILDREN times in all.
 * The driver is left out: every park is a condition-variable park, woken only by a notifier
 * (a driver park adds wake-ups, never removes one).
 *
 * The rule under test: a notifier wakes a parked worker only when no worker is searching (a
 * searcher will find the work); so a searcher that gives up and parks as the last searcher
 * must look at every queue once more (notify_if_work_pending), and a notification must never
 * be lost between a worker listing itself as parked and going to sleep (WorkerParker keeps
 * NOTIFIED until the next park consumes it).
 *
 * Property: no lost unpark. When nothing can move any more (every worker asleep, the pusher
 * done: spin's timeout), no task is left in any queue, and every task ran.
 *
 * Idle's packed state word (searching and unparked counts) is two bytes updated together in
 * one atomic step, as the code does with one fetch_add / fetch_sub; its sleepers list is a set
 * of flags guarded by the Idle mutex. Memory model: x86-TSO for the queue pushes, sequential
 * consistency for the rest. A push (the pusher's into the injection queue, a worker's child into
 * its local queue) goes through its thread's store buffer (inject_buf, lq_buf): the others see
 * it at a later step (the `buffers` process, or the pusher's own), at the latest at that
 * thread's next locked instruction (a lock, an RMW, a CAS pop); the pushing worker itself sees
 * its own pushes at once (store forwarding). This is where plain interleavings are not enough:
 * a notifier stores a queue length and then reads Idle's state, while a parking searcher
 * decrements the state and then reads the queue lengths. Idle::worker_to_notify reads the state
 * with a read-modify-write, which drains the buffer first; a plain load there (variant
 * NOTIFY_PLAIN_LOAD) lets the pusher and the searcher miss each other. It once lost a wake
 * about once in 150,000 block_in_place calls (RtThreaded.RemoteSpawnRacingTheWorkerParkingIs-
 * NeverLost). A worker's own child is never lost that way: the worker that pushed it is awake
 * and runs it itself (with the pusher's store made sequentially consistent, NOTIFY_PLAIN_LOAD
 * has no counterexample: a missed notify there costs parallelism, not a wake).
 *
 * Broken variants (scripts/models expects a counterexample from each):
 *   -DNO_LAST_SEARCHER_RECHECK   the last searcher parks without looking at the queues again
 *   -DPARK_FORGETS_NOTIFY        a park clears NOTIFIED before sleeping (an unpark that came
 *                                after the worker listed itself, but before it slept, is lost)
 *   -DNOTIFY_PLAIN_LOAD          the notifier's first read of Idle's state is a plain load, which
 *                                may pass its own buffered queue store
 */

#ifndef NW
#define NW 2
#endif
#define PUSHES 2
#define CHILDREN 1

byte inject = 0;
byte inject_buf = 0;    /* the pusher's store buffer: pushed, not yet visible to the workers */
byte lq_buf[NW];        /* each worker's store buffer: its local pushes, not yet visible to others */
byte lq[NW];
byte searching = 0;     /* Idle state word: searching workers */
byte unparked = NW;     /* Idle state word: workers not listed as parked */
bool sleeper[NW];       /* Idle::sleepers_, guarded by idle_lock */
bool idle_lock = 0;
bool notified[NW];      /* WorkerParker: NOTIFIED */
byte to_push = PUSHES;
byte children = CHILDREN;
byte ran = 0;

/* The caller's buffered stores become visible (`tso`: the caller is the pusher, else worker `me`). */
inline drain() {
  atomic {
    if
    :: tso -> inject = inject + inject_buf; inject_buf = 0
    :: else -> lq[me] = lq[me] + lq_buf[me]; lq_buf[me] = 0
    fi
  }
}
/* A mutex lock is a locked instruction: it drains the caller's store buffer. */
inline lock() { atomic { idle_lock == 0 -> idle_lock = 1; drain() } }
inline unlock() { idle_lock = 0 }

/* Idle::worker_to_notify + WorkerParker::unpark. `w` is the caller's scratch variable. */
inline notify_parked() {
#ifndef NOTIFY_PLAIN_LOAD
  drain();  /* fetch_add(0): a locked read-modify-write */
#endif
  if
  :: (searching == 0 && unparked < NW) ->
     lock();
     if
     :: (searching == 0 && unparked < NW) ->
        atomic {
          searching++; unparked++;
          w = 0;
          do
          :: w < NW && !sleeper[w] -> w++
          :: w < NW && sleeper[w] -> break
          od;
          assert(w < NW);
          sleeper[w] = 0
        }
        unlock();
        notified[w] = 1
     :: else -> unlock()
     fi
  :: else -> skip
  fi
}

proctype worker(byte me) {
  bool tso = 0;
  bool is_searching = 0;
  bool got;
  bool last;
  byte w;
  byte i;

loop:
  got = 0;
  /* next_task: the local queue (a CAS: drains this worker's buffer), then the injection queue */
  atomic { drain(); if :: lq[me] > 0 -> lq[me]--; got = 1 :: else -> skip fi }
  if
  :: !got -> atomic { if :: inject > 0 -> inject--; got = 1 :: else -> skip fi }
  :: else -> skip
  fi;
  /* steal_work: become a searcher (at most half the workers), steal, then the injection queue */
  if
  :: !got ->
     if
     :: !is_searching ->
        atomic { drain(); if :: 2 * searching < NW -> searching++; is_searching = 1 :: else -> skip fi }
     :: else -> skip
     fi;
     if
     :: is_searching ->
        i = 0;
        do
        :: i < NW && !got ->
           atomic { if :: i != me && lq[i] > 0 -> lq[i]--; got = 1 :: else -> skip fi };
           i++
        :: else -> break
        od;
        if
        :: !got -> atomic { if :: inject > 0 -> inject--; got = 1 :: else -> skip fi }
        :: else -> skip
        fi
     :: else -> skip
     fi
  :: else -> skip
  fi;

  if
  :: got ->
     /* run_task: transition_from_searching; the last searcher to find work wakes another */
     if
     :: is_searching ->
        is_searching = 0;
        atomic { drain(); last = (searching == 1); searching-- };
        if :: last -> notify_parked() :: else -> skip fi
     :: else -> skip
     fi;
     ran++;
     /* the task wakes another one locally (push_back: a release store of the queue's tail,
        through this worker's store buffer; then notify_parked) */
     if
     :: atomic { children > 0 -> children--; lq_buf[me]++ }; notify_parked()
     :: skip
     fi;
     goto loop
  :: else -> skip
  fi;

  /* park: transition_to_parked (has_tasks reads this worker's own stores: forwarded) */
  if :: lq[me] + lq_buf[me] > 0 -> goto loop :: else -> skip fi;
  lock();
  atomic {
    last = is_searching && searching == 1;
    unparked--;
    if :: is_searching -> searching-- :: else -> skip fi;
    sleeper[me] = 1
  }
  unlock();
  is_searching = 0;
#ifndef NO_LAST_SEARCHER_RECHECK
  /* notify_if_work_pending: notifiers skipped waking anyone while this worker searched */
  if
  :: last ->
     i = 0;
     do
     :: i < NW && lq[i] == 0 -> i++
     :: i < NW && lq[i] > 0 -> notify_parked(); goto sleep
     :: i == NW -> break
     od;
     if :: inject > 0 -> notify_parked() :: else -> skip fi
  :: else -> skip
  fi;
#endif
sleep:
#ifdef PARK_FORGETS_NOTIFY
  notified[me] = 0;
#endif
end_sleep:
  /* WorkerParker::park: consume NOTIFIED, or sleep until an unpark sets it */
  atomic { notified[me] -> notified[me] = 0 };
  /* transition_from_parked: still listed means a stale notification: sleep again */
  lock();
  if
  :: sleeper[me] -> unlock(); goto end_sleep
  :: else -> unlock(); is_searching = 1  /* picked by a notifier: counts as searching */
  fi;
  goto loop
}

active proctype pusher() {
  bool tso = 1;
  byte me = 0;  /* (unused: drain() names it) */
  byte w;
  do
  :: atomic { to_push > 0 -> to_push--; inject_buf++ }; notify_parked()
  :: inject_buf > 0 -> drain()  /* the store buffer drains on its own, at any time */
  :: to_push == 0 -> drain(); break
  od
}

/* A store buffer drains on its own, at any time. */
active proctype buffers() {
  byte i;
end:
  do
  :: atomic { lq_buf[0] > 0 -> lq[0] = lq[0] + lq_buf[0]; lq_buf[0] = 0 }
  :: atomic { lq_buf[NW - 1] > 0 -> lq[NW - 1] = lq[NW - 1] + lq_buf[NW - 1]; lq_buf[NW - 1] = 0 }
  od
}

/* Nothing can move any more: every worker sleeps. Then no task may be left queued. */
active proctype no_lost_unpark() {
  byte i;
  timeout ->
  assert(inject == 0);
  i = 0;
  do
  :: i < NW -> assert(lq[i] == 0); i++
  :: else -> break
  od;
  assert(ran == PUSHES + CHILDREN - children)
}

init {
  byte k = 0;
  atomic {
    do
    :: k < NW -> run worker(k); k++
    :: else -> break
    od
  }
}
