//! Loom models of the SPSC protocol: publish / release of slots, the wait and
//! wake of both sides, and close — every interleaving, every memory ordering
//! loom can produce. Run with `RUSTFLAGS="--cfg zerocast_loom"`.

use loom::future::block_on;
use loom::thread;

use super::channel;
use crate::error::{Closed, TryRecvError};

#[test]
fn async_push_pop_through_a_full_ring_never_loses_a_wake_up() {
    loom::model(|| {
        let (mut tx, mut rx) = channel::<usize>(1);
        let producer = thread::spawn(move || {
            block_on(async {
                for i in 0..2 {
                    tx.push(i).await.unwrap();
                }
            })
        });
        block_on(async {
            for i in 0..2 {
                assert_eq!(rx.pop().await, Ok(i));
            }
            assert_eq!(rx.pop().await, Err(Closed));
        });
        producer.join().unwrap();
    });
}

#[test]
fn try_pop_between_pending_polls_keeps_the_wake_up() {
    loom::model(|| {
        let (mut tx, mut rx) = channel::<usize>(1);
        let producer = thread::spawn(move || {
            tx.try_push(7).unwrap();
        });
        block_on(core::future::poll_fn(|cx| {
            // A stray try_pop between polls must not eat the registration.
            match rx.try_pop() {
                Ok(v) => return core::task::Poll::Ready(v),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Closed | TryRecvError::Lagged(_)) => {
                    panic!("closed before the value")
                }
            }
            rx.poll_pop(cx).map(|r| r.unwrap())
        }));
        producer.join().unwrap();
    });
}

#[test]
fn close_wakes_a_waiting_consumer() {
    loom::model(|| {
        let (tx, mut rx) = channel::<usize>(1);
        let closer = thread::spawn(move || drop(tx));
        assert_eq!(block_on(rx.pop()), Err(Closed));
        closer.join().unwrap();
    });
}
