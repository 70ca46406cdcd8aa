//! Loom models of the multicast protocol: publish / read / release with
//! backpressure, and a subscriber leaving while messages are in flight, while
//! the publisher publishes, and as it drops.

use loom::future::block_on;
use loom::thread;

use super::channel;
use crate::error::Closed;

#[test]
fn two_subscribers_see_both_messages_through_a_one_slot_ring() {
    loom::model(|| {
        let (mut p, mut subs) = channel::<usize>(1, 2);
        let mut b = subs.pop().unwrap();
        let mut a = subs.pop().unwrap();
        let reader = thread::spawn(move || {
            block_on(async {
                for i in 0..2 {
                    assert_eq!(b.recv().await, Ok(i));
                }
                assert_eq!(b.recv().await, Err(Closed));
            })
        });
        let publisher = thread::spawn(move || {
            block_on(async {
                for i in 0..2 {
                    p.publish(i).await.unwrap();
                }
            })
        });
        block_on(async {
            for i in 0..2 {
                assert_eq!(a.recv().await, Ok(i));
            }
            assert_eq!(a.recv().await, Err(Closed));
        });
        publisher.join().unwrap();
        reader.join().unwrap();
    });
}

#[test]
fn a_subscriber_leaving_mid_stream_releases_exactly_its_slots() {
    loom::model(|| {
        let (mut p, mut subs) = channel::<loom::sync::Arc<usize>>(1, 2);
        let leaving = subs.pop().unwrap();
        let mut a = subs.pop().unwrap();
        let leaver = thread::spawn(move || drop(leaving));
        let publisher = thread::spawn(move || {
            block_on(async {
                for i in 0..2 {
                    p.publish(loom::sync::Arc::new(i)).await.unwrap();
                }
            })
        });
        block_on(async {
            for i in 0..2 {
                assert_eq!(*a.recv().await.unwrap(), i);
            }
        });
        publisher.join().unwrap();
        leaver.join().unwrap();
    });
}

/// A value that counts its drops.
struct Counted(loom::sync::Arc<loom::sync::atomic::AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, loom::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_subscriber_leaving_while_the_publisher_publishes_and_drops_drops_each_value_once() {
    // The leaver's own release and the publisher's settling (before its
    // second publish, or as it drops) race: every value is still dropped
    // exactly once, and the reader that stays sees both.
    loom::model(|| {
        let drops = loom::sync::Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let (mut p, mut subs) = channel::<Counted>(2, 2);
        let leaving = subs.pop().unwrap();
        let mut a = subs.pop().unwrap();
        let leaver = thread::spawn(move || drop(leaving));
        for _ in 0..2 {
            assert!(p.try_publish(Counted(drops.clone())).is_ok());
        }
        drop(p);
        leaver.join().unwrap();
        for _ in 0..2 {
            drop(a.try_recv_ref().unwrap());
        }
        assert!(a.try_recv_ref().is_err(), "closed after both");
        assert_eq!(drops.load(loom::sync::atomic::Ordering::SeqCst), 2);
    });
}

#[test]
fn the_last_subscriber_leaving_as_the_publisher_drops_leaks_nothing() {
    // No publish follows the leaving: the publisher's drop (or the leaver,
    // if it saw the last publish) must release the leaver's share.
    loom::model(|| {
        let drops = loom::sync::Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let (mut p, mut subs) = channel::<Counted>(1, 1);
        let leaving = subs.pop().unwrap();
        let leaver = thread::spawn(move || drop(leaving));
        // Published, or handed back as `Closed` (and dropped here).
        drop(p.try_publish(Counted(drops.clone())));
        drop(p);
        leaver.join().unwrap();
        assert_eq!(drops.load(loom::sync::atomic::Ordering::SeqCst), 1);
    });
}
