//! Adapters that give every peer (and, as they land, zerocast's own channels)
//! one shape per mode, so a scenario is written once and run for all of them.

pub mod asynchronous;
pub mod blocking;
pub mod bytes;
pub mod fanout;
pub mod records;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A message type of the scenarios: built from a sequence number, and read back
/// to a key so that every run checks nothing was lost, duplicated or reordered.
pub trait Payload: Copy + Default + std::fmt::Debug + Send + Sync + 'static {
    /// The payload's name in scenario paths (`u64`, `struct64`).
    const NAME: &'static str;
    /// The message with sequence number `seq`.
    fn make(seq: u64) -> Self;
    /// The sequence number back.
    fn seq(&self) -> u64;
}

impl Payload for u64 {
    const NAME: &'static str = "u64";
    fn make(seq: u64) -> Self {
        seq
    }
    fn seq(&self) -> u64 {
        *self
    }
}

/// A message of a sequence number and `FIELDS` more words, each derived from
/// it so that a torn or mixed-up message is caught in debug builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Record<const FIELDS: usize> {
    seq: u64,
    fields: [u64; FIELDS],
}

/// A 64-byte message: a cache line of fields.
pub type Struct64 = Record<7>;
/// AimDB's telemetry record and command: 24 bytes.
pub type Record24 = Record<2>;
/// AimDB's state record: 40 bytes.
pub type Record40 = Record<4>;

impl<const FIELDS: usize> Default for Record<FIELDS> {
    fn default() -> Self {
        Self {
            seq: 0,
            fields: [0; FIELDS],
        }
    }
}

impl<const FIELDS: usize> Payload for Record<FIELDS> {
    const NAME: &'static str = match FIELDS {
        2 => "rec24",
        4 => "rec40",
        7 => "struct64",
        _ => "record",
    };
    fn make(seq: u64) -> Self {
        Record {
            seq,
            fields: [seq ^ 0x5a5a; FIELDS],
        }
    }
    fn seq(&self) -> u64 {
        debug_assert!(self.fields.iter().all(|&f| f == self.seq ^ 0x5a5a));
        self.seq
    }
}

/// Checks a received stream: every sequence number once, in order.
#[derive(Debug, Default)]
pub struct Order {
    next: u64,
}

impl Order {
    /// Starts expecting `first`.
    pub fn starting_at(first: u64) -> Self {
        Order { next: first }
    }

    /// Records one received message.
    ///
    /// # Panics
    ///
    /// If the message is not the next one expected: the implementation lost,
    /// duplicated or reordered a message, and its figures would be meaningless.
    #[inline]
    pub fn check<P: Payload>(&mut self, msg: &P) {
        let seq = msg.seq();
        assert_eq!(seq, self.next, "message out of order or lost");
        self.next += 1;
    }
}

/// Returns `Pending` once after waking its own task: an await point that
/// allocates nothing. (tokio's `yield_now` defers the waker into a `Vec`.)
#[derive(Debug, Default)]
pub struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// One waiting task of the runtime floors (one thread, no atomics): its
/// waker, kept across wake-ups, and whether it waits.
#[derive(Default)]
pub struct FloorWaker {
    waker: Cell<Option<Waker>>,
    waiting: Cell<bool>,
}

impl FloorWaker {
    /// Records that `cx`'s task waits (cloning its waker only when it changed).
    pub fn register(&self, cx: &Context<'_>) {
        let stored = self.waker.take();
        self.waker.set(match stored {
            Some(w) if w.will_wake(cx.waker()) => Some(w),
            _ => Some(cx.waker().clone()),
        });
        self.waiting.set(true);
    }

    /// Wakes the task if it waits.
    pub fn wake(&self) {
        if self.waiting.replace(false) {
            let waker = self.waker.take();
            if let Some(w) = &waker {
                w.wake_by_ref();
            }
            self.waker.set(waker);
        }
    }
}

impl std::fmt::Debug for FloorWaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloorWaker")
            .field("waiting", &self.waiting.get())
            .finish_non_exhaustive()
    }
}

/// A current-thread tokio runtime: "one runtime" in the async scenarios.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
}
