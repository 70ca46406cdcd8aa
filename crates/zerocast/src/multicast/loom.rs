//! Loom models of the multicast protocol: publish / read / release with
//! backpressure, and a subscriber leaving while messages are in flight, while
//! the publisher publishes, and as it drops.

use alloc::vec::Vec;
use loom::future::block_on;
use loom::thread;

use super::{channel, Publisher, Subscriber};
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

/// Counted per slot: the leaver's share of each slot is released exactly once.
#[test]
fn a_subscriber_leaving_mid_stream_releases_exactly_its_slots() {
    one_leaves_mid_stream(loom::sync::Arc::new, |v| **v);
}

/// Gated (values that need no drop): the publisher, waiting for room on
/// the one-slot ring, waits for the subscriber that stays, never for ever.
#[test]
fn a_gated_subscriber_leaving_stops_holding_the_publisher_back() {
    const { assert!(super::Shared::<usize>::GATED) };
    one_leaves_mid_stream(|i| i, |v| *v);
}

/// One of two subscribers leaves while the publisher publishes two values
/// (`value(i)`) through a one-slot ring; the other reads both (`of` reads
/// a value back).
fn one_leaves_mid_stream<T: Clone + Send + Sync + 'static>(
    value: fn(usize) -> T,
    of: fn(&T) -> usize,
) {
    loom::model(move || {
        let (mut p, mut subs) = channel::<T>(1, 2);
        let leaving = subs.pop().unwrap();
        let mut a = subs.pop().unwrap();
        let leaver = thread::spawn(move || drop(leaving));
        let publisher = thread::spawn(move || {
            block_on(async {
                for i in 0..2 {
                    assert!(p.publish(value(i)).await.is_ok());
                }
            })
        });
        block_on(async {
            for i in 0..2 {
                assert_eq!(a.recv().await.map(|v| of(&v)), Ok(i));
            }
        });
        publisher.join().unwrap();
        leaver.join().unwrap();
    });
}

/// The gated protocol: the last subscriber leaving while the publisher
/// waits for room wakes it, and the publish comes back `Closed`.
#[test]
fn the_last_gated_subscriber_leaving_closes_a_waiting_publisher() {
    loom::model(|| {
        let (mut p, mut subs) = channel::<usize>(1, 1);
        let leaving = subs.pop().unwrap();
        let leaver = thread::spawn(move || drop(leaving));
        let second = block_on(async {
            // The first goes in unless the subscriber left already.
            let first = p.publish(0).await;
            (first.is_ok(), p.publish(1).await)
        });
        assert!(matches!(second, (_, Err(crate::error::SendError(1)))));
        leaver.join().unwrap();
    });
}

/// Counts the drops of the [`Counted`] values it makes.
#[derive(Clone)]
struct Drops(loom::sync::Arc<loom::sync::atomic::AtomicUsize>);

/// A value that counts its drops.
struct Counted(Drops);

impl Drops {
    fn value(&self) -> Counted {
        Counted(self.clone())
    }

    fn count(&self) -> usize {
        self.0.load(loom::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        (self.0)
            .0
            .fetch_add(1, loom::sync::atomic::Ordering::SeqCst);
    }
}

/// A channel of drop-counted values whose last subscriber leaves at once, on
/// a thread of its own.
fn with_a_leaver(
    capacity: usize,
    subscribers: usize,
) -> (
    Drops,
    Publisher<Counted>,
    Vec<Subscriber<Counted>>,
    thread::JoinHandle<()>,
) {
    let drops = Drops(loom::sync::Arc::new(loom::sync::atomic::AtomicUsize::new(
        0,
    )));
    let (p, mut subs) = channel::<Counted>(capacity, subscribers);
    let leaving = subs.pop().unwrap();
    let leaver = thread::spawn(move || drop(leaving));
    (drops, p, subs, leaver)
}

#[test]
fn a_subscriber_leaving_while_the_publisher_publishes_and_drops_drops_each_value_once() {
    // The leaver's own release and the publisher's settling (before its
    // second publish, or as it drops) race: every value is still dropped
    // exactly once, and the reader that stays sees both.
    loom::model(|| {
        let (drops, mut p, mut subs, leaver) = with_a_leaver(2, 2);
        let mut a = subs.pop().unwrap();
        for _ in 0..2 {
            assert!(p.try_publish(drops.value()).is_ok());
        }
        drop(p);
        leaver.join().unwrap();
        for _ in 0..2 {
            drop(a.try_recv_ref().unwrap());
        }
        assert!(a.try_recv_ref().is_err(), "closed after both");
        assert_eq!(drops.count(), 2);
    });
}

#[test]
fn the_last_subscriber_leaving_as_the_publisher_drops_leaks_nothing() {
    // No publish follows the leaving: the publisher's drop (or the leaver,
    // if it saw the last publish) must release the leaver's share.
    loom::model(|| {
        let (drops, mut p, _none, leaver) = with_a_leaver(1, 1);
        // Published, or handed back as `Closed` (and dropped here).
        drop(p.try_publish(drops.value()));
        drop(p);
        leaver.join().unwrap();
        assert_eq!(drops.count(), 1);
    });
}
