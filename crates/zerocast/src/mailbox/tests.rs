//! Unit tests of the mailbox (run under Miri in CI).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::vec::Vec;

use super::*;
use crate::error::{Closed, TryRecvError};
use crate::test_util::{Counted, WakeCounter};

#[test]
fn the_last_value_sent_survives_and_the_replaced_one_is_handed_back() {
    let (tx, mut rx) = channel::<u32>();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(tx.send(1), Ok(None));
    assert_eq!(tx.send(2), Ok(Some(1)));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn only_waiting_receivers_are_woken_once_and_each_value_goes_to_one() {
    let (tx, mut a) = channel::<u32>();
    let mut b = a.clone();
    let _idle = a.clone();
    let (count, waker) = WakeCounter::new();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(a.poll_recv(&mut cx), Poll::Pending);
    assert_eq!(b.poll_recv(&mut cx), Poll::Pending);
    assert_eq!(a.try_recv(), Err(TryRecvError::Empty), "between polls");
    tx.send(7).unwrap();
    assert_eq!(count.get(), 2, "the two waiting, not the idle one");
    tx.send(8).unwrap();
    assert_eq!(count.get(), 2, "once per registration");
    assert_eq!(a.poll_recv(&mut cx), Poll::Ready(Ok(8)));
    assert_eq!(b.poll_recv(&mut cx), Poll::Pending);
}

#[test]
fn a_value_in_the_slot_at_close_is_still_delivered() {
    let (tx, mut rx) = channel::<u32>();
    let tx2 = tx.clone();
    tx.send(1).unwrap();
    drop(tx);
    drop(tx2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Err(Closed)));
}

#[test]
fn send_without_receivers_hands_the_value_back() {
    let (tx, rx) = channel::<u32>();
    drop(rx);
    assert_eq!(tx.send(3).unwrap_err().into_inner(), 3);
    assert_eq!(tx.receiver_count(), 0);
}

#[test]
fn values_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel();
    drop(tx.send(Counted(1, drops.clone())).unwrap());
    let replaced = tx.send(Counted(2, drops.clone())).unwrap();
    assert_eq!(replaced.map(|c| c.0), Some(1));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop((tx, rx));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "the unread value goes with the box"
    );
}

#[test]
fn racing_senders_leave_the_last_value_and_lose_nothing() {
    let (tx, mut rx) = channel::<u32>();
    let per = if cfg!(miri) { 20 } else { 10_000 };
    let senders: Vec<_> = (0..2u32)
        .map(|s| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut replaced = Vec::new();
                for i in 0..per {
                    if let Some(v) = tx.send(s * per + i).unwrap() {
                        replaced.push(v);
                    }
                }
                replaced
            })
        })
        .collect();
    let mut seen: Vec<u32> = Vec::new();
    while seen.len() < 1000.min(per as usize) {
        if let Ok(v) = rx.try_recv() {
            seen.push(v);
        }
        if senders.iter().all(|s| s.is_finished()) {
            break;
        }
    }
    for s in senders {
        seen.extend(s.join().unwrap());
    }
    seen.extend(rx.try_recv());
    seen.sort_unstable();
    let all: Vec<u32> = (0..2 * per).collect();
    assert_eq!(seen, all, "every value received or handed back, once");
}
