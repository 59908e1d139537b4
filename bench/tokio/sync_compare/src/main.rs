// tokio's figures for bench/sync/compare: each operation of bench/sync_bench.cpp written the
// way a tokio user would, on a current-thread runtime, timed in a loop. Prints one line per
// benchmark: "<name> <ns per op>" (the median of 5 samples, each long enough to be >= 20 ms).
// Time is the process's CPU time, as Google Benchmark's cpu_time on eddy's side: on a shared
// machine, time spent preempted counts for neither.
// Usage: eddy-tokio-sync-compare [substring filter]
use std::future::{poll_fn, Future};
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::runtime::{Builder, Runtime};
use tokio::sync::{mpsc, oneshot, Mutex, Notify, Semaphore};

// CPU time of the process (every benchmark here runs on one thread).
#[derive(Clone, Copy)]
struct Instant(Duration);

impl Instant {
    fn now() -> Instant {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes the timespec we pass and nothing else.
        unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        Instant(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }
    fn elapsed(&self) -> Duration {
        Instant::now().0 - self.0
    }
}

fn rt() -> Runtime {
    Builder::new_current_thread().build().expect("runtime")
}

// Runs `body(iters)` (which returns the elapsed time of `iters` operations) until a sample
// lasts >= 20 ms, then takes 5 samples at that size: ns per op, median.
fn measure<F: FnMut(u64) -> Duration>(mut body: F) -> f64 {
    let mut iters = 1000u64;
    loop {
        let t = body(iters);
        if t >= Duration::from_millis(20) || iters >= 1 << 30 {
            break;
        }
        iters *= 4;
    }
    let mut samples: Vec<f64> = (0..5).map(|_| body(iters).as_nanos() as f64 / iters as f64).collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[2]
}

fn mpsc_send_recv(n: u64) -> Duration {
    rt().block_on(async move {
        let (tx, mut rx) = mpsc::channel::<u64>(128);
        let start = Instant::now();
        let mut sum = 0u64;
        for _ in 0..n {
            tx.send(1).await.unwrap();
            sum += rx.recv().await.unwrap();
        }
        black_box(sum);
        start.elapsed()
    })
}

fn mpsc_try_send_try_recv(n: u64) -> Duration {
    let (tx, mut rx) = mpsc::channel::<u64>(128);
    let start = Instant::now();
    let mut sum = 0u64;
    for _ in 0..n {
        tx.try_send(1).unwrap();
        sum += rx.try_recv().unwrap();
    }
    black_box(sum);
    start.elapsed()
}

fn mpsc_task_to_task(n: u64) -> Duration {
    rt().block_on(async move {
        let (tx, mut rx) = mpsc::channel::<u64>(64);
        let start = Instant::now();
        let h = tokio::spawn(async move {
            for i in 0..n {
                tx.send(i).await.unwrap();
            }
        });
        let mut sum = 0u64;
        for _ in 0..n {
            sum += rx.recv().await.unwrap();
        }
        black_box(sum);
        let t = start.elapsed();
        h.await.unwrap();
        t
    })
}

fn oneshot_create_send_recv(n: u64) -> Duration {
    rt().block_on(async move {
        let start = Instant::now();
        let mut sum = 0u64;
        for _ in 0..n {
            let (tx, rx) = oneshot::channel::<u64>();
            tx.send(1).unwrap();
            sum += rx.await.unwrap();
        }
        black_box(sum);
        start.elapsed()
    })
}

fn mutex_lock_unlock(n: u64) -> Duration {
    rt().block_on(async move {
        let m = Mutex::new(0u64);
        let start = Instant::now();
        for _ in 0..n {
            let mut g = m.lock().await;
            *g += 1;
        }
        black_box(m.into_inner());
        start.elapsed()
    })
}

// 8 tasks take turns on one Mutex, each holding it across a yield (as eddy's benchmark).
fn mutex_contended_8_tasks(n: u64) -> Duration {
    rt().block_on(async move {
        let m = Arc::new(Mutex::new(0u64));
        let ticks = Arc::new(Semaphore::new(0));
        let start = Instant::now();
        let hs: Vec<_> = (0..8)
            .map(|_| {
                let (m, ticks) = (m.clone(), ticks.clone());
                tokio::spawn(async move {
                    for _ in 0..(n / 8 + 1) {
                        let mut g = m.lock().await;
                        *g += 1;
                        ticks.add_permits(1);
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for _ in 0..n {
            ticks.acquire().await.unwrap().forget();
        }
        let t = start.elapsed();
        for h in &hs {
            h.abort();
        }
        for h in hs {
            let _ = h.await;
        }
        t
    })
}

fn semaphore_acquire_release(n: u64) -> Duration {
    rt().block_on(async move {
        let sem = Semaphore::new(4);
        let start = Instant::now();
        for _ in 0..n {
            let p = sem.acquire().await.unwrap();
            black_box(&p);
        }
        start.elapsed()
    })
}

fn semaphore_try_acquire_release(n: u64) -> Duration {
    let sem = Semaphore::new(4);
    let start = Instant::now();
    for _ in 0..n {
        let p = sem.try_acquire();
        black_box(&p);
    }
    start.elapsed()
}

fn notify_notify_then_notified(n: u64) -> Duration {
    rt().block_on(async move {
        let notify = Notify::new();
        let start = Instant::now();
        for _ in 0..n {
            notify.notify_one();
            notify.notified().await;
        }
        start.elapsed()
    })
}

fn notify_wake_task_to_task(n: u64) -> Duration {
    rt().block_on(async move {
        let ping = Arc::new(Notify::new());
        let pong = Arc::new(Notify::new());
        let (a, b) = (ping.clone(), pong.clone());
        let h = tokio::spawn(async move {
            loop {
                a.notified().await;
                b.notify_one();
            }
        });
        let start = Instant::now();
        for _ in 0..n {
            ping.notify_one();
            pong.notified().await;
        }
        let t = start.elapsed();
        h.abort();
        let _ = h.await;
        t
    })
}

async fn ready_value(v: usize) -> usize {
    v
}

// The first of two futures to complete (what tokio::select! expands to, without the macros
// feature): both polled in turn, the loser dropped.
async fn select2<A: Future<Output = usize>, B: Future<Output = usize>>(a: A, b: B) -> usize {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(v);
        }
        b.as_mut().poll(cx)
    })
    .await
}

fn when_any_two_ready(n: u64) -> Duration {
    rt().block_on(async move {
        let start = Instant::now();
        let mut sum = 0usize;
        for _ in 0..n {
            sum += select2(ready_value(1), ready_value(2)).await;
        }
        black_box(sum);
        start.elapsed()
    })
}

// select over two Notify waits that both hold a permit: the first wins, the second keeps its
// permit (eddy's Select_TwoReadyNotified: sync::select, polled in place).
fn select_two_ready_notified(n: u64) -> Duration {
    rt().block_on(async move {
        let a = Notify::new();
        let b = Notify::new();
        let start = Instant::now();
        let mut sum = 0usize;
        for _ in 0..n {
            a.notify_one();
            b.notify_one();
            sum += select2(async { a.notified().await; 0 }, async { b.notified().await; 1 }).await;
        }
        black_box(sum);
        start.elapsed()
    })
}

// The same first-of-two, with each side a spawned task (what eddy's when_any does: its
// children are tasks).
fn when_any_two_spawned(n: u64) -> Duration {
    rt().block_on(async move {
        let start = Instant::now();
        let mut sum = 0usize;
        for _ in 0..n {
            let a = tokio::spawn(ready_value(1));
            let b = tokio::spawn(ready_value(2));
            sum += select2(async { a.await.unwrap() }, async { b.await.unwrap() }).await;
        }
        black_box(sum);
        start.elapsed()
    })
}

fn main() {
    let filter = std::env::args().nth(1).unwrap_or_default();
    let benches: &[(&str, fn(u64) -> Duration)] = &[
        ("Mpsc_SendRecv", mpsc_send_recv),
        ("Mpsc_TrySendTryRecv", mpsc_try_send_try_recv),
        ("Mpsc_TaskToTask", mpsc_task_to_task),
        ("Oneshot_CreateSendRecv", oneshot_create_send_recv),
        ("Mutex_LockUnlock", mutex_lock_unlock),
        ("Mutex_Contended8Tasks", mutex_contended_8_tasks),
        ("Semaphore_AcquireRelease", semaphore_acquire_release),
        ("Semaphore_TryAcquireRelease", semaphore_try_acquire_release),
        ("Notify_NotifyThenNotified", notify_notify_then_notified),
        ("Notify_NotifyWakeTaskToTask", notify_wake_task_to_task),
        ("WhenAny_TwoReady", when_any_two_ready),
        ("WhenAny_TwoReadySpawned", when_any_two_spawned),
        ("Select_TwoReadyNotified", select_two_ready_notified),
    ];
    for (name, f) in benches {
        if name.contains(filter.as_str()) {
            println!("{} {:.1}", name, measure(f));
        }
    }
}
