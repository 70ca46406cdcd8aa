//! zerocast's futures on the runtimes users run them on, with tasks free to
//! move between threads: smol's executor driven by two threads, and tokio's
//! work-stealing runtime with two workers. (Embassy's executor has a test
//! of its own, `tests/embassy.rs`; a plain `block_on` runs most others.)
//!
//! One set of tasks, each `Send + 'static`, runs on each runtime:
//! - two tasks bounce numbers over two SPSC channels of 4 slots, so each
//!   waits on an empty ring and on a full one, on whichever thread it is;
//! - a lossless multicast to three subscriber tasks (the publisher waits on
//!   backpressure);
//! - four tasks pack frames into one `SharedWriter` (a pool of 4 buffers and
//!   a flusher ring of one segment, so they wait for the flusher, for
//!   buffers and for each other's commits) and a flusher task writes them
//!   out; every frame arrives once, whole, in its task's order.
//!
//! On tokio every poll of the channel and writer tasks is also guarded
//! (`NoAllocExt::no_alloc`): the wake-ups they make and take across threads
//! allocate nothing there. (smol's executor may allocate a block of its run
//! queue when a task is woken, inside the waking task's poll, so there the
//! tasks run unguarded.)
#![cfg(not(zerocast_loom))]

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::{tag_frame, tagged_frames_in_order};
use zerocast::io::WriteFlusher;
use zerocast::pool::BufferPool;
use zerocast::{multicast, spsc, Closed};
use zerocast_alloc::NoAllocExt;

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

const ROUNDS: u64 = 20_000;
const WRITERS: u64 = 4;
const FRAMES: u64 = 5_000;

/// What the tasks leave behind for the checks after the run.
#[derive(Default)]
struct Results {
    sums: [AtomicU64; 3],
    wire: Mutex<Vec<u8>>,
}

/// `task`, every poll of it guarded where `guard` holds.
fn task(
    guard: bool,
    section: &'static str,
    task: impl Future<Output = ()> + Send + 'static,
) -> Task {
    if guard {
        Box::pin(task.no_alloc(section))
    } else {
        Box::pin(task)
    }
}

/// The tasks of one run (see the module's notes).
fn tasks(guard: bool, results: &Arc<Results>) -> Vec<Task> {
    let mut all = Vec::new();

    let (mut ping_tx, mut ping_rx) = spsc::channel::<u64>(4);
    let (mut pong_tx, mut pong_rx) = spsc::channel::<u64>(4);
    all.push(task(guard, "executors::ping", async move {
        for i in 0..ROUNDS {
            ping_tx.push(i).await.unwrap();
            assert_eq!(pong_rx.pop().await, Ok(i + 1), "a pong lost or reordered");
        }
        drop(ping_tx);
        assert_eq!(pong_rx.pop().await, Err(Closed));
    }));
    all.push(task(guard, "executors::pong", async move {
        while let Ok(i) = ping_rx.pop().await {
            pong_tx.push(i + 1).await.unwrap();
        }
    }));

    let (mut publisher, subscribers) = multicast::channel::<u64>(4, 3);
    all.push(task(guard, "executors::publish", async move {
        for i in 0..ROUNDS {
            publisher.publish(i).await.unwrap();
        }
    }));
    for (n, mut sub) in subscribers.into_iter().enumerate() {
        let results = results.clone();
        all.push(task(guard, "executors::subscribe", async move {
            let mut next = 0;
            while let Ok(v) = sub.recv().await {
                assert_eq!(v, next, "a multicast message lost or reordered");
                results.sums[n].fetch_add(v, Ordering::Relaxed);
                next += 1;
            }
        }));
    }

    let pool = BufferPool::builder(1024, 4).cache(1).build();
    let (mut flusher, queue) = WriteFlusher::new(1, 1);
    let writer = queue.shared_writer(&pool).unwrap();
    writer.flush_at(512);
    drop(queue);
    for w in 0..WRITERS {
        let writer = writer.clone();
        all.push(task(guard, "executors::write", async move {
            for seq in 0..FRAMES {
                tag_frame(
                    w,
                    seq,
                    &mut writer.reserve_frame(frame_len(seq)).await.unwrap(),
                );
            }
            writer.flush().await.unwrap();
        }));
    }
    drop(writer);
    let results = results.clone();
    // Unguarded: it copies the bytes into a growing `Vec`.
    all.push(Box::pin(async move {
        let mut wire = Vec::new();
        while core::future::poll_fn(|cx| flusher.poll_ready(cx))
            .await
            .is_ok()
        {
            flusher.drain(|bytes| wire.extend_from_slice(bytes));
        }
        *results.wire.lock().unwrap() = wire;
    }));
    all
}

/// A frame's payload length: its sequence number and tag, then a filler.
fn frame_len(seq: u64) -> usize {
    8 + (seq % 40) as usize
}

/// The checks after a run: every multicast subscriber saw every value, and
/// the flusher's output holds every writer's frames whole, in its order.
fn check(results: &Results) {
    for sum in &results.sums {
        assert_eq!(sum.load(Ordering::Relaxed), ROUNDS * (ROUNDS - 1) / 2);
    }
    let wire = results.wire.lock().unwrap();
    let next = tagged_frames_in_order(&wire, WRITERS as usize, frame_len);
    assert_eq!(next, [FRAMES; WRITERS as usize], "every frame arrived");
}

#[test]
fn every_task_completes_on_smol_with_two_threads() {
    let results = Arc::new(Results::default());
    let ex = smol::Executor::new();
    let handles: Vec<_> = tasks(false, &results)
        .into_iter()
        .map(|t| ex.spawn(t))
        .collect();
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    std::thread::scope(|s| {
        // A second thread runs tasks too, until the first has joined them all.
        s.spawn(|| smol::block_on(ex.run(stopped.recv())));
        smol::block_on(ex.run(async {
            for h in handles {
                h.await;
            }
        }));
        drop(stop);
    });
    check(&results);
}

#[test]
fn every_task_completes_on_tokios_work_stealing_runtime_allocating_nothing() {
    let results = Arc::new(Results::default());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let handles: Vec<_> = tasks(true, &results)
            .into_iter()
            .map(tokio::spawn)
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    check(&results);
}
