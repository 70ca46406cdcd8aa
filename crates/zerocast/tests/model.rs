//! Model-based tests: random operation sequences against `VecDeque` models.
#![cfg(not(zerocast_loom))]

use std::collections::VecDeque;

use common::{Dropping, Value};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use zerocast::{multicast, spsc, TryRecvError, TrySendError};

mod common;

#[derive(Clone, Debug)]
enum Op {
    Push(u32),
    Pop,
    PushSlice(Vec<u32>),
    PopSlice(usize),
    WriteChunk(Vec<u32>),
    ReadChunk { look: usize, consume: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u32>().prop_map(Op::Push),
        Just(Op::Pop),
        prop::collection::vec(any::<u32>(), 0..6).prop_map(Op::PushSlice),
        (0usize..6).prop_map(Op::PopSlice),
        prop::collection::vec(any::<u32>(), 0..6).prop_map(Op::WriteChunk),
        (0usize..6, 0usize..6).prop_map(|(look, consume)| Op::ReadChunk { look, consume }),
    ]
}

proptest! {
    #[test]
    fn spsc_matches_a_bounded_deque(capacity in 1usize..6, ops in prop::collection::vec(op(), 0..200)) {
        let (mut tx, mut rx) = spsc::channel::<u32>(capacity);
        let mut model: VecDeque<u32> = VecDeque::new();
        for op in ops {
            match op {
                Op::Push(v) => {
                    let r = tx.try_push(v);
                    if model.len() < capacity {
                        prop_assert_eq!(r, Ok(()));
                        model.push_back(v);
                    } else {
                        prop_assert_eq!(r, Err(TrySendError::Full(v)));
                    }
                }
                Op::Pop => {
                    let expected = model.pop_front().ok_or(TryRecvError::Empty);
                    prop_assert_eq!(rx.try_pop(), expected);
                }
                Op::PushSlice(items) => {
                    let n = tx.push_slice(&items);
                    prop_assert_eq!(n, items.len().min(capacity - model.len()));
                    model.extend(&items[..n]);
                }
                Op::PopSlice(k) => {
                    let mut out = vec![0; k];
                    let n = rx.pop_slice(&mut out);
                    prop_assert_eq!(n, k.min(model.len()));
                    for v in &out[..n] {
                        prop_assert_eq!(Some(*v), model.pop_front());
                    }
                }
                Op::WriteChunk(items) => {
                    let mut chunk = tx.write_chunk(items.len());
                    prop_assert_eq!(chunk.remaining(), items.len().min(capacity - model.len()));
                    for v in items {
                        if chunk.push(v).is_ok() {
                            model.push_back(v);
                        }
                    }
                }
                Op::ReadChunk { look, consume } => {
                    let mut chunk = rx.read_chunk(look);
                    prop_assert_eq!(chunk.len(), look.min(model.len()));
                    for i in 0..chunk.len() {
                        prop_assert_eq!(chunk.get(i), model.get(i));
                    }
                    let n = consume.min(chunk.len());
                    chunk.consume(consume);
                    for _ in 0..n {
                        model.pop_front();
                    }
                }
            }
            prop_assert_eq!(rx.len(), model.len());
        }
    }

    #[test]
    fn multicast_matches_per_subscriber_deques(
        capacity in 1usize..5,
        subscribers in 1usize..4,
        ops in prop::collection::vec((0u8..4, 0usize..4, any::<u32>()), 0..200),
    ) {
        check_multicast::<u64>(capacity, subscribers, &ops)?;
        check_multicast::<Dropping>(capacity, subscribers, &ops)?;
    }
}

/// `multicast_matches_per_subscriber_deques` for values of type `T`: with
/// `u64` the channel gates on the subscribers' positions, with [`Dropping`]
/// it keeps a count per slot.
fn check_multicast<T: Value>(
    capacity: usize,
    subscribers: usize,
    ops: &[(u8, usize, u32)],
) -> Result<(), TestCaseError> {
    let (mut publisher, subs) = multicast::channel::<T>(capacity, subscribers);
    let slots = capacity.next_power_of_two();
    let mut subs: Vec<Option<multicast::Subscriber<T>>> = subs.into_iter().map(Some).collect();
    let mut models: Vec<Option<VecDeque<T>>> =
        (0..subscribers).map(|_| Some(VecDeque::new())).collect();
    for &(kind, who, value) in ops {
        let value = T::from(u64::from(value));
        let who = who % subscribers;
        match kind {
            0 | 1 => {
                let live: Vec<&mut VecDeque<T>> = models.iter_mut().flatten().collect();
                let backlog = live.iter().map(|m| m.len()).max().unwrap_or(0);
                let r = publisher.try_publish(value.clone());
                if live.is_empty() {
                    prop_assert_eq!(r, Err(TrySendError::Closed(value)));
                } else if backlog < slots {
                    prop_assert_eq!(r, Ok(()));
                    for m in live {
                        m.push_back(value.clone());
                    }
                } else {
                    prop_assert_eq!(r, Err(TrySendError::Full(value)));
                }
            }
            2 => {
                if let (Some(s), Some(m)) = (&mut subs[who], &mut models[who]) {
                    let expected = m.pop_front().ok_or(TryRecvError::Empty);
                    prop_assert_eq!(s.try_recv(), expected);
                }
            }
            _ => {
                subs[who] = None;
                models[who] = None;
            }
        }
    }
    Ok(())
}
