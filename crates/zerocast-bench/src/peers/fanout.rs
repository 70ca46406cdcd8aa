//! Lossless fan-out: every reader sees every message, the slowest applies
//! backpressure. Thread and async forms.

use std::future::Future;

use super::blocking::{backoff, poll_n, Slot};
use super::{Payload, YieldNow};

/// A one-to-many channel used from threads. Every adapter's `send` and
/// `recv_n` are `#[inline(always)]`, as the SPSC suite's are (see
/// `blocking::Blocking`): each channel's calls land in the scenario's loop
/// as they would in a user's.
pub trait FanoutBlocking<T: Payload>: 'static {
    /// The implementation's name in results.
    const NAME: &'static str;
    /// The publishing half.
    type Tx: Send + 'static;
    /// One reader.
    type Rx: Send + 'static;
    /// A channel with room for `capacity` messages and `readers` readers.
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>);
    /// Publishes, waiting while the slowest reader is `capacity` behind.
    fn send(tx: &mut Self::Tx, value: T);
    /// Receives `n` messages, handing each to `sink`.
    fn recv_n(rx: &mut Self::Rx, n: u64, sink: impl FnMut(T));
}

/// A one-to-many channel used from futures on one runtime.
pub trait FanoutAsync<T: Payload>: 'static {
    /// The implementation's name in results.
    const NAME: &'static str;
    /// The publishing half.
    type Tx: 'static;
    /// One reader.
    type Rx: 'static;
    /// A channel with room for `capacity` messages and `readers` readers.
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>);
    /// Publishes, waiting while the slowest reader is `capacity` behind.
    fn send(tx: &mut Self::Tx, value: T) -> impl Future<Output = ()>;
    /// Receives one message.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = T>;
}

/// `bus`: a lock-free broadcast ring with parking readers.
#[derive(Debug)]
pub struct Bus;

impl<T: Payload> FanoutBlocking<T> for Bus {
    const NAME: &'static str = "bus";
    type Tx = bus::Bus<T>;
    type Rx = bus::BusReader<T>;
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        let mut tx = bus::Bus::new(capacity);
        let rx = (0..readers).map(|_| tx.add_rx()).collect();
        (tx, rx)
    }
    #[inline(always)]
    fn send(tx: &mut Self::Tx, value: T) {
        tx.broadcast(value);
    }
    #[inline(always)]
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.recv().expect("publisher alive"));
        }
    }
}

/// `disruptor`: one event poller per reader, each on its own thread.
#[derive(Debug)]
pub struct Disruptor;

impl<T: Payload> FanoutBlocking<T> for Disruptor {
    const NAME: &'static str = "disruptor";
    type Tx = disruptor::SingleProducer<Slot<T>, disruptor::MultiConsumerBarrier>;
    type Rx = disruptor::EventPoller<Slot<T>, disruptor::SingleProducerBarrier>;
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        let mut builder = disruptor::build_single_producer(
            capacity.next_power_of_two(),
            Slot::<T>::default,
            disruptor::BusySpinWithSpinLoopHint,
        )
        .with_multi_consumer();
        let mut pollers = Vec::with_capacity(readers);
        for _ in 0..readers {
            let (poller, next) = builder.new_event_poller();
            pollers.push(poller);
            builder = next;
        }
        (builder.build(), pollers)
    }
    #[inline(always)]
    fn send(tx: &mut Self::Tx, value: T) {
        use disruptor::Producer as _;
        tx.publish(|slot| slot.0 = value);
    }
    #[inline(always)]
    fn recv_n(rx: &mut Self::Rx, n: u64, sink: impl FnMut(T)) {
        poll_n(rx, n, sink);
    }
}

/// `tokio::sync::broadcast` made lossless: the sender waits while the slowest
/// receiver is a full ring behind (`Sender::len`), so nothing lags.
#[derive(Debug)]
pub struct TokioBroadcast;

/// The sending half of [`TokioBroadcast`]: the sender and its capacity.
#[derive(Debug)]
pub struct TokioBroadcastTx<T> {
    tx: tokio::sync::broadcast::Sender<T>,
    capacity: usize,
}

fn tokio_broadcast<T: Payload>(
    capacity: usize,
    readers: usize,
) -> (
    TokioBroadcastTx<T>,
    Vec<tokio::sync::broadcast::Receiver<T>>,
) {
    let (tx, first) = tokio::sync::broadcast::channel(capacity);
    let mut rx = vec![first];
    rx.extend((1..readers).map(|_| tx.subscribe()));
    (TokioBroadcastTx { tx, capacity }, rx)
}

impl<T: Payload> FanoutBlocking<T> for TokioBroadcast {
    const NAME: &'static str = "tokio";
    type Tx = TokioBroadcastTx<T>;
    type Rx = tokio::sync::broadcast::Receiver<T>;
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        tokio_broadcast(capacity, readers)
    }
    #[inline(always)]
    fn send(tx: &mut Self::Tx, value: T) {
        let mut spins = 0;
        while tx.tx.len() >= tx.capacity {
            backoff(&mut spins);
        }
        tx.tx.send(value).expect("receivers alive");
    }
    #[inline(always)]
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.blocking_recv().expect("lossless by construction"));
        }
    }
}

impl<T: Payload> FanoutAsync<T> for TokioBroadcast {
    const NAME: &'static str = "tokio";
    type Tx = TokioBroadcastTx<T>;
    type Rx = tokio::sync::broadcast::Receiver<T>;
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        tokio_broadcast(capacity, readers)
    }
    async fn send(tx: &mut Self::Tx, value: T) {
        while tx.tx.len() >= tx.capacity {
            YieldNow::default().await;
        }
        tx.tx.send(value).expect("receivers alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.recv().await.expect("lossless by construction")
    }
}

/// `async-broadcast` with backpressure (overflow off).
#[derive(Debug)]
pub struct AsyncBroadcast;

impl<T: Payload> FanoutAsync<T> for AsyncBroadcast {
    const NAME: &'static str = "async-broadcast";
    type Tx = async_broadcast::Sender<T>;
    type Rx = async_broadcast::Receiver<T>;
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        let (tx, first) = async_broadcast::broadcast(capacity);
        let mut rx: Vec<_> = (1..readers).map(|_| first.clone()).collect();
        rx.push(first);
        (tx, rx)
    }
    async fn send(tx: &mut Self::Tx, value: T) {
        tx.broadcast(value).await.expect("receivers alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.recv().await.expect("publisher alive")
    }
}

/// zerocast's lossless multicast channel.
#[derive(Debug)]
pub struct Zerocast;

impl<T: Payload> FanoutBlocking<T> for Zerocast {
    const NAME: &'static str = "zerocast";
    type Tx = zerocast::multicast::Publisher<T>;
    type Rx = zerocast::multicast::Subscriber<T>;
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        zerocast::multicast::channel(capacity, readers)
    }
    #[inline(always)]
    fn send(tx: &mut Self::Tx, value: T) {
        tx.publish_blocking(value).expect("subscribers alive");
    }
    #[inline(always)]
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.recv_blocking().expect("publisher alive"));
        }
    }
}

impl<T: Payload> FanoutAsync<T> for Zerocast {
    const NAME: &'static str = "zerocast";
    type Tx = zerocast::multicast::Publisher<T>;
    type Rx = zerocast::multicast::Subscriber<T>;
    fn channel(capacity: usize, readers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        zerocast::multicast::channel(capacity, readers)
    }
    async fn send(tx: &mut Self::Tx, value: T) {
        tx.publish(value).await.expect("subscribers alive");
    }
    async fn recv(rx: &mut Self::Rx) -> T {
        rx.recv().await.expect("publisher alive")
    }
}
