//! Unit tests of the SPSC channel (run under Miri in CI).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::vec::Vec;

use super::*;
use crate::error::{Closed, TryRecvError, TrySendError};

/// Counts drops, to prove every item is dropped exactly once.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn fifo_through_many_wraps_of_an_odd_capacity() {
    let (mut tx, mut rx) = channel::<u32>(3);
    let mut next_in = 0;
    let mut next_out = 0;
    for round in 0..50 {
        while tx.try_push(next_in).is_ok() {
            next_in += 1;
        }
        assert_eq!(tx.len(), 3);
        for _ in 0..=(round % 3) {
            assert_eq!(rx.try_pop(), Ok(next_out));
            next_out += 1;
        }
    }
    while let Ok(v) = rx.try_pop() {
        assert_eq!(v, next_out);
        next_out += 1;
    }
    assert_eq!(next_in, next_out);
}

#[test]
fn full_hands_the_value_back_and_closed_is_seen_by_both_sides() {
    let (mut tx, mut rx) = channel::<u8>(1);
    tx.try_push(1).unwrap();
    assert_eq!(tx.try_push(2), Err(TrySendError::Full(2)));
    drop(tx);
    assert!(rx.is_closed());
    assert_eq!(
        rx.try_pop(),
        Ok(1),
        "items sent before the close are delivered"
    );
    assert_eq!(rx.try_pop(), Err(TryRecvError::Closed));
    let (mut tx, rx) = channel::<u8>(1);
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.try_push(3), Err(TrySendError::Closed(3)));
}

#[test]
fn items_left_in_the_ring_are_dropped_once_when_the_last_handle_goes() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, mut rx) = channel::<Counted>(4);
    for _ in 0..4 {
        assert!(tx.try_push(Counted(drops.clone())).is_ok());
    }
    drop(rx.try_pop().unwrap());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(rx);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the producer still holds the channel"
    );
    drop(tx);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn chunks_write_and_read_in_place() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, mut rx) = channel::<Counted>(3);
    {
        let mut chunk = tx.write_chunk(10);
        assert_eq!(chunk.remaining(), 3);
        for _ in 0..3 {
            assert!(chunk.push(Counted(drops.clone())).is_ok());
        }
        assert!(chunk.push(Counted(drops.clone())).is_err());
        assert_eq!(chunk.len(), 3);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1, "the rejected one");
    {
        let mut chunk = rx.read_chunk(2);
        assert_eq!(chunk.len(), 2);
        assert!(chunk.get(1).is_some() && chunk.get(2).is_none());
        chunk.consume(1);
        assert_eq!(chunk.len(), 1);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert_eq!(rx.len(), 2);
    drop((tx, rx));
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn slices_wrap_around_the_end() {
    let (mut tx, mut rx) = channel::<u16>(5);
    let mut out = [0u16; 5];
    assert_eq!(tx.push_slice(&[1, 2, 3]), 3);
    assert_eq!(rx.pop_slice(&mut out[..2]), 2);
    assert_eq!(tx.push_slice(&[4, 5, 6, 7, 8]), 4);
    assert_eq!(rx.pop_slice(&mut out), 5);
    assert_eq!(out, [3, 4, 5, 6, 7]);
}

#[test]
fn storage_splits_again_after_its_handles_are_gone() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut storage: Storage<Counted, 2> = Storage::new();
    {
        let (mut tx, _rx) = storage.split();
        assert!(tx.try_push(Counted(drops.clone())).is_ok());
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    let (mut tx, mut rx) = storage.split();
    assert!(rx.try_pop().is_err(), "fresh and empty");
    assert!(tx.try_push(Counted(drops.clone())).is_ok());
    assert!(rx.try_pop().is_ok());
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn poll_pop_registers_and_is_woken_by_push_and_close() {
    let (mut tx, mut rx) = channel::<u8>(2);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(rx.poll_pop(&mut cx).is_pending());
    assert!(rx.core().rx_wait.is_waiting());
    tx.try_push(9).unwrap();
    assert!(!rx.core().rx_wait.is_waiting(), "the push took the waker");
    assert_eq!(rx.poll_pop(&mut cx), Poll::Ready(Ok(9)));
    assert!(rx.poll_pop(&mut cx).is_pending());
    drop(tx);
    assert_eq!(rx.poll_pop(&mut cx), Poll::Ready(Err(Closed)));
}

#[test]
fn cross_thread_blocking_keeps_order() {
    let n = if cfg!(miri) { 200 } else { 20_000 };
    let (mut tx, mut rx) = channel::<u32>(4);
    let t = std::thread::spawn(move || {
        for i in 0..n {
            tx.push_blocking(i).unwrap();
        }
    });
    let mut got = Vec::new();
    while let Ok(v) = rx.pop_blocking() {
        got.push(v);
    }
    t.join().unwrap();
    assert_eq!(got, (0..n).collect::<Vec<_>>());
}

#[test]
fn a_blocking_push_waits_for_a_batch_but_takes_one_slot_when_no_more_come() {
    // Capacity 64: a full ring waits for 4 free slots while it spins.
    let (mut tx, mut rx) = channel::<u32>(64);
    for i in 0..64 {
        tx.push_blocking(i).unwrap();
    }
    assert_eq!(rx.pop_blocking(), Ok(0));
    // One slot free and no consumer at work (this thread is both sides): the
    // spin ends, and the one slot takes the value.
    tx.push_blocking(64).unwrap();
    assert_eq!(tx.try_push(65), Err(TrySendError::Full(65)));
    // A consumer that drains meanwhile lets it through at once.
    let t = std::thread::spawn(move || {
        for i in 65..200 {
            tx.push_blocking(i).unwrap();
        }
    });
    let got: Vec<u32> = (0..199).map(|_| rx.pop_blocking().unwrap()).collect();
    t.join().unwrap();
    assert_eq!(got, (1..200).collect::<Vec<_>>());
    assert_eq!(rx.pop_blocking(), Err(Closed));
}

#[test]
fn a_blocking_push_into_a_full_ring_sees_the_consumer_leave() {
    let (mut tx, rx) = channel::<u8>(32);
    for i in 0..32 {
        tx.push_blocking(i).unwrap();
    }
    let t = std::thread::spawn(move || tx.push_blocking(32));
    std::thread::sleep(std::time::Duration::from_millis(if cfg!(miri) {
        1
    } else {
        10
    }));
    drop(rx);
    assert_eq!(t.join().unwrap().unwrap_err().0, 32);
}

#[test]
fn items_left_after_wrapping_are_dropped_by_whichever_handle_goes_last() {
    // A capacity of 3 with the positions wrapped across the ring's end: the
    // last handle finds the slot of `head` from its own position (the
    // producer's is `tail`, some slots further on).
    for producer_last in [false, true] {
        for wrapped in 0..3 {
            let drops = Arc::new(AtomicUsize::new(0));
            let (mut tx, mut rx) = channel::<Counted>(3);
            for _ in 0..(3 * 4 + wrapped) {
                assert!(tx.try_push(Counted(drops.clone())).is_ok());
                drop(rx.try_pop().unwrap());
            }
            for _ in 0..2 {
                assert!(tx.try_push(Counted(drops.clone())).is_ok());
            }
            let popped = 3 * 4 + wrapped;
            assert_eq!(drops.load(Ordering::SeqCst), popped);
            if producer_last {
                drop(rx);
                drop(tx);
            } else {
                drop(tx);
                drop(rx);
            }
            assert_eq!(
                drops.load(Ordering::SeqCst),
                popped + 2,
                "the two left, once each (producer last: {producer_last})"
            );
        }
    }
}
