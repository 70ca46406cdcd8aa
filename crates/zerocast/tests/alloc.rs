//! Zero allocations, proven: every steady-state path of `spsc`, `multicast`,
//! `broadcast`, `watch`, `mailbox`, `reader::Reader`, `pool::ObjectPool`,
//! `pool::SharedObjectPool`, `pool::SlabPool` and `pool::Scratch` runs under
//! `zerocast-alloc`'s counter after a warm-up — including a receiver
//! that is `Pending`, woken and then receives, a sender that waits on
//! backpressure, and both across threads with real parking.
#![cfg(not(zerocast_loom))]

mod common;

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll};
use std::time::Duration;

use common::{Dropping, Value, WakeCount};
use zerocast::pool::{ObjectPool, Scratch, ScratchError, SlabError, SlabPool};
use zerocast::reader::Reader;
use zerocast::{
    broadcast, mailbox, multicast, spsc, watch, Closed, RecvError, TryRecvError, TrySendError,
};
use zerocast_alloc::{assert_no_alloc, count_allocs, AllocStats};

const N: u64 = 10_000;

// Cross-thread tests keep every thread alive until all of them have finished
// counting (`counted`, a barrier): a thread that exits leaves the last
// reference to its parking waker to whichever thread wakes it next, and that
// free would land, by chance, in the other thread's counted section.

#[test]
fn spsc_try_push_pop_and_batches_allocate_nothing() {
    let (mut tx, mut rx) = spsc::channel::<u64>(64);
    let mut out = [0u64; 16];
    let run = |tx: &mut spsc::Producer<'_, u64>,
               rx: &mut spsc::Consumer<'_, u64>,
               out: &mut [u64; 16]| {
        for i in 0..N {
            tx.try_push(i).unwrap();
            assert_eq!(rx.try_pop(), Ok(i));
            assert_eq!(tx.push_slice(&[i; 8]), 8);
            assert_eq!(rx.pop_slice(out), 8);
            {
                let mut chunk = tx.write_chunk(4);
                while chunk.push(i).is_ok() {}
            }
            let mut chunk = rx.read_chunk(16);
            chunk.consume(16);
        }
        assert_eq!(rx.try_pop(), Err(TryRecvError::Empty));
    };
    run(&mut tx, &mut rx, &mut out); // warm-up
    let ((), stats) = count_allocs(|| run(&mut tx, &mut rx, &mut out));
    assert_eq!(stats, AllocStats::ZERO);
}

#[test]
fn spsc_full_and_closed_errors_allocate_nothing() {
    let (mut tx, mut rx) = spsc::channel::<String>(1);
    tx.try_push(String::from("x")).unwrap();
    let spare = String::from("y");
    let (spare, stats) = count_allocs(move || {
        let spare = match tx.try_push(spare) {
            Err(TrySendError::Full(v)) => v,
            other => panic!("{other:?}"),
        };
        drop(rx.try_pop().unwrap()); // frees "x": a deallocation, not an allocation
        drop(tx);
        assert_eq!(rx.try_pop(), Err(TryRecvError::Closed));
        spare
    });
    assert_eq!(stats.allocations(), 0, "{stats:?}");
    assert_eq!(spare, "y");
}

static RX_WAKES: WakeCount = WakeCount::new();
static TX_WAKES: WakeCount = WakeCount::new();

#[test]
fn spsc_pending_wake_ready_allocates_nothing() {
    let (mut tx, mut rx) = spsc::channel::<u64>(1);
    let rx_waker = RX_WAKES.waker();
    let tx_waker = TX_WAKES.waker();
    let mut round = |i: u64| {
        // The receiver waits: Pending, registered.
        let mut cx = Context::from_waker(&rx_waker);
        let before = RX_WAKES.get();
        assert!(rx.poll_pop(&mut cx).is_pending());
        // `try_pop` between Pending polls does not lose the wake-up.
        assert_eq!(rx.try_pop(), Err(TryRecvError::Empty));
        tx.try_push(i).unwrap();
        assert_eq!(RX_WAKES.get(), before + 1, "the push wakes the receiver");
        assert_eq!(rx.poll_pop(&mut cx), Poll::Ready(Ok(i)));
        // The sender waits on backpressure: Pending, woken by the pop.
        tx.try_push(i + 1).unwrap();
        let mut cx = Context::from_waker(&tx_waker);
        let before = TX_WAKES.get();
        assert!(tx.poll_ready(&mut cx).is_pending());
        assert_eq!(rx.try_pop(), Ok(i + 1));
        assert_eq!(TX_WAKES.get(), before + 1, "the pop wakes the sender");
        assert_eq!(tx.poll_ready(&mut cx), Poll::Ready(Ok(())));
    };
    for i in 0..100 {
        round(i);
    }
    assert_no_alloc(|| {
        for i in 0..N {
            round(i);
        }
    });
}

/// Its own count: tests run in parallel, and `spsc_pending_wake_ready_allocates_nothing`
/// asserts exact deltas of `RX_WAKES`.
static ASYNC_WAKES: WakeCount = WakeCount::new();

#[test]
fn spsc_async_push_pop_futures_allocate_nothing() {
    let (mut tx, mut rx) = spsc::channel::<u64>(4);
    let waker = ASYNC_WAKES.waker();
    let mut cx = Context::from_waker(&waker);
    let mut round = |i: u64| {
        let mut pop = rx.pop();
        assert!(std::pin::Pin::new(&mut pop).poll(&mut cx).is_pending());
        drop(pop); // cancelled while waiting: nothing lost
        let mut push = tx.push(i);
        assert!(std::pin::Pin::new(&mut push).poll(&mut cx).is_ready());
        let mut pop = rx.pop();
        assert_eq!(
            std::pin::Pin::new(&mut pop).poll(&mut cx),
            Poll::Ready(Ok(i))
        );
    };
    for i in 0..100 {
        round(i);
    }
    let ((), stats) = count_allocs(|| (0..N).for_each(&mut round));
    assert_eq!(stats, AllocStats::ZERO);
}

use std::future::Future;

#[test]
fn spsc_cross_thread_blocking_with_parking_allocates_nothing() {
    // Capacity 1 forces both sides to wait (spin, then park) again and again.
    spsc_cross_thread_blocking(1, Duration::ZERO);
}

#[test]
fn spsc_cross_thread_blocking_through_a_full_ring_allocates_nothing() {
    // Capacity 1024: the consumer stalls at first, so the producer fills the
    // ring and waits for a batch of 64 free slots; both sides run their
    // prefetches (items published, slots released) on the way.
    spsc_cross_thread_blocking(1024, Duration::from_millis(20));
}

/// `N` messages through `push_blocking` / `pop_blocking` across two threads,
/// counted on both after a warm-up; the consumer sleeps `stall` first.
fn spsc_cross_thread_blocking(capacity: usize, stall: Duration) {
    let (mut tx, mut rx) = spsc::channel::<u64>(capacity);
    let counted = Arc::new(Barrier::new(2));
    let producer_counted = counted.clone();
    let producer = std::thread::spawn(move || {
        for i in 0..1_000 {
            tx.push_blocking(i).unwrap(); // warm-up: the thread's waker is built here
        }
        let ((), stats) = count_allocs(|| {
            for i in 1_000..1_000 + N {
                tx.push_blocking(i).unwrap();
            }
        });
        // Outlive the other thread's count (see `counted`).
        producer_counted.wait();
        stats
    });
    for i in 0..1_000 {
        assert_eq!(rx.pop_blocking(), Ok(i));
    }
    let ((), consumer_stats) = count_allocs(|| {
        std::thread::sleep(stall);
        for i in 1_000..1_000 + N {
            assert_eq!(rx.pop_blocking(), Ok(i));
        }
    });
    counted.wait();
    let producer_stats = producer.join().unwrap();
    assert_eq!(producer_stats, AllocStats::ZERO);
    assert_eq!(consumer_stats, AllocStats::ZERO);
    assert_eq!(rx.pop_blocking(), Err(Closed));
}

#[test]
fn spsc_static_storage_allocates_nothing_at_all() {
    let mut storage: spsc::Storage<u64, 8> = spsc::Storage::new();
    let ((), stats) = count_allocs(|| {
        let (mut tx, mut rx) = storage.split();
        for i in 0..N {
            tx.try_push(i).unwrap();
            assert_eq!(rx.try_pop(), Ok(i));
        }
    });
    assert_eq!(stats, AllocStats::ZERO, "not even construction allocates");
}

static SUB_WAKES: WakeCount = WakeCount::new();
static PUB_WAKES: WakeCount = WakeCount::new();

#[test]
fn multicast_publish_recv_ref_and_clone_allocate_nothing() {
    multicast_publish_recv_ref_and_clone::<u64>();
    multicast_publish_recv_ref_and_clone::<Dropping>();
}

fn multicast_publish_recv_ref_and_clone<T: Value>() {
    let (mut publisher, mut subs) = multicast::channel::<T>(8, 4);
    let mut round = |i: u64| {
        publisher.try_publish(T::from(i)).unwrap();
        for s in subs.iter_mut() {
            assert_eq!(*s.try_recv_ref().unwrap(), T::from(i));
        }
        publisher.try_publish(T::from(i + 1)).unwrap();
        for s in subs.iter_mut() {
            assert_eq!(s.try_recv(), Ok(T::from(i + 1)));
        }
    };
    for i in 0..100 {
        round(i);
    }
    let ((), stats) = count_allocs(|| (0..N).for_each(&mut round));
    assert_eq!(stats, AllocStats::ZERO);
}

#[test]
fn multicast_pending_wake_ready_and_backpressure_allocate_nothing() {
    multicast_pending_wake_ready_and_backpressure::<u64>();
    multicast_pending_wake_ready_and_backpressure::<Dropping>();
}

fn multicast_pending_wake_ready_and_backpressure<T: Value>() {
    let (mut publisher, mut subs) = multicast::channel::<T>(1, 2);
    let sub_waker = SUB_WAKES.waker();
    let pub_waker = PUB_WAKES.waker();
    let mut round = |i: u64| {
        let mut cx = Context::from_waker(&sub_waker);
        let before = SUB_WAKES.get();
        for s in subs.iter_mut() {
            assert!(s.poll_ready(&mut cx).is_pending());
        }
        publisher.try_publish(T::from(i)).unwrap();
        assert_eq!(
            SUB_WAKES.get(),
            before + 2,
            "each waiting subscriber woken once"
        );
        // The ring is full until both have read: the publisher waits.
        let mut pcx = Context::from_waker(&pub_waker);
        assert!(publisher.poll_ready(&mut pcx).is_pending());
        assert_eq!(subs[0].poll_recv(&mut cx), Poll::Ready(Ok(T::from(i))));
        assert!(
            publisher.poll_ready(&mut pcx).is_pending(),
            "slowest holds it back"
        );
        let before = PUB_WAKES.get();
        assert_eq!(subs[1].poll_recv(&mut cx), Poll::Ready(Ok(T::from(i))));
        assert_eq!(
            PUB_WAKES.get(),
            before + 1,
            "the last reader frees the slot and wakes"
        );
        assert_eq!(publisher.poll_ready(&mut pcx), Poll::Ready(Ok(())));
    };
    for i in 0..100 {
        round(i);
    }
    let ((), stats) = count_allocs(|| (0..N).for_each(&mut round));
    assert_eq!(stats, AllocStats::ZERO);
}

#[test]
fn multicast_cross_thread_blocking_allocates_nothing() {
    multicast_cross_thread_blocking::<u64>(3);
    multicast_cross_thread_blocking::<Dropping>(3);
}

/// More waiting threads than cores: spinners count themselves and yield
/// their cores to the thread that would end their waits.
#[test]
fn multicast_blocking_with_more_threads_than_cores_allocates_nothing() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    multicast_cross_thread_blocking::<u64>(cores + 2);
}

fn multicast_cross_thread_blocking<T: Value>(subscribers: usize) {
    let (mut publisher, subs) = multicast::channel::<T>(2, subscribers);
    let readers: Vec<_> = subs
        .into_iter()
        .map(|mut s| {
            std::thread::spawn(move || {
                for i in 0..1_000 {
                    assert_eq!(s.recv_blocking(), Ok(T::from(i)));
                }
                let ((), stats) = count_allocs(|| {
                    for i in 1_000..1_000 + N {
                        assert_eq!(s.recv_blocking(), Ok(T::from(i)));
                    }
                });
                assert_eq!(s.recv_blocking(), Err(Closed));
                stats
            })
        })
        .collect();
    for i in 0..1_000 {
        publisher.publish_blocking(T::from(i)).unwrap();
    }
    let ((), stats) = count_allocs(|| {
        for i in 1_000..1_000 + N {
            publisher.publish_blocking(T::from(black_box(i))).unwrap();
        }
    });
    drop(publisher);
    assert_eq!(stats, AllocStats::ZERO);
    for r in readers {
        assert_eq!(r.join().unwrap(), AllocStats::ZERO);
    }
}

#[test]
fn broadcast_send_recv_lag_and_close_allocate_nothing() {
    // 64: both halves of the read fence are SeqCst fences; 1024: the sender's
    // half is a `membarrier` call (on Linux). Both move the limit many times.
    for capacity in [64, 1024] {
        broadcast_round_trip_lag_and_close(capacity);
    }
}

fn broadcast_round_trip_lag_and_close(capacity: u64) {
    let (tx, mut rx) = broadcast::channel::<u64>(capacity as usize);
    let mut other = tx.subscribe();
    let run = |tx: &broadcast::Sender<u64>,
               rx: &mut broadcast::Receiver<u64>,
               other: &mut broadcast::Receiver<u64>| {
        for i in 0..N {
            tx.send(i).unwrap();
            assert_eq!(rx.try_recv(), Ok(i));
            assert_eq!(*other.try_recv_ref().unwrap(), i);
        }
        // Lag: a capacity and a half behind.
        for i in 0..capacity + capacity / 2 {
            tx.send(i).unwrap();
        }
        let missed = capacity / 2;
        assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(missed)));
        assert!(matches!(
            other.try_recv_ref(),
            Err(TryRecvError::Lagged(n)) if n == missed
        ));
        while rx.try_recv().is_ok() {}
        while other.try_recv().is_ok() {}
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    };
    run(&tx, &mut rx, &mut other); // warm-up
    let ((), stats) = count_allocs(|| run(&tx, &mut rx, &mut other));
    assert_eq!(stats, AllocStats::ZERO, "capacity {capacity}");
    let (result, stats) = count_allocs(move || {
        drop(tx);
        rx.try_recv()
    });
    assert_eq!(result, Err(TryRecvError::Closed));
    assert_eq!(stats.allocations(), 0, "{stats:?}");
}

static BROADCAST_WAKES: WakeCount = WakeCount::new();

#[test]
fn broadcast_pending_wake_ready_allocates_nothing() {
    let (tx, mut rx) = broadcast::channel::<u64>(8);
    let waker = BROADCAST_WAKES.waker();
    let mut round = |i: u64| {
        let mut cx = Context::from_waker(&waker);
        let before = BROADCAST_WAKES.get();
        assert!(rx.poll_recv(&mut cx).is_pending());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        tx.send(i).unwrap();
        assert_eq!(
            BROADCAST_WAKES.get(),
            before + 1,
            "the send wakes the receiver"
        );
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(i)));
    };
    round(0);
    let ((), stats) = count_allocs(|| (1..N).for_each(&mut round));
    assert_eq!(stats, AllocStats::ZERO);
}

#[test]
fn broadcast_cross_thread_blocking_allocates_nothing() {
    let (tx, mut rx) = broadcast::channel::<u64>(4096);
    let counted = Arc::new(Barrier::new(2));
    let receiver_counted = counted.clone();
    let receiver = std::thread::spawn(move || {
        // Receives until `until` messages are accounted for.
        let take_until = |rx: &mut broadcast::Receiver<u64>, mut next: u64, until: u64| {
            while next < until {
                match rx.recv_blocking() {
                    Ok(v) => {
                        assert_eq!(v, next);
                        next += 1;
                    }
                    Err(RecvError::Lagged(n)) => next += n,
                    Err(RecvError::Closed) => panic!("closed early"),
                }
            }
            next
        };
        // Warm-up: the thread's waker is built here.
        let next = take_until(&mut rx, 0, 1_000);
        let (_, stats) = count_allocs(|| take_until(&mut rx, next, 1_000 + N));
        receiver_counted.wait();
        stats
    });
    for i in 0..1_000 {
        tx.send(i).unwrap();
    }
    let ((), stats) = count_allocs(|| {
        for i in 1_000..1_000 + N {
            tx.send(i).unwrap();
            if i % 16 == 0 {
                std::thread::yield_now(); // let the receiver wait and be woken
            }
        }
    });
    counted.wait();
    assert_eq!(stats, AllocStats::ZERO);
    assert_eq!(receiver.join().unwrap(), AllocStats::ZERO);
}

static WATCH_WAKES: WakeCount = WakeCount::new();

#[test]
fn watch_send_borrow_and_pending_wake_ready_allocate_nothing() {
    let (mut tx, mut rx) = watch::channel([0u64; 5]);
    let waker = WATCH_WAKES.waker();
    let mut round = |i: u64| {
        let mut cx = Context::from_waker(&waker);
        rx.borrow_and_update();
        let before = WATCH_WAKES.get();
        assert!(rx.poll_changed(&mut cx).is_pending());
        tx.send([i; 5]).unwrap();
        assert_eq!(WATCH_WAKES.get(), before + 1);
        assert_eq!(rx.poll_changed(&mut cx), Poll::Ready(Ok(())));
        assert_eq!(rx.borrow()[4], i);
        tx.send_modify(|v| v[0] += 1);
        assert_eq!(tx.send_replace([i; 5])[0], i + 1);
        assert_eq!(black_box(tx.borrow())[1], i);
    };
    round(0);
    let ((), stats) = count_allocs(|| (1..N).for_each(&mut round));
    assert_eq!(stats, AllocStats::ZERO);
    let (result, stats) = count_allocs(move || {
        drop(tx);
        rx.borrow_and_update();
        rx.has_changed()
    });
    assert_eq!(result, Err(Closed));
    assert_eq!(stats.allocations(), 0, "{stats:?}");
}

#[test]
fn watch_cross_thread_blocking_allocates_nothing() {
    let (mut tx, mut rx) = watch::channel(0u64);
    let receiver = std::thread::spawn(move || {
        let mut last = 0;
        while last < 1_000 {
            rx.changed_blocking().unwrap(); // warm-up
            last = *rx.borrow_and_update();
        }
        let (last, stats) = count_allocs(|| {
            while rx.changed_blocking().is_ok() {
                last = *rx.borrow_and_update();
            }
            last
        });
        (last, stats)
    });
    let ((), stats) = count_allocs(|| {
        for i in 1..=1_000 + N {
            tx.send(i).unwrap();
            if i % 16 == 0 {
                std::thread::yield_now();
            }
        }
    });
    drop(tx);
    assert_eq!(stats, AllocStats::ZERO);
    let (last, stats) = receiver.join().unwrap();
    assert_eq!(last, 1_000 + N);
    assert_eq!(stats, AllocStats::ZERO);
}

static MAILBOX_WAKES: WakeCount = WakeCount::new();

#[test]
fn mailbox_send_recv_and_pending_wake_ready_allocate_nothing() {
    let (tx, mut rx) = mailbox::channel::<[u64; 3]>();
    let waker = MAILBOX_WAKES.waker();
    let mut round = |i: u64| {
        let mut cx = Context::from_waker(&waker);
        let before = MAILBOX_WAKES.get();
        assert!(rx.poll_recv(&mut cx).is_pending());
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(tx.send([i; 3]), Ok(None));
        assert_eq!(MAILBOX_WAKES.get(), before + 1);
        assert_eq!(tx.send([i + 1; 3]), Ok(Some([i; 3])));
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok([i + 1; 3])));
    };
    round(0);
    let ((), stats) = count_allocs(|| (1..N).for_each(&mut round));
    assert_eq!(stats, AllocStats::ZERO);
    let (result, stats) = count_allocs(move || {
        drop(tx);
        rx.try_recv()
    });
    assert_eq!(result, Err(TryRecvError::Closed));
    assert_eq!(stats.allocations(), 0, "{stats:?}");
}

#[test]
fn mailbox_cross_thread_blocking_allocates_nothing() {
    let (tx, mut rx) = mailbox::channel::<u64>();
    let (ack_tx, mut ack_rx) = mailbox::channel::<u64>();
    let counted = Arc::new(Barrier::new(2));
    let echo_counted = counted.clone();
    // Ping-pong so every value is taken: both threads wait and are woken.
    let echo = std::thread::spawn(move || {
        let mut serve = |n: u64| {
            for _ in 0..n {
                let v = rx.recv_blocking().unwrap();
                ack_tx.send(v).unwrap();
            }
        };
        serve(1_000);
        let ((), stats) = count_allocs(|| serve(N));
        echo_counted.wait();
        stats
    });
    let mut ping = |range: std::ops::Range<u64>| {
        for i in range {
            tx.send(i).unwrap();
            assert_eq!(ack_rx.recv_blocking(), Ok(i));
        }
    };
    ping(0..1_000);
    let ((), stats) = count_allocs(|| ping(1_000..1_000 + N));
    counted.wait();
    assert_eq!(stats, AllocStats::ZERO);
    assert_eq!(echo.join().unwrap(), AllocStats::ZERO);
}

#[test]
fn a_reader_over_any_buffer_allocates_nothing_per_message() {
    let (tx, rx) = broadcast::channel::<u64>(8);
    let (mut wtx, wrx) = watch::channel(0u64);
    let (mtx, mrx) = mailbox::channel::<u64>();
    let mut readers = [Reader::new(rx), Reader::new(wrx), Reader::new(mrx)];
    let mut run = |from: u64, to: u64| {
        futures_executor::block_on(async {
            for i in from..to {
                tx.send(i).unwrap();
                wtx.send(i).unwrap();
                mtx.send(i).unwrap();
                for r in readers.iter_mut() {
                    assert_eq!(r.recv().await, Ok(i));
                }
            }
        })
    };
    run(1, 100);
    let ((), stats) = count_allocs(|| run(100, N));
    assert_eq!(stats, AllocStats::ZERO);
}

#[test]
fn object_pool_acquire_release_and_exhaustion_allocate_nothing() {
    // The buffers are allocated once, at construction; lending them out and
    // taking them back (reset hook included) never touches the heap.
    let pool: ObjectPool<Vec<u8>, 8, _> =
        ObjectPool::with(|_| Vec::with_capacity(1033)).reset(Vec::clear);
    let run = || {
        for i in 0..N {
            let mut a = pool.acquire().unwrap();
            a.extend_from_slice(&[i as u8; 1033]);
            let held: [_; 7] = std::array::from_fn(|_| pool.acquire().unwrap());
            assert!(pool.acquire().is_none(), "exhausted");
            drop(held);
            black_box(&a);
        }
    };
    run();
    let ((), stats) = count_allocs(run);
    assert_eq!(stats, AllocStats::ZERO);
    assert_eq!(pool.high_water_mark(), 8);
}

#[test]
fn scratch_scopes_allocate_nothing_even_when_exhausted() {
    let mut scratch = Scratch::new(4096);
    let mut run = || {
        for i in 0..N {
            let r = scratch.with(|arena| {
                let a = arena.alloc_copy(&[i as u8; 1000])?;
                let b = arena.alloc_zeroed(3000)?;
                b[0] = a[999];
                assert!(arena.alloc(200).is_err(), "exhaustion is an error");
                Ok::<_, ScratchError>(black_box(b[0]))
            });
            assert_eq!(r, Ok(i as u8));
        }
    };
    run();
    let ((), stats) = count_allocs(run);
    assert_eq!(stats, AllocStats::ZERO);
    assert_eq!(scratch.exhausted_count(), 2 * N);
}

#[test]
fn slab_alloc_read_drop_drain_and_errors_allocate_nothing() {
    let pool = SlabPool::new(0, 1033, 8).unwrap();
    let payload = [7u8; 1033];
    let run = |pool: &SlabPool| {
        for _ in 0..N {
            let tickets: [_; 8] = std::array::from_fn(|_| pool.alloc(&payload).unwrap());
            assert_eq!(pool.alloc(&payload).unwrap_err(), SlabError::Exhausted);
            assert!(matches!(
                pool.alloc(&[0; 1034]),
                Err(SlabError::Oversized { .. })
            ));
            assert_eq!(black_box(tickets[3].as_slice())[1032], 7);
            drop(tickets);
            assert_eq!(pool.drain(), 8);
        }
    };
    run(&pool);
    let ((), stats) = count_allocs(|| run(&pool));
    assert_eq!(stats, AllocStats::ZERO);
}

#[test]
fn slab_local_tickets_fill_read_drop_and_convert_allocate_nothing() {
    let pool = SlabPool::new(0, 1033, 8).unwrap();
    let run = |pool: &SlabPool| {
        for i in 0..N {
            let mut pages: [_; 8] = std::array::from_fn(|_| pool.alloc_local(1033).unwrap());
            assert_eq!(pool.alloc_local(1).unwrap_err(), SlabError::Exhausted);
            pages[5][1032] = i as u8;
            assert_eq!(black_box(&pages[5][..])[1032], i as u8);
            let [first, rest @ ..] = pages;
            drop(rest); // the other seven go straight home
            let ticket = first.into_send();
            assert_eq!(pool.available(), 7);
            drop(ticket);
            assert_eq!(pool.drain(), 1);
        }
    };
    run(&pool);
    let ((), stats) = count_allocs(|| run(&pool));
    assert_eq!(stats, AllocStats::ZERO);
}

#[test]
fn slab_tickets_read_and_dropped_on_another_thread_allocate_nothing() {
    let pool = SlabPool::new(0, 64, 64).unwrap();
    let (mut tx, mut rx) = spsc::channel::<zerocast::pool::SlabTicket>(64);
    let counted = Arc::new(Barrier::new(2));
    let reader_counted = counted.clone();
    let reader = std::thread::spawn(move || {
        let mut read = |n: u64| {
            for i in 0..n {
                let t = rx.pop_blocking().unwrap();
                assert_eq!(t.as_slice()[0], i as u8);
            } // each ticket dropped here: its page goes home
        };
        read(1_000);
        let ((), stats) = count_allocs(|| read(N));
        reader_counted.wait();
        stats
    });
    let mut send = |n: u64| {
        let mut i = 0;
        while i < n {
            match pool.alloc(&[i as u8; 64]) {
                Ok(t) => {
                    tx.push_blocking(t).unwrap();
                    i += 1;
                }
                Err(SlabError::Exhausted) => {
                    pool.drain();
                    std::thread::yield_now();
                }
                Err(e) => panic!("{e}"),
            }
        }
    };
    send(1_000);
    let ((), stats) = count_allocs(|| send(N));
    counted.wait();
    assert_eq!(stats, AllocStats::ZERO);
    assert_eq!(reader.join().unwrap(), AllocStats::ZERO);
}

static SHARED_WAKES: WakeCount = WakeCount::new();

#[test]
fn shared_object_pool_acquire_release_wait_and_cross_thread_allocate_nothing() {
    use std::future::Future;
    use zerocast::pool::SharedObjectPool;

    // `'static`, so lent values can be sent to another thread.
    let pool: &'static _ = Box::leak(Box::new(
        SharedObjectPool::new(2, |_| Vec::<u8>::with_capacity(64)).reset(Vec::clear),
    ));
    let waker = SHARED_WAKES.waker();
    let round = |i: u64| {
        let mut a = pool.try_acquire().unwrap();
        let b = pool.try_acquire().unwrap();
        a.push(i as u8);
        assert!(pool.try_acquire().is_none(), "exhausted is None");
        // A waiter: Pending, woken by a release, then served.
        let mut cx = Context::from_waker(&waker);
        let before = SHARED_WAKES.get();
        let mut waiting = std::pin::pin!(pool.acquire());
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        drop(a);
        assert_eq!(SHARED_WAKES.get(), before + 1);
        let Poll::Ready(c) = waiting.as_mut().poll(&mut cx) else {
            panic!("the waiter was granted the value");
        };
        assert!(c.is_empty(), "reset on return");
        drop((b, c));
    };
    for i in 0..100 {
        round(i);
    }
    assert_no_alloc(|| {
        for i in 0..N {
            round(i);
        }
    });

    // Across threads: values lent here, returned there, with a waiting
    // (parked) acquire when both are out.
    let (mut tx, mut rx) = spsc::channel::<zerocast::pool::SharedPooled<'static, Vec<u8>>>(4);
    let counted = Arc::new(Barrier::new(2));
    let there = {
        let counted = counted.clone();
        std::thread::spawn(move || {
            let mut take = |n: u64| {
                for i in 0..n {
                    let v = rx.pop_blocking().unwrap();
                    assert_eq!(v[0], i as u8);
                } // returned here
            };
            take(1_000);
            let ((), stats) = count_allocs(|| take(N));
            counted.wait();
            stats
        })
    };
    let mut lend = |n: u64| {
        for i in 0..n {
            let mut v = futures_executor::block_on(pool.acquire());
            v.push(i as u8);
            tx.push_blocking(v).unwrap();
        }
    };
    lend(1_000);
    let ((), stats) = count_allocs(|| lend(N));
    counted.wait();
    assert_eq!(stats, AllocStats::ZERO);
    assert_eq!(there.join().unwrap(), AllocStats::ZERO);
}
