//! Thread-to-thread channels: each peer's bounded SPSC-capable channel with a
//! blocking (or, where the peer has no blocking form, spinning) receive.

use std::hint::spin_loop;

use super::Payload;

/// A bounded channel used from two threads.
pub trait Blocking<T: Payload>: 'static {
    /// The implementation's name in results.
    const NAME: &'static str;
    /// The sending half.
    type Tx: Send + 'static;
    /// The receiving half.
    type Rx: Send + 'static;
    /// A channel with room for `capacity` messages.
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Sends, waiting while full.
    fn send(tx: &mut Self::Tx, value: T);
    /// Receives `n` messages, waiting while empty, handing each to `sink`.
    fn recv_n(rx: &mut Self::Rx, n: u64, sink: impl FnMut(T));
}

/// Spins with a CPU hint, then yields the time slice: on a 2-core machine a
/// pure spin would starve the other side of the channel.
#[inline]
pub(crate) fn backoff(spins: &mut u32) {
    *spins += 1;
    if *spins < 64 {
        spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// `crossbeam-channel`'s bounded channel.
#[derive(Debug)]
pub struct Crossbeam;

impl<T: Payload> Blocking<T> for Crossbeam {
    const NAME: &'static str = "crossbeam-channel";
    type Tx = crossbeam_channel::Sender<T>;
    type Rx = crossbeam_channel::Receiver<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        crossbeam_channel::bounded(capacity)
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.send(value).expect("receiver alive");
    }
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.recv().expect("sender alive"));
        }
    }
}

/// `flume`'s bounded channel.
#[derive(Debug)]
pub struct Flume;

impl<T: Payload> Blocking<T> for Flume {
    const NAME: &'static str = "flume";
    type Tx = flume::Sender<T>;
    type Rx = flume::Receiver<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        flume::bounded(capacity)
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.send(value).expect("receiver alive");
    }
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.recv().expect("sender alive"));
        }
    }
}

/// `kanal`'s bounded channel.
#[derive(Debug)]
pub struct Kanal;

impl<T: Payload> Blocking<T> for Kanal {
    const NAME: &'static str = "kanal";
    type Tx = kanal::Sender<T>;
    type Rx = kanal::Receiver<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        kanal::bounded(capacity)
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.send(value).expect("receiver alive");
    }
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.recv().expect("sender alive"));
        }
    }
}

/// `rtrb`'s SPSC ring; it has no blocking form, so both sides back off.
#[derive(Debug)]
pub struct Rtrb;

impl<T: Payload> Blocking<T> for Rtrb {
    const NAME: &'static str = "rtrb";
    type Tx = rtrb::Producer<T>;
    type Rx = rtrb::Consumer<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        rtrb::RingBuffer::new(capacity)
    }
    fn send(tx: &mut Self::Tx, mut value: T) {
        let mut spins = 0;
        while let Err(rtrb::PushError::Full(v)) = tx.push(value) {
            value = v;
            backoff(&mut spins);
        }
    }
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            let mut spins = 0;
            loop {
                match rx.pop() {
                    Ok(v) => {
                        sink(v);
                        break;
                    }
                    Err(_) => backoff(&mut spins),
                }
            }
        }
    }
}

/// `std::sync::mpsc::sync_channel`.
#[derive(Debug)]
pub struct Std;

impl<T: Payload> Blocking<T> for Std {
    const NAME: &'static str = "std";
    type Tx = std::sync::mpsc::SyncSender<T>;
    type Rx = std::sync::mpsc::Receiver<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        std::sync::mpsc::sync_channel(capacity)
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.send(value).expect("receiver alive");
    }
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.recv().expect("sender alive"));
        }
    }
}

/// `thingbuf`'s blocking MPSC channel.
#[derive(Debug)]
pub struct Thingbuf;

impl<T: Payload> Blocking<T> for Thingbuf {
    const NAME: &'static str = "thingbuf";
    type Tx = thingbuf::mpsc::blocking::Sender<T>;
    type Rx = thingbuf::mpsc::blocking::Receiver<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        thingbuf::mpsc::blocking::channel(capacity)
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.send(value).expect("receiver alive");
    }
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.recv().expect("sender alive"));
        }
    }
}

/// `tokio::sync::mpsc` used from plain threads (`blocking_send`/`blocking_recv`).
#[derive(Debug)]
pub struct TokioMpsc;

impl<T: Payload> Blocking<T> for TokioMpsc {
    const NAME: &'static str = "tokio";
    type Tx = tokio::sync::mpsc::Sender<T>;
    type Rx = tokio::sync::mpsc::Receiver<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::channel(capacity)
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.blocking_send(value).expect("receiver alive");
    }
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.blocking_recv().expect("sender alive"));
        }
    }
}

/// `bus` with a single reader.
#[derive(Debug)]
pub struct Bus;

impl<T: Payload> Blocking<T> for Bus {
    const NAME: &'static str = "bus";
    type Tx = bus::Bus<T>;
    type Rx = bus::BusReader<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        let mut tx = bus::Bus::new(capacity);
        let rx = tx.add_rx();
        (tx, rx)
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.broadcast(value);
    }
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.recv().expect("sender alive"));
        }
    }
}

/// A disruptor slot: the peer's rings hold pre-built events.
#[derive(Clone, Copy, Debug, Default)]
pub struct Slot<T>(pub T);

/// `disruptor` with one event poller on our own thread; the poller takes
/// whole batches, as the crate intends.
#[derive(Debug)]
pub struct Disruptor;

impl<T: Payload> Blocking<T> for Disruptor {
    const NAME: &'static str = "disruptor";
    type Tx = disruptor::SingleProducer<Slot<T>, disruptor::SingleConsumerBarrier>;
    type Rx = disruptor::EventPoller<Slot<T>, disruptor::SingleProducerBarrier>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        let builder = disruptor::build_single_producer(
            capacity.next_power_of_two(),
            Slot::<T>::default,
            disruptor::BusySpinWithSpinLoopHint,
        );
        let (poller, builder) = builder.new_event_poller();
        (builder.build(), poller)
    }
    fn send(tx: &mut Self::Tx, value: T) {
        use disruptor::Producer as _;
        tx.publish(|slot| slot.0 = value);
    }
    fn recv_n(rx: &mut Self::Rx, n: u64, sink: impl FnMut(T)) {
        poll_n(rx, n, sink);
    }
}

/// Takes `n` events from a disruptor poller in batches, backing off when idle.
pub(crate) fn poll_n<T: Payload>(
    rx: &mut disruptor::EventPoller<Slot<T>, disruptor::SingleProducerBarrier>,
    n: u64,
    mut sink: impl FnMut(T),
) {
    let mut left = n;
    let mut spins = 0;
    while left > 0 {
        match rx.take(left) {
            Ok(mut events) => {
                for slot in &mut events {
                    sink(slot.0);
                    left -= 1;
                }
                spins = 0;
            }
            Err(disruptor::Polling::NoEvents) => backoff(&mut spins),
            Err(disruptor::Polling::Shutdown) => panic!("disruptor shut down early"),
        }
    }
}

/// zerocast's SPSC channel with its blocking forms (spin briefly, then park).
#[derive(Debug)]
pub struct Zerocast;

impl<T: Payload> Blocking<T> for Zerocast {
    const NAME: &'static str = "zerocast";
    type Tx = zerocast::spsc::Producer<'static, T>;
    type Rx = zerocast::spsc::Consumer<'static, T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        zerocast::spsc::channel(capacity)
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.push_blocking(value).expect("receiver alive");
    }
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.pop_blocking().expect("sender alive"));
        }
    }
}

/// zerocast's SPSC channel with the opt-in busy-spinning receive
/// (`pop_spin`): the receiver never parks.
#[derive(Debug)]
pub struct ZerocastSpin;

impl<T: Payload> Blocking<T> for ZerocastSpin {
    const NAME: &'static str = "zerocast-spin";
    type Tx = zerocast::spsc::Producer<'static, T>;
    type Rx = zerocast::spsc::Consumer<'static, T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        zerocast::spsc::channel(capacity)
    }
    fn send(tx: &mut Self::Tx, value: T) {
        tx.push_blocking(value).expect("receiver alive");
    }
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.pop_spin().expect("sender alive"));
        }
    }
}
