//! Typed record buffers (broadcast with lag, latest-value watch, single-slot
//! mailbox) and their peers, used from futures on one runtime ([`Records`]).

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::Poll;

use super::{FloorWaker, Payload};

/// A record buffer used from futures on one runtime. The receivers' futures
/// run between the sender's sends; a scenario keeps the sender from lapping
/// them (it yields every few sends), so every record is read.
pub trait Records<T: Payload>: 'static {
    /// The implementation's name in results.
    const NAME: &'static str;
    /// The sending half.
    type Tx: 'static;
    /// One receiver.
    type Rx: 'static;
    /// A buffer with room for `capacity` records (where it has room for more
    /// than one) and `readers` receivers that have seen nothing yet.
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>);
    /// Sends without waiting.
    fn send(tx: &mut Self::Tx, value: T);
    /// Waits for the next record (for the latest-value buffers: the next
    /// version) and returns it.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = T>;
}

/// `first` and clones of it: `readers` receivers in all.
fn replicate<R: Clone>(first: R, readers: usize) -> Vec<R> {
    let mut all: Vec<R> = (1..readers).map(|_| first.clone()).collect();
    all.push(first);
    all
}

/// zerocast's broadcast channel.
#[derive(Debug)]
pub struct ZerocastBroadcast;

/// tokio's broadcast channel.
#[derive(Debug)]
pub struct TokioBroadcast;

/// async-broadcast with overflow on (the lossy profile); the scenarios never
/// fill it.
#[derive(Debug)]
pub struct AsyncBroadcast;

/// zerocast's watch channel.
#[derive(Debug)]
pub struct ZerocastWatch;

/// tokio's watch channel.
#[derive(Debug)]
pub struct TokioWatch;

/// zerocast's mailbox.
#[derive(Debug)]
pub struct ZerocastMailbox;

/// The single slot most tokio users write by hand: a `Mutex<Option<T>>` and a
/// `Notify`.
#[derive(Debug)]
pub struct TokioNotifySlot;

/// The shared half of [`TokioNotifySlot`].
#[derive(Debug, Default)]
pub struct NotifySlot<T> {
    slot: Mutex<Option<T>>,
    notify: tokio::sync::Notify,
}

impl<T> NotifySlot<T> {
    fn put(&self, value: T) {
        *self.slot.lock().expect("not poisoned") = Some(value);
        self.notify.notify_one();
    }

    async fn take(&self) -> T {
        loop {
            if let Some(v) = self.slot.lock().expect("not poisoned").take() {
                return v;
            }
            self.notify.notified().await;
        }
    }
}

/// `Records` for a broadcast channel with tokio's shape: `channel(capacity)`,
/// `Sender::subscribe`, `send(v) -> Result`, `recv().await -> Result`.
macro_rules! broadcast_records {
    ($adapter:ident, $name:literal, $($module:ident)::+) => {
        impl<T: Payload> Records<T> for $adapter {
            const NAME: &'static str = $name;
            type Tx = $($module)::+::Sender<T>;
            type Rx = $($module)::+::Receiver<T>;
            fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
                let (tx, first) = $($module)::+::channel(capacity);
                let mut rx = vec![first];
                rx.extend((1..readers).map(|_| tx.subscribe()));
                (tx, rx)
            }
            fn send(tx: &mut Self::Tx, value: T) {
                tx.send(value).expect("receivers alive");
            }
            async fn recv(rx: &mut Self::Rx) -> T {
                rx.recv().await.expect("no lag, sender alive")
            }
        }
    };
}

broadcast_records!(ZerocastBroadcast, "zerocast", zerocast::broadcast);
broadcast_records!(TokioBroadcast, "tokio", tokio::sync::broadcast);

impl<T: Payload> Records<T> for AsyncBroadcast {
    const NAME: &'static str = "async-broadcast";
    type Tx = async_broadcast::Sender<T>;
    type Rx = async_broadcast::Receiver<T>;
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        let (mut tx, first) = async_broadcast::broadcast(capacity);
        tx.set_overflow(true);
        (tx, replicate(first, readers))
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.try_broadcast(value).expect("receivers alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.recv().await.expect("no overflow, sender alive")
    }
}

impl<T: Payload> Records<T> for ZerocastWatch {
    const NAME: &'static str = "zerocast";
    type Tx = zerocast::watch::Sender<T>;
    type Rx = zerocast::watch::Receiver<T>;
    fn channel(_: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        let (tx, mut first) = zerocast::watch::channel(T::default());
        first.borrow_and_update();
        (tx, replicate(first, readers))
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.send(value).expect("receivers alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.changed().await.expect("sender alive");
        *rx.borrow_and_update()
    }
}

impl<T: Payload> Records<T> for TokioWatch {
    const NAME: &'static str = "tokio";
    type Tx = tokio::sync::watch::Sender<T>;
    type Rx = tokio::sync::watch::Receiver<T>;
    fn channel(_: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        let (tx, first) = tokio::sync::watch::channel(T::default());
        (tx, replicate(first, readers))
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.send(value).expect("receivers alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.changed().await.expect("sender alive");
        *rx.borrow_and_update()
    }
}

impl<T: Payload> Records<T> for ZerocastMailbox {
    const NAME: &'static str = "zerocast";
    type Tx = zerocast::mailbox::Sender<T>;
    type Rx = zerocast::mailbox::Receiver<T>;
    fn channel(_: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        let (tx, first) = zerocast::mailbox::channel();
        (tx, replicate(first, readers))
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.send(value).expect("receivers alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.recv().await.expect("sender alive")
    }
}

impl<T: Payload> Records<T> for TokioNotifySlot {
    const NAME: &'static str = "tokio Notify+slot";
    type Tx = Arc<NotifySlot<T>>;
    type Rx = Arc<NotifySlot<T>>;
    fn channel(_: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        let shared = Arc::new(NotifySlot {
            slot: Mutex::new(None),
            notify: tokio::sync::Notify::new(),
        });
        (shared.clone(), vec![shared; readers])
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.put(value);
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.take().await
    }
}

/// The runtime's own cost, with no channel to speak of: one value and one
/// waker in `Cell`s, for one thread and one receiver (not thread-safe, no
/// atomics). Beside the channels of a scenario whose every message is a
/// wake-up and a re-poll of the task, it shows how much of their time is the
/// runtime's — a floor no channel can go under.
#[derive(Debug)]
pub struct RuntimeFloor;

/// The slot of [`RuntimeFloor`]: the latest value and the receiver.
#[derive(Default)]
pub struct FloorSlot<T> {
    value: Cell<Option<T>>,
    receiver: FloorWaker,
}

impl<T> std::fmt::Debug for FloorSlot<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloorSlot")
            .field("receiver", &self.receiver)
            .finish_non_exhaustive()
    }
}

impl<T: Payload> Records<T> for RuntimeFloor {
    const NAME: &'static str = crate::harness::FLOOR;
    type Tx = Rc<FloorSlot<T>>;
    type Rx = Rc<FloorSlot<T>>;
    fn channel(_: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        assert_eq!(readers, 1, "the floor has one receiver");
        let slot = Rc::new(FloorSlot::default());
        (slot.clone(), vec![slot])
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.value.set(Some(value));
        tx.receiver.wake();
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        std::future::poll_fn(|cx| match rx.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                rx.receiver.register(cx);
                Poll::Pending
            }
        })
        .await
    }
}

/// The runtime's own cost for the broadcast scenario: a ring of `Cell`s
/// with a `Cell` tail, each receiver's position in its own handle and each
/// receiver's waker in a `Cell`, for one thread (not thread-safe, no atomics,
/// no lag check: the scenario never laps a receiver). The sender wakes only
/// the receivers that wait. Beside the channels it shows how much of their
/// time is the runtime's, the five futures' and the scenario's per message:
/// a floor no channel goes under.
#[derive(Debug)]
pub struct BroadcastFloor;

/// The ring of [`BroadcastFloor`]: `slots.len()` is a power of two.
pub struct FloorBroadcastRing<T> {
    slots: Box<[Cell<T>]>,
    tail: Cell<usize>,
    receivers: Box<[FloorWaker]>,
}

impl<T> std::fmt::Debug for FloorBroadcastRing<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloorBroadcastRing")
            .field("tail", &self.tail.get())
            .field("receivers", &self.receivers.len())
            .finish_non_exhaustive()
    }
}

/// One receiver of [`BroadcastFloor`]: its waker's index and its position.
#[derive(Debug)]
pub struct FloorBroadcastReader<T> {
    ring: Rc<FloorBroadcastRing<T>>,
    id: usize,
    next: usize,
}

impl<T: Payload> Records<T> for BroadcastFloor {
    const NAME: &'static str = crate::harness::FLOOR;
    type Tx = Rc<FloorBroadcastRing<T>>;
    type Rx = FloorBroadcastReader<T>;
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        let ring = Rc::new(FloorBroadcastRing {
            slots: (0..capacity.next_power_of_two())
                .map(|_| Cell::new(T::default()))
                .collect(),
            tail: Cell::new(0),
            receivers: (0..readers).map(|_| FloorWaker::default()).collect(),
        });
        let rx = (0..readers)
            .map(|id| FloorBroadcastReader {
                ring: ring.clone(),
                id,
                next: 0,
            })
            .collect();
        (ring, rx)
    }
    fn send(tx: &mut Self::Tx, value: T) {
        let tail = tx.tail.get();
        tx.slots[tail & (tx.slots.len() - 1)].set(value);
        tx.tail.set(tail.wrapping_add(1));
        for receiver in &tx.receivers {
            receiver.wake();
        }
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        std::future::poll_fn(|cx| {
            let ring = &*rx.ring;
            if rx.next == ring.tail.get() {
                ring.receivers[rx.id].register(cx);
                return Poll::Pending;
            }
            let value = ring.slots[rx.next & (ring.slots.len() - 1)].get();
            rx.next = rx.next.wrapping_add(1);
            Poll::Ready(value)
        })
        .await
    }
}
