//! Zero allocations, proven: every steady-state path of `spsc` and `multicast`
//! runs under `zerocast-alloc`'s counter after a warm-up — including a receiver
//! that is `Pending`, woken and then receives, a sender that waits on
//! backpressure, and both across threads with real parking.
#![cfg(not(zerocast_loom))]

mod common;

use std::hint::black_box;
use std::task::{Context, Poll};

use common::WakeCount;
use zerocast::{multicast, spsc, Closed, TryRecvError, TrySendError};
use zerocast_alloc::{assert_no_alloc, count_allocs, AllocStats};

const N: u64 = 10_000;

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

#[test]
fn spsc_async_push_pop_futures_allocate_nothing() {
    let (mut tx, mut rx) = spsc::channel::<u64>(4);
    let waker = RX_WAKES.waker();
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
    let (mut tx, mut rx) = spsc::channel::<u64>(1);
    let producer = std::thread::spawn(move || {
        for i in 0..1_000 {
            tx.push_blocking(i).unwrap(); // warm-up: the thread's waker is built here
        }
        let ((), stats) = count_allocs(|| {
            for i in 1_000..1_000 + N {
                tx.push_blocking(i).unwrap();
            }
        });
        stats
    });
    for i in 0..1_000 {
        assert_eq!(rx.pop_blocking(), Ok(i));
    }
    let ((), consumer_stats) = count_allocs(|| {
        for i in 1_000..1_000 + N {
            assert_eq!(rx.pop_blocking(), Ok(i));
        }
    });
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
    let (mut publisher, mut subs) = multicast::channel::<u64>(8, 4);
    let mut round = |i: u64| {
        publisher.try_publish(i).unwrap();
        for s in subs.iter_mut() {
            assert_eq!(*s.try_recv_ref().unwrap(), i);
        }
        publisher.try_publish(i + 1).unwrap();
        for s in subs.iter_mut() {
            assert_eq!(s.try_recv(), Ok(i + 1));
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
    let (mut publisher, mut subs) = multicast::channel::<u64>(1, 2);
    let sub_waker = SUB_WAKES.waker();
    let pub_waker = PUB_WAKES.waker();
    let mut round = |i: u64| {
        let mut cx = Context::from_waker(&sub_waker);
        let before = SUB_WAKES.get();
        for s in subs.iter_mut() {
            assert!(s.poll_ready(&mut cx).is_pending());
        }
        publisher.try_publish(i).unwrap();
        assert_eq!(
            SUB_WAKES.get(),
            before + 2,
            "each waiting subscriber woken once"
        );
        // The ring is full until both have read: the publisher waits.
        let mut pcx = Context::from_waker(&pub_waker);
        assert!(publisher.poll_ready(&mut pcx).is_pending());
        assert_eq!(subs[0].poll_recv(&mut cx), Poll::Ready(Ok(i)));
        assert!(
            publisher.poll_ready(&mut pcx).is_pending(),
            "slowest holds it back"
        );
        let before = PUB_WAKES.get();
        assert_eq!(subs[1].poll_recv(&mut cx), Poll::Ready(Ok(i)));
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
    let (mut publisher, subs) = multicast::channel::<u64>(2, 3);
    let readers: Vec<_> = subs
        .into_iter()
        .map(|mut s| {
            std::thread::spawn(move || {
                for i in 0..1_000 {
                    assert_eq!(s.recv_blocking(), Ok(i));
                }
                let ((), stats) = count_allocs(|| {
                    for i in 1_000..1_000 + N {
                        assert_eq!(s.recv_blocking(), Ok(i));
                    }
                });
                assert_eq!(s.recv_blocking(), Err(Closed));
                stats
            })
        })
        .collect();
    for i in 0..1_000 {
        publisher.publish_blocking(i).unwrap();
    }
    let ((), stats) = count_allocs(|| {
        for i in 1_000..1_000 + N {
            publisher.publish_blocking(black_box(i)).unwrap();
        }
    });
    drop(publisher);
    assert_eq!(stats, AllocStats::ZERO);
    for r in readers {
        assert_eq!(r.join().unwrap(), AllocStats::ZERO);
    }
}
