//! Unit tests of the multicast channel (run under Miri in CI).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::vec::Vec;

use super::*;
use crate::error::{Closed, TryRecvError, TrySendError};

#[derive(Debug)]
struct Counted(u32, Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn every_subscriber_sees_every_message_in_order() {
    let (mut p, mut subs) = channel::<u32>(3, 3);
    assert_eq!(p.capacity(), 4, "rounded up to a power of two");
    let mut next = 0;
    for _ in 0..10 {
        while p.try_publish(next).is_ok() {
            next += 1;
        }
        for s in subs.iter_mut() {
            while s.try_recv().is_ok() {}
        }
    }
    let mut fresh = channel::<u32>(2, 2);
    for i in 0..2 {
        fresh.0.try_publish(i).unwrap();
    }
    for s in fresh.1.iter_mut() {
        assert_eq!(s.try_recv(), Ok(0));
        assert_eq!(s.try_recv(), Ok(1));
        assert_eq!(s.try_recv(), Err(TryRecvError::Empty));
    }
    assert!(next > 30);
}

#[test]
fn the_slowest_subscriber_applies_backpressure() {
    let (mut p, mut subs) = channel::<u32>(2, 2);
    p.try_publish(1).unwrap();
    p.try_publish(2).unwrap();
    assert_eq!(p.try_publish(3), Err(TrySendError::Full(3)));
    while subs[0].try_recv().is_ok() {}
    assert_eq!(
        p.try_publish(3),
        Err(TrySendError::Full(3)),
        "subs[1] still behind"
    );
    assert_eq!(subs[1].try_recv(), Ok(1));
    assert_eq!(p.try_publish(3), Ok(()));
}

// The tests here cover both protocols: `u8` / `u32` channels gate on the
// subscribers' positions, `Counted` / `Bomb` ones count per slot.
const _: () = assert!(Shared::<u8>::GATED && Shared::<u32>::GATED);
const _: () = assert!(!Shared::<Counted>::GATED && !Shared::<Bomb>::GATED);

#[test]
fn a_gated_slot_is_free_once_every_subscriber_moved_past_it() {
    let (mut p, mut subs) = channel::<u32>(1, 2);
    p.try_publish(1).unwrap();
    assert_eq!(p.try_publish(2), Err(TrySendError::Full(2)));
    {
        let (first, rest) = subs.split_at_mut(1);
        let held = first[0].try_recv_ref().unwrap();
        assert_eq!(*held, 1);
        assert_eq!(rest[0].try_recv(), Ok(1));
        assert_eq!(
            p.try_publish(2),
            Err(TrySendError::Full(2)),
            "a held guard keeps its slot"
        );
    }
    assert_eq!(p.try_publish(2), Ok(()));
    // Room the publisher saw once is used up before it looks again.
    assert_eq!(p.try_publish(3), Err(TrySendError::Full(3)));
    assert_eq!(subs[1].try_recv(), Ok(2));
    assert_eq!(
        p.try_publish(3),
        Err(TrySendError::Full(3)),
        "subs[0] is behind"
    );
    drop(subs.remove(0));
    assert_eq!(p.try_publish(3), Ok(()), "a leaver stops counting at once");
    drop(subs);
    assert_eq!(p.try_publish(4), Err(TrySendError::Closed(4)));
}

#[test]
fn a_value_is_dropped_as_soon_as_its_last_reader_is_done() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut p, mut subs) = channel::<Counted>(4, 2);
    p.try_publish(Counted(1, drops.clone())).unwrap();
    {
        let g = subs[0].try_recv_ref().unwrap();
        assert_eq!(g.0, 1);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(subs[1].try_recv_ref().unwrap());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "dropped on release, not on overwrite"
    );
}

#[test]
fn a_dropped_subscriber_stops_holding_the_publisher_back_and_leaks_nothing() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut p, mut subs) = channel::<Counted>(2, 2);
    p.try_publish(Counted(1, drops.clone())).unwrap();
    p.try_publish(Counted(2, drops.clone())).unwrap();
    drop(subs[0].try_recv_ref().unwrap());
    let slow = subs.pop().unwrap();
    drop(slow);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "value 1: both done");
    drop(subs[0].try_recv_ref().unwrap());
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert!(p.try_publish(Counted(3, drops.clone())).is_ok());
    assert_eq!(p.subscribers(), 1);
    drop(subs);
    match p.try_publish(Counted(4, drops.clone())) {
        Err(TrySendError::Closed(v)) => drop(v),
        other => panic!("expected Closed, got {other:?}"),
    }
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn publisher_drop_closes_after_the_last_message() {
    let (mut p, mut subs) = channel::<u8>(2, 1);
    p.try_publish(5).unwrap();
    drop(p);
    assert!(subs[0].is_closed());
    assert_eq!(subs[0].try_recv(), Ok(5));
    assert_eq!(subs[0].try_recv(), Err(TryRecvError::Closed));
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(subs[0].poll_recv(&mut cx), Poll::Ready(Err(Closed)));
}

/// Long enough for a blocking call on another thread to be waiting.
fn pause() {
    std::thread::sleep(std::time::Duration::from_millis(if cfg!(miri) {
        1
    } else {
        10
    }));
}

#[test]
fn a_blocking_publish_into_a_full_ring_sees_the_subscribers_leave() {
    let (mut p, subs) = channel::<u8>(2, 2);
    p.publish_blocking(0).unwrap();
    p.publish_blocking(1).unwrap();
    let t = std::thread::spawn(move || {
        let waited = p.publish_blocking(2);
        (waited, p.publish_blocking(3))
    });
    pause();
    drop(subs);
    let (waited, after) = t.join().unwrap();
    assert_eq!(waited.unwrap_err().0, 2, "the value comes back");
    assert_eq!(after.unwrap_err().0, 3, "and every later one at once");
}

#[test]
fn a_blocking_publish_goes_on_when_one_slot_frees_though_its_spin_waits_for_a_batch() {
    // 64 slots: the spin waits for 4 (`park::room_batch`); one is enough
    // once it ends.
    let (mut p, subs) = channel::<u32>(64, 1);
    let mut s = subs.into_iter().next().unwrap();
    for i in 0..64 {
        p.publish_blocking(i).unwrap();
    }
    let (done_tx, done) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        let r = p.publish_blocking(64);
        done_tx.send(()).unwrap();
        (r, p)
    });
    pause();
    assert_eq!(s.try_recv(), Ok(0), "one slot frees, and no more");
    done.recv_timeout(std::time::Duration::from_secs(30))
        .expect("the publisher went on with one free slot");
    let (r, _p) = t.join().unwrap();
    assert_eq!(r, Ok(()));
    assert_eq!(s.len(), 64);
}

#[test]
fn a_blocking_receive_sees_the_publisher_leave_after_its_last_message() {
    let (mut p, subs) = channel::<u8>(2, 1);
    let mut s = subs.into_iter().next().unwrap();
    let t = std::thread::spawn(move || {
        let first = s.recv_blocking();
        (first, s.recv_blocking())
    });
    pause();
    p.publish_blocking(7).unwrap();
    drop(p);
    assert_eq!(t.join().unwrap(), (Ok(7), Err(Closed)));
}

#[test]
fn threads_each_see_the_whole_stream() {
    let n = if cfg!(miri) { 100 } else { 20_000 };
    let (mut p, subs) = channel::<u32>(8, 3);
    let readers: Vec<_> = subs
        .into_iter()
        .map(|mut s| {
            std::thread::spawn(move || {
                let mut expected = 0;
                while let Ok(v) = s.recv_blocking() {
                    assert_eq!(v, expected);
                    expected += 1;
                }
                expected
            })
        })
        .collect();
    for i in 0..n {
        p.publish_blocking(i).unwrap();
    }
    drop(p);
    for r in readers {
        assert_eq!(r.join().unwrap(), n);
    }
}

/// A value whose drop panics when armed (`Bomb(true)`).
struct Bomb(bool);

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.0 {
            panic!("a value whose drop panics");
        }
    }
}

#[test]
fn a_value_whose_drop_panics_still_frees_its_slot() {
    let (mut p, mut subs) = channel::<Bomb>(1, 1);
    assert!(p.try_publish(Bomb(true)).is_ok());
    let s = &mut subs[0];
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // The last reader drops the value as it lets go of the slot.
        drop(s.try_recv_ref().unwrap());
    }));
    assert!(panicked.is_err());
    // Before, the slot stayed taken: the publisher was Full for ever.
    assert!(p.try_publish(Bomb(false)).is_ok(), "the slot is free again");
    assert!(!s.try_recv_ref().unwrap().0);
}

#[test]
fn a_leaver_whose_first_value_panics_in_drop_still_releases_the_rest() {
    let (mut p, mut subs) = channel::<Bomb>(2, 2);
    assert!(p.try_publish(Bomb(true)).is_ok());
    assert!(p.try_publish(Bomb(false)).is_ok());
    let leaver = subs.pop().unwrap();
    let stays = &mut subs[0];
    drop(stays.try_recv_ref().unwrap());
    drop(stays.try_recv_ref().unwrap());
    // The leaver is the last reader of both: the first drop panics, and the
    // second slot is released all the same.
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(leaver)));
    assert!(panicked.is_err());
    assert!(p.try_publish(Bomb(false)).is_ok());
    assert!(
        p.try_publish(Bomb(false)).is_ok(),
        "both slots are free again"
    );
}
