//! Thread-to-thread channels: each peer's bounded SPSC-capable channel with a
//! blocking (or, where the peer has no blocking form, spinning) receive.

use std::cell::UnsafeCell;
use std::hint::spin_loop;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::Payload;

/// A bounded channel used from two threads.
///
/// Every adapter's `send` and `recv_n` (and the spin loops they share) are
/// `#[inline(always)]`, so each channel's calls land in the scenario's loop
/// as they would in a user's: left to the compiler, some adapters inlined
/// and others stayed a call per message, which moved their rows by itself.
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

/// Sends `value` through `push`, which hands it back while the channel is
/// full, backing off between tries: the send of every ring here without a
/// blocking form.
#[inline(always)]
fn spin_send<V>(mut value: V, mut push: impl FnMut(V) -> Result<(), V>) {
    let mut spins = 0;
    while let Err(v) = push(value) {
        value = v;
        backoff(&mut spins);
    }
}

/// Takes `n` items through `pop` (`None` while empty), backing off between
/// tries: the receive of every ring here without a blocking form.
#[inline(always)]
fn spin_recv_n<V>(n: u64, mut pop: impl FnMut() -> Option<V>, mut sink: impl FnMut(V)) {
    for _ in 0..n {
        let mut spins = 0;
        let value = loop {
            match pop() {
                Some(v) => break v,
                None => backoff(&mut spins),
            }
        };
        sink(value);
    }
}

/// An adapter for a peer whose bounded channel blocks on both sides:
/// `send(v) -> Result` and `recv() -> Result`, constructed by `$make(capacity)`.
macro_rules! blocking_peer {
    ($(#[$doc:meta])* $adapter:ident, $name:literal, $tx:ident, $rx:ident, $make:path, $send:ident, $recv:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $adapter;

        impl<T: Payload> Blocking<T> for $adapter {
            const NAME: &'static str = $name;
            type Tx = $tx<T>;
            type Rx = $rx<T>;
            fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
                $make(capacity)
            }
            #[inline(always)]
            fn send(tx: &mut Self::Tx, value: T) {
                tx.$send(value).expect("receiver alive");
            }
            #[inline(always)]
            fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
                for _ in 0..n {
                    sink(rx.$recv().expect("sender alive"));
                }
            }
        }
    };
}

use crossbeam_channel::{Receiver as CrossbeamRx, Sender as CrossbeamTx};
use flume::{Receiver as FlumeRx, Sender as FlumeTx};
use kanal::{Receiver as KanalRx, Sender as KanalTx};
use std::sync::mpsc::{Receiver as StdRx, SyncSender as StdTx};
use thingbuf::mpsc::blocking::{Receiver as ThingbufRx, Sender as ThingbufTx};
use tokio::sync::mpsc::{Receiver as TokioRx, Sender as TokioTx};

blocking_peer!(
    /// `crossbeam-channel`'s bounded channel.
    Crossbeam, "crossbeam-channel", CrossbeamTx, CrossbeamRx, crossbeam_channel::bounded, send, recv
);
blocking_peer!(
    /// `flume`'s bounded channel.
    Flume, "flume", FlumeTx, FlumeRx, flume::bounded, send, recv
);
blocking_peer!(
    /// `kanal`'s bounded channel.
    Kanal, "kanal", KanalTx, KanalRx, kanal::bounded, send, recv
);
blocking_peer!(
    /// `std::sync::mpsc::sync_channel`.
    Std, "std", StdTx, StdRx, std::sync::mpsc::sync_channel, send, recv
);
blocking_peer!(
    /// `thingbuf`'s blocking MPSC channel.
    Thingbuf, "thingbuf", ThingbufTx, ThingbufRx, thingbuf::mpsc::blocking::channel, send, recv
);
blocking_peer!(
    /// `tokio::sync::mpsc` used from plain threads (`blocking_send`/`blocking_recv`).
    TokioMpsc, "tokio", TokioTx, TokioRx, tokio::sync::mpsc::channel, blocking_send, blocking_recv
);

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
    #[inline(always)]
    fn send(tx: &mut Self::Tx, value: T) {
        spin_send(value, |v| tx.push(v).map_err(|rtrb::PushError::Full(v)| v));
    }
    #[inline(always)]
    fn recv_n(rx: &mut Self::Rx, n: u64, sink: impl FnMut(T)) {
        spin_recv_n(n, || rx.pop().ok(), sink);
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
    #[inline(always)]
    fn send(tx: &mut Self::Tx, value: T) {
        tx.broadcast(value);
    }
    #[inline(always)]
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

/// Takes `n` events from a disruptor poller in batches, backing off when idle.
#[inline(always)]
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
    #[inline(always)]
    fn send(tx: &mut Self::Tx, value: T) {
        tx.push_blocking(value).expect("receiver alive");
    }
    #[inline(always)]
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
    type Tx = <Zerocast as Blocking<T>>::Tx;
    type Rx = <Zerocast as Blocking<T>>::Rx;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        <Zerocast as Blocking<T>>::channel(capacity)
    }
    #[inline(always)]
    fn send(tx: &mut Self::Tx, value: T) {
        <Zerocast as Blocking<T>>::send(tx, value);
    }
    #[inline(always)]
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        for _ in 0..n {
            sink(rx.pop_spin().expect("sender alive"));
        }
    }
}

/// zerocast's SPSC ring through `try_push` / `try_pop` in the same
/// spin-then-yield loop as the [`Rtrb`] and [`Disruptor`] rows (neither has a
/// blocking form): the ring on its own, without zerocast's waiting strategy
/// and without a waiter to wake.
#[derive(Debug)]
pub struct ZerocastTry;

impl<T: Payload> Blocking<T> for ZerocastTry {
    const NAME: &'static str = "zerocast-try";
    type Tx = <Zerocast as Blocking<T>>::Tx;
    type Rx = <Zerocast as Blocking<T>>::Rx;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        <Zerocast as Blocking<T>>::channel(capacity)
    }
    #[inline(always)]
    fn send(tx: &mut Self::Tx, value: T) {
        spin_send(value, |v| match tx.try_push(v) {
            Ok(()) => Ok(()),
            Err(zerocast::TrySendError::Full(v)) => Err(v),
            Err(zerocast::TrySendError::Closed(_)) => panic!("receiver alive"),
        });
    }
    #[inline(always)]
    fn recv_n(rx: &mut Self::Rx, n: u64, sink: impl FnMut(T)) {
        let pop = || match rx.try_pop() {
            Ok(v) => Some(v),
            Err(zerocast::TryRecvError::Empty) => None,
            Err(e) => panic!("sender alive: {e:?}"),
        };
        spin_recv_n(n, pop, sink);
    }
}

/// Items between the [`Floor`] ring's position updates.
const FLOOR_BATCH: usize = 256;

/// The `threads` scenarios' floor: the items' own cache lines moving between
/// the two cores, with almost nothing else. A ring of the scenario's capacity
/// whose sides publish their positions once per [`FLOOR_BATCH`] items (and
/// when the producer finds it full, when the consumer finds it empty, and when
/// the producer's handle drops), the consumer prefetching the line 256 bytes
/// ahead. Not a channel: an item stays unseen until its batch is published.
/// A channel that shows each item as it is sent moves the same lines and
/// more, so it does not go under this row by much.
#[derive(Debug)]
pub struct Floor;

/// A position written by one side only, on a line of its own.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct FloorPosition(pub(crate) AtomicUsize);

/// The ring of [`Floor`]: `slots.len()` is a power of two.
#[derive(Debug)]
pub struct FloorRing<T> {
    tail: FloorPosition,
    head: FloorPosition,
    slots: Box<[UnsafeCell<T>]>,
}

// SAFETY: a slot is written by the producer only while the consumer cannot
// read it (before the release store of a tail past it), and read by the
// consumer only while the producer cannot write it (before the release store
// of a head past it); the values cross threads, so `T: Send`.
unsafe impl<T: Send> Sync for FloorRing<T> {}

/// [`Floor`]'s sending half.
#[derive(Debug)]
pub struct FloorTx<T> {
    ring: Arc<FloorRing<T>>,
    tail: usize,
    head: usize,
}

/// [`Floor`]'s receiving half.
#[derive(Debug)]
pub struct FloorRx<T> {
    ring: Arc<FloorRing<T>>,
    head: usize,
    tail: usize,
}

impl<T> Drop for FloorTx<T> {
    fn drop(&mut self) {
        self.ring.tail.0.store(self.tail, Ordering::Release);
    }
}

impl<T: Payload> Blocking<T> for Floor {
    const NAME: &'static str = crate::harness::FLOOR;
    type Tx = FloorTx<T>;
    type Rx = FloorRx<T>;
    fn channel(capacity: usize) -> (Self::Tx, Self::Rx) {
        let ring = Arc::new(FloorRing {
            tail: FloorPosition::default(),
            head: FloorPosition::default(),
            slots: (0..capacity.next_power_of_two())
                .map(|_| UnsafeCell::new(T::default()))
                .collect(),
        });
        let tx = FloorTx {
            ring: ring.clone(),
            tail: 0,
            head: 0,
        };
        (
            tx,
            FloorRx {
                ring,
                head: 0,
                tail: 0,
            },
        )
    }
    #[inline(always)]
    fn send(tx: &mut Self::Tx, value: T) {
        let ring = &*tx.ring;
        let capacity = ring.slots.len();
        let full = |tx: &FloorTx<T>| tx.tail.wrapping_sub(tx.head) == capacity;
        if full(tx) {
            tx.head = ring.head.0.load(Ordering::Acquire);
            if full(tx) {
                // Everything written is published before waiting, once.
                ring.tail.0.store(tx.tail, Ordering::Release);
                let mut spins = 0;
                while full(tx) {
                    backoff(&mut spins);
                    tx.head = ring.head.0.load(Ordering::Acquire);
                }
            }
        }
        // SAFETY: fewer than `capacity` items are unread as of the head
        // loaded with acquire, so the consumer is done with this slot, and
        // only this handle writes slots.
        unsafe { *ring.slots[tx.tail & (capacity - 1)].get() = value };
        tx.tail = tx.tail.wrapping_add(1);
        if tx.tail % FLOOR_BATCH == 0 {
            ring.tail.0.store(tx.tail, Ordering::Release);
        }
    }
    #[inline(always)]
    fn recv_n(rx: &mut Self::Rx, n: u64, mut sink: impl FnMut(T)) {
        let ring = &*rx.ring;
        let capacity = ring.slots.len();
        let size = std::mem::size_of::<T>().max(1);
        let (ahead, line) = (256_usize.div_ceil(size), 64_usize.div_ceil(size));
        for _ in 0..n {
            if rx.head == rx.tail {
                // Everything read is released before waiting, once.
                ring.head.0.store(rx.head, Ordering::Release);
                let mut spins = 0;
                loop {
                    rx.tail = ring.tail.0.load(Ordering::Acquire);
                    if rx.head != rx.tail {
                        break;
                    }
                    backoff(&mut spins);
                }
            }
            #[cfg(target_arch = "x86_64")]
            if rx.head % line == 0 && rx.tail.wrapping_sub(rx.head) > ahead + line {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                let at = ring.slots[rx.head.wrapping_add(ahead) & (capacity - 1)].get();
                // SAFETY: a prefetch changes no memory and never faults.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(at.cast::<i8>()) };
            }
            // SAFETY: the tail loaded with acquire is past this slot, so the
            // producer wrote it and is not writing it until the head passes.
            let value = unsafe { *ring.slots[rx.head & (capacity - 1)].get() };
            rx.head = rx.head.wrapping_add(1);
            if rx.head % FLOOR_BATCH == 0 {
                ring.head.0.store(rx.head, Ordering::Release);
            }
            sink(value);
        }
    }
}
