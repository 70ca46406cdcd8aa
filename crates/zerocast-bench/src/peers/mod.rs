//! Adapters that give every peer (and, as they land, zerocast's own channels)
//! one shape per mode, so a scenario is written once and run for all of them.

pub mod asynchronous;
pub mod blocking;
pub mod fanout;
pub mod records;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

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

/// A 64-byte message: a cache line of fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(8))]
pub struct Struct64 {
    seq: u64,
    fields: [u64; 7],
}

impl Payload for Struct64 {
    const NAME: &'static str = "struct64";
    fn make(seq: u64) -> Self {
        Struct64 {
            seq,
            fields: [seq ^ 0x5a5a; 7],
        }
    }
    fn seq(&self) -> u64 {
        debug_assert_eq!(self.fields[6], self.seq ^ 0x5a5a);
        self.seq
    }
}

/// AimDB's telemetry record and command: 24 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Record24 {
    seq: u64,
    fields: [u64; 2],
}

impl Payload for Record24 {
    const NAME: &'static str = "rec24";
    fn make(seq: u64) -> Self {
        Record24 {
            seq,
            fields: [seq ^ 0x5a5a; 2],
        }
    }
    fn seq(&self) -> u64 {
        debug_assert_eq!(self.fields[1], self.seq ^ 0x5a5a);
        self.seq
    }
}

/// AimDB's state record: 40 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Record40 {
    seq: u64,
    fields: [u64; 4],
}

impl Payload for Record40 {
    const NAME: &'static str = "rec40";
    fn make(seq: u64) -> Self {
        Record40 {
            seq,
            fields: [seq ^ 0x5a5a; 4],
        }
    }
    fn seq(&self) -> u64 {
        debug_assert_eq!(self.fields[3], self.seq ^ 0x5a5a);
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

/// A current-thread tokio runtime: "one runtime" in the async scenarios.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
}
