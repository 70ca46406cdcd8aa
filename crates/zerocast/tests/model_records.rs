//! Model-based tests of the record buffers: random operation sequences
//! against simple models (a ring with per-receiver positions, a versioned
//! value, an `Option`).
#![cfg(not(zerocast_loom))]

use std::collections::VecDeque;

use proptest::prelude::*;
use zerocast::{broadcast, mailbox, watch, Closed, TryRecvError};

#[derive(Clone, Debug)]
enum BroadcastOp {
    Send(u32),
    Recv(usize),
    Resubscribe(usize),
}

fn broadcast_op() -> impl Strategy<Value = BroadcastOp> {
    prop_oneof![
        4 => any::<u32>().prop_map(BroadcastOp::Send),
        4 => (0usize..3).prop_map(BroadcastOp::Recv),
        1 => (0usize..3).prop_map(BroadcastOp::Resubscribe),
    ]
}

#[derive(Clone, Debug)]
enum WatchOp {
    Send(u32),
    Replace(u32),
    Modify(u32),
    Borrow(usize),
    BorrowAndUpdate(usize),
    HasChanged(usize),
    Clone(usize),
}

fn watch_op() -> impl Strategy<Value = WatchOp> {
    prop_oneof![
        any::<u32>().prop_map(WatchOp::Send),
        any::<u32>().prop_map(WatchOp::Replace),
        any::<u32>().prop_map(WatchOp::Modify),
        (0usize..3).prop_map(WatchOp::Borrow),
        (0usize..3).prop_map(WatchOp::BorrowAndUpdate),
        (0usize..3).prop_map(WatchOp::HasChanged),
        (0usize..3).prop_map(WatchOp::Clone),
    ]
}

proptest! {
    #[test]
    fn broadcast_matches_a_ring_with_positions(
        capacity in 1usize..6,
        ops in prop::collection::vec(broadcast_op(), 0..200),
    ) {
        let (tx, first) = broadcast::channel::<u32>(capacity);
        let cap = tx.capacity() as u64;
        let mut rxs = [first, tx.subscribe(), tx.subscribe()];
        // The model: every value sent, and each receiver's next position.
        let mut sent: VecDeque<u32> = VecDeque::new();
        let mut base = 0u64; // position of sent[0]
        let mut pos = [0u64; 3];
        for op in ops {
            let tail = base + sent.len() as u64;
            match op {
                BroadcastOp::Send(v) => {
                    tx.send(v).unwrap();
                    sent.push_back(v);
                    if sent.len() as u64 > cap {
                        sent.pop_front();
                        base += 1;
                    }
                }
                BroadcastOp::Recv(i) => {
                    let expected = if pos[i] == tail {
                        Err(TryRecvError::Empty)
                    } else if pos[i] < base {
                        let missed = base - pos[i];
                        pos[i] = base;
                        Err(TryRecvError::Lagged(missed))
                    } else {
                        let v = sent[(pos[i] - base) as usize];
                        pos[i] += 1;
                        Ok(v)
                    };
                    prop_assert_eq!(rxs[i].try_recv(), expected);
                }
                BroadcastOp::Resubscribe(i) => {
                    rxs[i] = tx.subscribe();
                    pos[i] = tail;
                }
            }
        }
        drop(tx);
        for (i, rx) in rxs.iter_mut().enumerate() {
            let tail = base + sent.len() as u64;
            let mut left = tail - pos[i].max(base);
            let lagged = pos[i] < base;
            if lagged {
                prop_assert!(matches!(rx.try_recv(), Err(TryRecvError::Lagged(_))));
            }
            while left > 0 {
                prop_assert!(rx.try_recv().is_ok());
                left -= 1;
            }
            prop_assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        }
    }

    #[test]
    fn watch_matches_a_versioned_value(ops in prop::collection::vec(watch_op(), 0..200)) {
        let (mut tx, first) = watch::channel(0u32);
        let mut rxs = [first, tx.subscribe(), tx.subscribe()];
        let (mut value, mut version) = (0u32, 0u64);
        // Every new receiver has not seen the current value.
        let mut seen: Vec<Option<u64>> = vec![None; 3];
        for op in ops {
            match op {
                WatchOp::Send(v) => {
                    tx.send(v).unwrap();
                    (value, version) = (v, version + 1);
                }
                WatchOp::Replace(v) => {
                    prop_assert_eq!(tx.send_replace(v), value);
                    (value, version) = (v, version + 1);
                }
                WatchOp::Modify(d) => {
                    tx.send_modify(|x| *x = x.wrapping_add(d));
                    (value, version) = (value.wrapping_add(d), version + 1);
                }
                WatchOp::Borrow(i) => {
                    let r = rxs[i].borrow();
                    prop_assert_eq!(*r, value);
                    prop_assert_eq!(r.has_changed(), seen[i] != Some(version));
                }
                WatchOp::BorrowAndUpdate(i) => {
                    prop_assert_eq!(*rxs[i].borrow_and_update(), value);
                    seen[i] = Some(version);
                }
                WatchOp::HasChanged(i) => {
                    prop_assert_eq!(rxs[i].has_changed(), Ok(seen[i] != Some(version)));
                }
                WatchOp::Clone(i) => {
                    let twin = rxs[i].clone();
                    let j = (i + 1) % 3;
                    rxs[j] = twin;
                    seen[j] = seen[i];
                }
            }
            prop_assert_eq!(*tx.borrow(), value);
        }
        drop(tx);
        for (i, rx) in rxs.iter_mut().enumerate() {
            let expected = if seen[i] == Some(version) { Err(Closed) } else { Ok(true) };
            prop_assert_eq!(rx.has_changed(), expected);
        }
    }

    #[test]
    fn mailbox_matches_an_option(ops in prop::collection::vec(any::<Option<u32>>(), 0..200)) {
        let (tx, mut rx) = mailbox::channel::<u32>();
        let mut model: Option<u32> = None;
        for op in ops {
            match op {
                Some(v) => prop_assert_eq!(tx.send(v), Ok(model.replace(v))),
                None => prop_assert_eq!(rx.try_recv(), model.take().ok_or(TryRecvError::Empty)),
            }
        }
        drop(tx);
        if let Some(v) = model {
            prop_assert_eq!(rx.try_recv(), Ok(v));
        }
        prop_assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }
}
