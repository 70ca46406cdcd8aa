//! Async channels, driven by one current-thread runtime.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::Poll;

use super::{FloorWaker, Payload};

/// A bounded channel used from two futures on one runtime.
pub trait Async<T: Payload>: 'static {
    /// The implementation's name in results.
    const NAME: &'static str;
    /// The sending half.
    type Tx: 'static;
    /// The receiving half.
    type Rx: 'static;
    /// A channel with room for `capacity` messages.
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Sends, waiting while full.
    fn send(tx: &mut Self::Tx, value: T) -> impl Future<Output = ()>;
    /// Receives, waiting while empty.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = T>;
}

/// `tokio::sync::mpsc`.
#[derive(Debug)]
pub struct TokioMpsc;

impl<T: Payload> Async<T> for TokioMpsc {
    const NAME: &'static str = "tokio";
    type Tx = tokio::sync::mpsc::Sender<T>;
    type Rx = tokio::sync::mpsc::Receiver<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::channel(capacity)
    }
    async fn send(tx: &mut Self::Tx, value: T) {
        tx.send(value).await.expect("receiver alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.recv().await.expect("sender alive")
    }
}

/// `flume` (async API).
#[derive(Debug)]
pub struct Flume;

impl<T: Payload> Async<T> for Flume {
    const NAME: &'static str = "flume";
    type Tx = flume::Sender<T>;
    type Rx = flume::Receiver<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        flume::bounded(capacity)
    }
    async fn send(tx: &mut Self::Tx, value: T) {
        tx.send_async(value).await.expect("receiver alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.recv_async().await.expect("sender alive")
    }
}

/// `kanal` (async API).
#[derive(Debug)]
pub struct Kanal;

impl<T: Payload> Async<T> for Kanal {
    const NAME: &'static str = "kanal";
    type Tx = kanal::AsyncSender<T>;
    type Rx = kanal::AsyncReceiver<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        kanal::bounded_async(capacity)
    }
    async fn send(tx: &mut Self::Tx, value: T) {
        tx.send(value).await.expect("receiver alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.recv().await.expect("sender alive")
    }
}

/// `thingbuf`'s async MPSC channel.
#[derive(Debug)]
pub struct Thingbuf;

impl<T: Payload> Async<T> for Thingbuf {
    const NAME: &'static str = "thingbuf";
    type Tx = thingbuf::mpsc::Sender<T>;
    type Rx = thingbuf::mpsc::Receiver<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        thingbuf::mpsc::channel(capacity)
    }
    async fn send(tx: &mut Self::Tx, value: T) {
        tx.send(value).await.expect("receiver alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.recv().await.expect("sender alive")
    }
}

/// `async-broadcast` with one receiver and backpressure (overflow off).
#[derive(Debug)]
pub struct AsyncBroadcast;

impl<T: Payload> Async<T> for AsyncBroadcast {
    const NAME: &'static str = "async-broadcast";
    type Tx = async_broadcast::Sender<T>;
    type Rx = async_broadcast::Receiver<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        async_broadcast::broadcast(capacity)
    }
    async fn send(tx: &mut Self::Tx, value: T) {
        tx.broadcast(value).await.expect("receiver alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.recv().await.expect("sender alive")
    }
}

/// zerocast's SPSC channel (async forms).
#[derive(Debug)]
pub struct Zerocast;

impl<T: Payload> Async<T> for Zerocast {
    const NAME: &'static str = "zerocast";
    type Tx = zerocast::spsc::Producer<'static, T>;
    type Rx = zerocast::spsc::Consumer<'static, T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        zerocast::spsc::channel(capacity)
    }
    async fn send(tx: &mut Self::Tx, value: T) {
        tx.push(value).await.expect("receiver alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.pop().await.expect("sender alive")
    }
}

/// The runtime's own cost, with no channel to speak of: a ring of `Cell`s
/// with `Cell` positions and the two tasks' wakers, for one thread (not
/// thread-safe, no atomics, no checks beyond full and empty), waking a side
/// only when it waits. Beside the channels it shows how much of their time is
/// the runtime's and the two futures' per message: a floor no channel goes
/// under.
#[derive(Debug)]
pub struct RuntimeFloor;

/// The ring of [`RuntimeFloor`]: `slots.len()` is a power of two.
pub struct FloorRing<T> {
    slots: Box<[Cell<T>]>,
    head: Cell<usize>,
    tail: Cell<usize>,
    sender: FloorWaker,
    receiver: FloorWaker,
}

impl<T> std::fmt::Debug for FloorRing<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloorRing")
            .field("head", &self.head.get())
            .field("tail", &self.tail.get())
            .finish_non_exhaustive()
    }
}

impl<T: Payload> Async<T> for RuntimeFloor {
    const NAME: &'static str = crate::harness::FLOOR;
    type Tx = Rc<FloorRing<T>>;
    type Rx = Rc<FloorRing<T>>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        let ring = Rc::new(FloorRing {
            slots: (0..capacity.next_power_of_two())
                .map(|_| Cell::new(T::default()))
                .collect(),
            head: Cell::new(0),
            tail: Cell::new(0),
            sender: FloorWaker::default(),
            receiver: FloorWaker::default(),
        });
        (ring.clone(), ring)
    }
    async fn send(tx: &mut Self::Tx, value: T) {
        poll_fn(|cx| {
            let tail = tx.tail.get();
            if tail.wrapping_sub(tx.head.get()) == tx.slots.len() {
                tx.sender.register(cx);
                return Poll::Pending;
            }
            tx.slots[tail & (tx.slots.len() - 1)].set(value);
            tx.tail.set(tail.wrapping_add(1));
            tx.receiver.wake();
            Poll::Ready(())
        })
        .await;
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        poll_fn(|cx| {
            let head = rx.head.get();
            if head == rx.tail.get() {
                rx.receiver.register(cx);
                return Poll::Pending;
            }
            let value = rx.slots[head & (rx.slots.len() - 1)].get();
            rx.head.set(head.wrapping_add(1));
            rx.sender.wake();
            Poll::Ready(value)
        })
        .await
    }
}
