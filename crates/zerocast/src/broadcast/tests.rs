//! Unit tests of the broadcast channel (run under Miri in CI).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::vec::Vec;

use super::*;
use crate::error::{RecvError, TryRecvError};
use crate::test_util::{Counted, WakeCounter};

#[test]
fn every_receiver_sees_every_message_in_order() {
    let (tx, mut a) = channel::<u32>(3);
    assert_eq!(tx.capacity(), 4, "rounded up to a power of two");
    let mut b = tx.subscribe();
    for round in 0..10 {
        for i in 0..4 {
            tx.send(round * 4 + i).unwrap();
        }
        for rx in [&mut a, &mut b] {
            for i in 0..4 {
                assert_eq!(rx.try_recv(), Ok(round * 4 + i));
            }
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        }
    }
}

#[test]
fn lag_is_reported_once_with_the_count_and_reading_resumes_at_the_oldest() {
    let (tx, mut rx) = channel::<u32>(4);
    for v in 0..11 {
        tx.send(v).unwrap();
    }
    // 11 sent, 4 held (7..=10): 7 missed.
    assert_eq!(rx.len(), 11);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(7)));
    for v in 7..11 {
        assert_eq!(rx.try_recv(), Ok(v));
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    // The same through poll_recv.
    for v in 11..20 {
        tx.send(v).unwrap();
    }
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert_eq!(
        rx.poll_recv(&mut cx),
        Poll::Ready(Err(RecvError::Lagged(5)))
    );
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(16)));
}

#[test]
fn subscribe_starts_at_the_next_message() {
    let (tx, mut first) = channel::<u32>(8);
    tx.send(1).unwrap();
    let mut late = tx.subscribe();
    assert_eq!(late.try_recv(), Err(TryRecvError::Empty));
    tx.send(2).unwrap();
    assert_eq!(late.try_recv(), Ok(2));
    assert_eq!(first.try_recv(), Ok(1));
    assert_eq!(first.try_recv(), Ok(2));
    assert_eq!(tx.receiver_count(), 2);
}

#[test]
fn close_comes_after_the_last_message_of_the_last_sender() {
    let (tx, mut rx) = channel::<u32>(4);
    let tx2 = tx.clone();
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "tx2 still open");
    tx2.send(2).unwrap();
    drop(tx2);
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Err(RecvError::Closed)));
}

#[test]
fn send_without_receivers_hands_the_value_back() {
    let (tx, rx) = channel::<u32>(2);
    drop(rx);
    assert_eq!(tx.send(9).unwrap_err().into_inner(), 9);
    let mut rx = tx.subscribe();
    tx.send(10).unwrap();
    assert_eq!(rx.try_recv(), Ok(10));
}

#[test]
fn values_are_dropped_when_overwritten_and_with_the_channel() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = channel::<Counted>(2);
    let slots = tx.shared.slots.len();
    assert_eq!(slots, 32, "twice the capacity, at least 32");
    for i in 0..slots as u32 + 3 {
        tx.send(Counted(i, drops.clone())).unwrap();
    }
    assert_eq!(drops.load(Ordering::SeqCst), 3, "three overwritten");
    // Lag counts from the capacity, not from what the slots still hold.
    let kept = slots + 3 - 2;
    assert!(matches!(rx.try_recv_ref(), Err(TryRecvError::Lagged(n)) if n == kept as u64));
    assert_eq!(rx.try_recv_ref().unwrap().0 as usize, kept, "read in place");
    drop((tx, rx));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        slots + 3,
        "the ones held go with the ring"
    );
}

#[test]
fn a_pending_receiver_is_woken_once_and_try_recv_between_polls_keeps_the_wake_up() {
    let (tx, mut rx) = channel::<u32>(4);
    let (count, waker) = WakeCounter::new();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(5).unwrap();
    assert_eq!(count.get(), 1);
    tx.send(6).unwrap();
    assert_eq!(count.get(), 1, "woken once per registration");
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(5)));
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(6)));
    assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    drop(tx);
    assert_eq!(count.get(), 2, "close wakes");
}

#[test]
fn more_than_64_receivers_are_all_woken() {
    let (tx, first) = channel::<u32>(4);
    let mut receivers: Vec<_> = (0..130).map(|_| tx.subscribe()).collect();
    drop(first);
    let (count, waker) = WakeCounter::new();
    let mut cx = Context::from_waker(&waker);
    for rx in receivers.iter_mut() {
        assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    }
    tx.send(1).unwrap();
    assert_eq!(count.get(), 130);
    for rx in receivers.iter_mut() {
        assert_eq!(rx.try_recv(), Ok(1));
    }
    // Slots given back are reused.
    receivers.truncate(10);
    let again: Vec<_> = (0..120).map(|_| tx.subscribe()).collect();
    assert_eq!(tx.receiver_count(), 130);
    drop(again);
}

/// Sends `1..=slots` from another thread and checks that it stops before the
/// send that rewrites slot 0 until `unblock` has run, then that it finishes.
fn the_lap_waits_until(tx: &Sender<usize>, unblock: impl FnOnce()) {
    let slots = tx.shared.slots.len();
    let done = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let lapping = scope.spawn(|| {
            for i in 1..=slots {
                tx.send(i).unwrap();
                done.store(i, Ordering::SeqCst);
            }
        });
        while done.load(Ordering::SeqCst) < slots - 1 {
            std::thread::yield_now();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(done.load(Ordering::SeqCst), slots - 1, "waits at slot 0");
        unblock();
        lapping.join().unwrap();
    });
    assert_eq!(done.load(Ordering::SeqCst), slots);
}

#[test]
fn a_sender_that_laps_a_slow_sender_waits_for_its_write() {
    // Position 0 is claimed and not yet written (a sender held up between
    // its claim and its write); the sender of position `slots`, which
    // rewrites slot 0, waits for it instead of writing the slot at the same
    // time or being overwritten by older data.
    let (tx, mut rx) = channel::<usize>(2);
    let slots = tx.shared.slots.len();
    let held_up = tx.shared.claim();
    the_lap_waits_until(&tx, || {
        // SAFETY: `held_up` was claimed above and is written once.
        let replaced = unsafe { tx.shared.write(held_up, 0) };
        assert_eq!(replaced, None, "slot 0's first write");
    });
    let kept = slots + 1 - 2;
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(kept as u64)));
    // Position `i` holds `i`.
    assert_eq!(rx.try_recv(), Ok(kept));
    assert_eq!(rx.try_recv(), Ok(slots), "slot 0 holds the newer value");
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn a_sender_that_must_release_a_position_waits_for_its_reader() {
    // Position `slots` rewrites slot 0: its sender releases position 0
    // first, which the guard is reading.
    let (tx, mut rx) = channel::<usize>(1);
    let slots = tx.shared.slots.len();
    tx.send(0).unwrap();
    let guard = rx.try_recv_ref().unwrap();
    the_lap_waits_until(&tx, || {
        assert_eq!(*guard, 0, "the value read is intact");
        drop(guard);
    });
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(slots as u64 - 1)));
    assert_eq!(rx.try_recv(), Ok(slots));
}

#[test]
fn blocking_receivers_across_threads_see_every_message() {
    let (tx, rx) = channel::<u64>(64);
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let mut rx = tx.subscribe();
            std::thread::spawn(move || {
                let mut expected = 0;
                loop {
                    match rx.recv_blocking() {
                        Ok(v) => {
                            assert_eq!(v, expected);
                            expected += 1;
                        }
                        Err(RecvError::Lagged(n)) => expected += n,
                        Err(RecvError::Closed) => return expected,
                    }
                }
            })
        })
        .collect();
    drop(rx);
    let total = if cfg!(miri) { 100 } else { 10_000 };
    for v in 0..total {
        tx.send(v).unwrap();
        if v % 32 == 0 {
            std::thread::yield_now();
        }
    }
    drop(tx);
    for r in readers {
        assert_eq!(r.join().unwrap(), total);
    }
}
