//! The reader contract (see `zerocast::reader`), one suite run against every
//! buffer that implements `BufferReader`: broadcast, watch and mailbox.
#![cfg(not(zerocast_loom))]

mod common;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

use common::WakeCount;
use futures_core::Stream;
use zerocast::reader::{BufferReader, Lagged, Reader};
use zerocast::{broadcast, mailbox, watch, RecvError, TryRecvError};

/// A buffer under test: how to make one, send into it and close it.
trait Buffer: 'static {
    type Tx: Send + 'static;
    type Rx: BufferReader<u64> + 'static;
    /// Whether it keeps every message (else only the latest).
    const KEEPS_ALL: bool;
    /// A buffer whose receiver has nothing to read yet.
    fn make() -> (Self::Tx, Self::Rx);
    fn send(tx: &mut Self::Tx, v: u64);
}

struct Broadcast;
impl Buffer for Broadcast {
    type Tx = broadcast::Sender<u64>;
    type Rx = broadcast::Receiver<u64>;
    const KEEPS_ALL: bool = true;
    fn make() -> (Self::Tx, Self::Rx) {
        broadcast::channel(16)
    }
    fn send(tx: &mut Self::Tx, v: u64) {
        tx.send(v).unwrap();
    }
}

struct Watch;
impl Buffer for Watch {
    type Tx = watch::Sender<u64>;
    type Rx = watch::Receiver<u64>;
    const KEEPS_ALL: bool = false;
    fn make() -> (Self::Tx, Self::Rx) {
        let (tx, mut rx) = watch::channel(0);
        rx.borrow_and_update();
        (tx, rx)
    }
    fn send(tx: &mut Self::Tx, v: u64) {
        tx.send(v).unwrap();
    }
}

struct Mailbox;
impl Buffer for Mailbox {
    type Tx = mailbox::Sender<u64>;
    type Rx = mailbox::Receiver<u64>;
    const KEEPS_ALL: bool = false;
    fn make() -> (Self::Tx, Self::Rx) {
        mailbox::channel()
    }
    fn send(tx: &mut Self::Tx, v: u64) {
        tx.send(v).unwrap();
    }
}

fn try_recv_between_pending_polls_keeps_the_wake_up<B: Buffer>(wakes: &'static WakeCount) {
    let (mut tx, mut rx) = B::make();
    let waker = wakes.waker();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    B::send(&mut tx, 1);
    assert_eq!(wakes.get(), 1, "the Pending poll's waker is woken");
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(1)));
}

fn a_cancelled_recv_leaves_the_value_for_the_next_call<B: Buffer>() {
    let (mut tx, rx) = B::make();
    let mut reader = Reader::new(rx);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    {
        let mut recv = pin!(reader.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        B::send(&mut tx, 2);
        // Dropped without being polled again.
    }
    assert_eq!(reader.try_recv(), Ok(2));
    // And when the future is polled to completion it took exactly one value.
    B::send(&mut tx, 3);
    let mut recv = pin!(reader.recv());
    assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Ok(3)));
}

fn the_latest_waker_wins<B: Buffer>(first: &'static WakeCount, second: &'static WakeCount) {
    let (mut tx, mut rx) = B::make();
    let (w1, w2) = (first.waker(), second.waker());
    assert_eq!(rx.poll_recv(&mut Context::from_waker(&w1)), Poll::Pending);
    assert_eq!(rx.poll_recv(&mut Context::from_waker(&w2)), Poll::Pending);
    B::send(&mut tx, 4);
    assert_eq!((first.get(), second.get()), (0, 1));
    // A wake-up may be spurious: polling again after taking the value is
    // Pending, and harmless.
    assert_eq!(rx.try_recv(), Ok(4));
    assert_eq!(rx.poll_recv(&mut Context::from_waker(&w2)), Poll::Pending);
}

fn close_is_observable_by_both_methods_and_wakes_a_waiter<B: Buffer>(wakes: &'static WakeCount) {
    let (mut tx, mut rx) = B::make();
    B::send(&mut tx, 5);
    let waker = wakes.waker();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(5)));
    assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    drop(tx);
    assert_eq!(wakes.get(), 1, "close wakes the waiting receiver");
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Err(RecvError::Closed)));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    // A value sent just before the close is still delivered first.
    let (mut tx, mut rx) = B::make();
    B::send(&mut tx, 6);
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(6));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

fn a_reader_streams_until_close<B: Buffer>() {
    let (mut tx, rx) = B::make();
    let mut reader = Reader::new(rx);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut got = Vec::new();
    for v in 1..=3 {
        B::send(&mut tx, v);
        if B::KEEPS_ALL || v == 3 {
            match pin!(&mut reader).poll_next(&mut cx) {
                Poll::Ready(Some(Ok(v))) => got.push(v),
                other => panic!("{other:?}"),
            }
        }
    }
    drop(tx);
    assert_eq!(pin!(&mut reader).poll_next(&mut cx), Poll::Ready(None));
    let expected: Vec<u64> = if B::KEEPS_ALL { vec![1, 2, 3] } else { vec![3] };
    assert_eq!(got, expected);
}

fn across_threads_the_receiver_waits_and_gets_the_last_value<B: Buffer>() {
    let (mut tx, rx) = B::make();
    let receiver = std::thread::spawn(move || {
        let mut reader = Reader::new(rx);
        futures_executor::block_on(async {
            let (mut count, mut last) = (0u64, 0);
            loop {
                match reader.recv().await {
                    Ok(v) => {
                        assert!(v > last, "in order, never twice");
                        last = v;
                        count += 1;
                    }
                    Err(RecvError::Lagged(n)) => count += n,
                    Err(RecvError::Closed) => return (count, last),
                }
            }
        })
    });
    const N: u64 = 20_000;
    for v in 1..=N {
        B::send(&mut tx, v);
        if v % 64 == 0 {
            std::thread::yield_now();
        }
    }
    drop(tx);
    let (count, last) = receiver.join().unwrap();
    assert_eq!(last, N, "the last value always arrives");
    if B::KEEPS_ALL {
        assert_eq!(count, N, "delivered or counted as lag");
    }
}

macro_rules! contract {
    ($($module:ident => $buffer:ty,)*) => {$(
        mod $module {
            use super::*;

            #[test]
            fn try_recv_between_pending_polls_keeps_the_wake_up() {
                static WAKES: WakeCount = WakeCount::new();
                super::try_recv_between_pending_polls_keeps_the_wake_up::<$buffer>(&WAKES);
            }

            #[test]
            fn a_cancelled_recv_leaves_the_value_for_the_next_call() {
                super::a_cancelled_recv_leaves_the_value_for_the_next_call::<$buffer>();
            }

            #[test]
            fn the_latest_waker_wins() {
                static FIRST: WakeCount = WakeCount::new();
                static SECOND: WakeCount = WakeCount::new();
                super::the_latest_waker_wins::<$buffer>(&FIRST, &SECOND);
            }

            #[test]
            fn close_is_observable_by_both_methods_and_wakes_a_waiter() {
                static WAKES: WakeCount = WakeCount::new();
                super::close_is_observable_by_both_methods_and_wakes_a_waiter::<$buffer>(&WAKES);
            }

            #[test]
            fn a_reader_streams_until_close() {
                super::a_reader_streams_until_close::<$buffer>();
            }

            #[test]
            fn across_threads_the_receiver_waits_and_gets_the_last_value() {
                super::across_threads_the_receiver_waits_and_gets_the_last_value::<$buffer>();
            }
        }
    )*};
}

contract! {
    broadcast_receiver => Broadcast,
    watch_receiver => Watch,
    mailbox_receiver => Mailbox,
}

#[test]
fn lag_is_reported_by_both_methods_and_by_the_stream() {
    let (tx, rx) = broadcast::channel::<u64>(2);
    let mut reader = Reader::new(rx);
    for v in 0..5 {
        tx.send(v).unwrap();
    }
    assert_eq!(reader.try_recv(), Err(TryRecvError::Lagged(3)));
    assert_eq!(reader.try_recv(), Ok(3));
    for v in 5..9 {
        tx.send(v).unwrap();
    }
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert_eq!(
        reader.poll_recv(&mut cx),
        Poll::Ready(Err(RecvError::Lagged(3)))
    );
    for v in 9..12 {
        tx.send(v).unwrap();
    }
    assert_eq!(
        pin!(&mut reader).poll_next(&mut cx),
        Poll::Ready(Some(Err(Lagged(3))))
    );
    assert_eq!(
        pin!(&mut reader).poll_next(&mut cx),
        Poll::Ready(Some(Ok(10)))
    );
}

#[test]
fn errors_are_copy_and_small() {
    fn copy<T: Copy>() {}
    copy::<RecvError>();
    copy::<TryRecvError>();
    copy::<Lagged>();
    assert!(std::mem::size_of::<RecvError>() <= 16);
}
