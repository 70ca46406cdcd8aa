//! Unit tests of the watch channel (run under Miri in CI).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::vec;
use std::vec::Vec;

use super::*;
use crate::error::{Closed, TryRecvError};
use crate::reader::BufferReader;
use crate::test_util::{Counted, WakeCounter};

#[test]
fn a_new_receiver_sees_the_current_value_once() {
    let (mut tx, mut rx) = channel(1u32);
    assert_eq!(rx.has_changed(), Ok(true));
    assert_eq!(*rx.borrow_and_update(), 1);
    assert_eq!(rx.has_changed(), Ok(false));
    tx.send(2).unwrap();
    let mut late = tx.subscribe();
    assert_eq!(late.has_changed(), Ok(true));
    assert_eq!(BufferReader::try_recv(&mut late), Ok(2));
    assert_eq!(BufferReader::try_recv(&mut late), Err(TryRecvError::Empty));
    // A clone has seen what its origin saw.
    let twin = late.clone();
    assert_eq!(twin.has_changed(), Ok(false));
    assert_eq!(tx.receiver_count(), 3);
}

#[test]
fn versions_skip_to_the_latest_and_borrow_reads_in_place() {
    let (mut tx, mut rx) = channel(0u32);
    rx.borrow_and_update();
    for v in 1..=10 {
        tx.send(v).unwrap();
    }
    let r = rx.borrow();
    assert!(r.has_changed());
    assert_eq!(*r, 10);
    drop(r);
    assert_eq!(BufferReader::try_recv(&mut rx), Ok(10));
    assert_eq!(*tx.borrow(), 10);
}

#[test]
fn send_replace_returns_the_previous_value_and_send_modify_edits_in_place() {
    let (mut tx, mut rx) = channel(vec![1u8]);
    rx.borrow_and_update();
    assert_eq!(tx.send_replace(vec![2]), [1]);
    tx.send_modify(|v| v.push(3));
    assert!(rx.borrow().has_changed());
    assert_eq!(*rx.borrow_and_update(), [2, 3]);
    drop(rx);
    assert!(tx.send(vec![9]).is_err(), "no receivers: handed back");
    assert_eq!(tx.send_replace(vec![4]), [2, 3], "stored regardless");
}

#[test]
fn a_panicking_send_modify_lets_go_of_the_value() {
    let (mut tx, mut rx) = channel(vec![1]);
    rx.borrow_and_update();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tx.send_modify(|v| {
            v.push(2);
            panic!("a panic halfway through the edit");
        });
    }));
    assert!(panicked.is_err());
    // The edits made before the panic stay (as in tokio's watch); no new
    // version is published. Before the fix, this borrow spun for ever on the
    // write lock the panic left held.
    assert_eq!(*rx.borrow(), [1, 2]);
    assert_eq!(rx.has_changed(), Ok(false));
    tx.send_modify(|v| v.push(3));
    assert_eq!(*rx.borrow_and_update(), [1, 2, 3]);
    tx.send(vec![4]).unwrap();
    assert_eq!(*rx.borrow(), [4]);
}

#[test]
fn the_sender_keeps_sending_while_a_reader_holds_an_old_value() {
    let (mut tx, rx) = channel(0u32);
    let held = rx.borrow();
    for v in 1..=20 {
        tx.send(v).unwrap();
    }
    assert_eq!(*held, 0, "the borrowed value is stable");
    drop(held);
    assert_eq!(*rx.borrow(), 20);
}

#[test]
fn changed_waits_wakes_once_and_reports_close() {
    let (mut tx, mut rx) = channel(0u32);
    rx.borrow_and_update();
    let (count, waker) = WakeCounter::new();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(rx.poll_changed(&mut cx), Poll::Pending);
    assert_eq!(BufferReader::try_recv(&mut rx), Err(TryRecvError::Empty));
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(count.get(), 1);
    assert_eq!(rx.poll_changed(&mut cx), Poll::Ready(Ok(())));
    assert_eq!(*rx.borrow(), 2);
    assert_eq!(rx.poll_changed(&mut cx), Poll::Pending);
    tx.send(3).unwrap();
    assert_eq!(count.get(), 2);
    drop(tx);
    assert_eq!(count.get(), 2, "the close finds nobody registered");
    assert_eq!(
        rx.poll_changed(&mut cx),
        Poll::Ready(Ok(())),
        "the last value first"
    );
    assert_eq!(rx.poll_changed(&mut cx), Poll::Ready(Err(Closed)));
    assert_eq!(BufferReader::try_recv(&mut rx), Err(TryRecvError::Closed));
}

#[test]
fn every_value_is_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, rx) = channel(Counted(0, drops.clone()));
    for i in 1..=5 {
        tx.send(Counted(i, drops.clone())).unwrap();
    }
    let old = tx.send_replace(Counted(6, drops.clone()));
    assert_eq!(old.0, 5);
    drop(old);
    drop((tx, rx));
    assert_eq!(drops.load(Ordering::SeqCst), 7);
}

#[test]
fn readers_on_threads_never_see_a_torn_or_older_value() {
    let (mut tx, rx) = channel([0u64; 8]);
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let mut rx = rx.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                while rx.changed_blocking().is_ok() {
                    let v = *rx.borrow_and_update();
                    assert!(v.iter().all(|&x| x == v[0]), "torn: {v:?}");
                    assert!(v[0] >= last, "went backwards");
                    last = v[0];
                }
                last
            })
        })
        .collect();
    let total = if cfg!(miri) { 50 } else { 20_000 };
    for v in 1..=total {
        tx.send([v; 8]).unwrap();
    }
    drop(tx);
    for r in readers {
        assert_eq!(r.join().unwrap(), total);
    }
}
