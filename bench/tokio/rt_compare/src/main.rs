// tokio's figures for bench/rt/compare: each benchmark of bench/rt_kinds_bench.cpp written the
// way a tokio user would, on tokio's current-thread runtime and on its multi-thread runtime with
// 2 workers. Prints one line per benchmark and kind: "<name>/<kind> <ns per op>", the median of
// 5 samples of wall time (the work runs on worker threads, so CPU time of one thread would miss
// it). The counts are eddy's bench's, so the two sides do the same work.
// Usage: eddy-tokio-rt-compare [substring filter]
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::{Builder, Runtime};
use tokio::sync::oneshot;

const SPAWNS: usize = 10_000;

fn rt(kind: usize) -> Runtime {
    if kind == 0 {
        Builder::new_current_thread().build().expect("runtime")
    } else {
        Builder::new_multi_thread().worker_threads(2).build().expect("runtime")
    }
}

// Takes 5 samples after one warm-up run; each sample repeats `body` (which returns the wall
// time of `ops` operations) until it has lasted >= 50 ms. ns per op, median of the samples.
fn measure<F: FnMut() -> Duration>(ops: usize, mut body: F) -> f64 {
    body();
    let mut samples: Vec<f64> = (0..5)
        .map(|_| {
            let (mut total, mut reps) = (Duration::ZERO, 0u32);
            while total < Duration::from_millis(50) {
                total += body();
                reps += 1;
            }
            total.as_nanos() as f64 / (ops as f64 * reps as f64)
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[2]
}

// One task spawns 10,000 tasks and waits for the last to finish.
fn spawn_many_local(rt: &Runtime) -> Duration {
    let start = Instant::now();
    rt.block_on(async {
        let left = Arc::new(AtomicUsize::new(SPAWNS));
        let (tx, rx) = oneshot::channel::<()>();
        let tx = Arc::new(std::sync::Mutex::new(Some(tx)));
        for _ in 0..SPAWNS {
            let left = left.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                    let _ = tx.lock().unwrap().take().unwrap().send(());
                }
            });
        }
        let _ = rx.await;
    });
    start.elapsed()
}

// A plain thread spawns 10,000 tasks onto the runtime while block_on waits for the last one.
// With `busy`, two tasks keep yielding in a loop the whole time, so the workers are never idle.
fn spawn_many_remote(rt: &Runtime, busy: bool) -> Duration {
    let stop = Arc::new(AtomicBool::new(false));
    let mut spinners = Vec::new();
    if busy {
        for _ in 0..2 {
            let stop = stop.clone();
            spinners.push(rt.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    tokio::task::yield_now().await;
                }
            }));
        }
    }
    let start = Instant::now();
    let left = Arc::new(AtomicUsize::new(SPAWNS));
    let (tx, rx) = oneshot::channel::<()>();
    let tx = Arc::new(std::sync::Mutex::new(Some(tx)));
    let handle = rt.handle().clone();
    let spawner = std::thread::spawn(move || {
        for _ in 0..SPAWNS {
            let left = left.clone();
            let tx = tx.clone();
            handle.spawn(async move {
                if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                    let _ = tx.lock().unwrap().take().unwrap().send(());
                }
            });
        }
    });
    rt.block_on(async move {
        let _ = rx.await;
    });
    let elapsed = start.elapsed();
    spawner.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    rt.block_on(async move {
        for s in spinners {
            let _ = s.await;
        }
    });
    elapsed
}

// 200 tasks each yield 1,000 times.
const YIELD_TASKS: usize = 200;
const YIELDS: usize = 1_000;
fn yield_many(rt: &Runtime) -> Duration {
    let start = Instant::now();
    rt.block_on(async {
        let mut hs = Vec::with_capacity(YIELD_TASKS);
        for _ in 0..YIELD_TASKS {
            hs.push(tokio::spawn(async {
                for _ in 0..YIELDS {
                    tokio::task::yield_now().await;
                }
            }));
        }
        for h in hs {
            let _ = h.await;
        }
    });
    start.elapsed()
}

// 1,000 pairs of tasks exchange one message each way over oneshot channels.
const PAIRS: usize = 1_000;
fn ping_pong(rt: &Runtime) -> Duration {
    let start = Instant::now();
    rt.block_on(async {
        let mut hs = Vec::with_capacity(PAIRS);
        for _ in 0..PAIRS {
            hs.push(tokio::spawn(async {
                let (tx1, rx1) = oneshot::channel::<i32>();
                let (tx2, rx2) = oneshot::channel::<i32>();
                let pong = tokio::spawn(async move {
                    let v = rx1.await.unwrap_or(0);
                    let _ = tx2.send(v);
                });
                let _ = tx1.send(1);
                let _ = rx2.await;
                let _ = pong.await;
            }));
        }
        for h in hs {
            let _ = h.await;
        }
    });
    start.elapsed()
}

// Each task spawns the next, 1,000 deep; the last one signals.
const DEPTH: usize = 1_000;
fn chain_step(left: usize, done: oneshot::Sender<()>) {
    if left == 0 {
        let _ = done.send(());
        return;
    }
    tokio::spawn(async move { chain_step(left - 1, done) });
}
fn chained_spawn(rt: &Runtime) -> Duration {
    let start = Instant::now();
    rt.block_on(async {
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move { chain_step(DEPTH, tx) });
        let _ = rx.await;
    });
    start.elapsed()
}

fn main() {
    let filter = std::env::args().nth(1).unwrap_or_default();
    type Bench = fn(&Runtime) -> Duration;
    let benches: &[(&str, usize, Bench)] = &[
        ("SpawnManyLocal", SPAWNS, spawn_many_local),
        ("SpawnManyRemoteIdle", SPAWNS, |rt| spawn_many_remote(rt, false)),
        ("SpawnManyRemoteBusy", SPAWNS, |rt| spawn_many_remote(rt, true)),
        ("YieldMany", YIELD_TASKS * YIELDS, yield_many),
        ("PingPong", PAIRS, ping_pong),
        ("ChainedSpawn", DEPTH, chained_spawn),
    ];
    for (name, ops, f) in benches {
        for (kind, label) in [(0, "current_thread"), (1, "multi_thread")] {
            let full = format!("{}/{}", name, label);
            if full.contains(filter.as_str()) {
                let runtime = rt(kind);
                println!("{} {:.1}", full, measure(*ops, || f(&runtime)));
            }
        }
    }
}
