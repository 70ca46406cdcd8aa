//! Loom models of the multicast protocol: publish / read / release with
//! backpressure, and a subscriber leaving while messages are in flight.

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
