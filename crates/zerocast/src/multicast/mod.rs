//! Lossless fan-out (SPMC with backpressure): every subscriber sees every
//! message, in order; the slowest subscriber holds the publisher back.
//!
//! [`channel`] returns one [`Publisher`] (not `Clone`: one writer, by type) and
//! one [`Subscriber`] per reader (each owns its cursor, not `Clone`: distinct
//! readers, by type). Subscribers read **by reference** through a
//! [`RecvGuard`] (zero-copy, no `Clone` bound) or by value with `recv` for
//! `T: Clone`. Nothing allocates after construction, waiting included.
//!
//! # Protocol
//!
//! Slot `i` carries a count of subscribers still to read it (for values
//! that need a drop; see below for the rest). The publisher
//! writes a free slot, sets its count to the subscribers it counts as
//! attached, and publishes with a plain release store of the tail: no
//! read-modify-write on the publish path. Each subscriber reads in order and
//! decrements; the last one drops the value at once (not when the slot is
//! overwritten) and marks the slot free.
//!
//! A subscriber that leaves records where it stopped (every slot before is
//! released), counts itself out of `attached`, then releases its own share of
//! the slots it sees published and records how far it got. The publisher sees
//! the count drop before its next publish (one plain load per publish), claims
//! the record and releases the leaver's share of the slots from there to its
//! own tail — the slots published while it still counted the leaver that the
//! leaver did not see — then counts one subscriber fewer. The record changes
//! hands by compare-and-swap, so each share is released once; and a `SeqCst`
//! fence on each side (the leaver's, between its record and its look at the
//! tail; the publisher's, between its last publish and its look at the
//! records when it drops) means that whatever the leaver missed, the
//! publisher sees it must release. So a dropped subscriber stops holding the
//! publisher back, and no value is ever leaked or dropped twice.
//!
//! **Values that need no drop** (`u64`, `Copy` records: where
//! `core::mem::needs_drop` is false) skip the counts: each subscriber
//! publishes the position it reads next (a plain release store to a cache
//! line of its own) and a leaver marks its position gone; the publisher
//! keeps how many slots it last saw free and reads the positions
//! (`Acquire`) only when those run out, taking the farthest behind of the
//! subscribers still attached, as disruptor's gating does. No slot has a
//! value to drop, so a slot every subscriber moved past is free, and no
//! subscriber writes a line the publisher or another subscriber writes.
//! Measured on the Intel host (`zerocast-bench --quick --filter fanout
//! --filter single/ --rounds 3`, three alternating pairs of processes):
//! `fanout1/threads/u64` 2.9-3.2 ns against 12.5-14.7 with the counts
//! (disruptor 2.4-3.3), `fanout1/async` 6.2-6.5 against 12.7-12.9,
//! `fanout4/async` 13.9-14.1 against 35.3-35.4, `single/consume` 2.5
//! against 7.3-7.4 and `single/publish` 2.3 against 2.7-2.8; but
//! `fanout4/threads` (five threads on two cores) 197-222 against 166-181:
//! subscribers that keep up with the publisher wait, and park, more often
//! there (`perf stat`: about 45% more `membarrier` calls and 35% more
//! context switches). Since spinning waiters yield their cores when as many
//! spin as there are cores (`park`), that row reads 13.4-14.3 ns (three
//! alternating pairs against 187-197 before, `--filter fanout --filter
//! latency/oneway --filter spsc/threads/u64`).
//!
//! Wake-ups cost nothing per message while nobody waits: after a publish (and
//! after freeing a slot) the notifier runs the light half of an asymmetric
//! fence and only *loads* the waiters' mask; a subscriber (or the publisher)
//! that registers to wait runs the heavy half, a `membarrier` system call on
//! Linux (`SeqCst` fences elsewhere; see [`spsc`](crate::spsc) for the costs).
//!
//! **Head-of-line blocking:** a subscriber that holds a [`RecvGuard`] (or stops
//! reading) keeps its slot, and a full ring makes the publisher wait for it.
//!
//! # Examples
//!
//! ```
//! let (mut publisher, subscribers) = zerocast::multicast::channel::<String>(8, 2);
//! publisher.try_publish("tick".to_owned()).unwrap();
//! for mut s in subscribers {
//!     let guard = s.try_recv_ref().unwrap();
//!     assert_eq!(&*guard, "tick"); // read in place: no clone
//! }
//! ```

mod publisher;
mod subscriber;

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::mem::MaybeUninit;

pub use self::publisher::{Publish, Publisher};
pub use self::subscriber::{Recv, RecvGuard, RecvRef, Subscriber};
use crate::sync::{AtomicU64, AtomicU8, AtomicUsize, CachePadded, Ordering, UnsafeCell};
use crate::wait::{WaitCell, WakerSet};

/// A slot's count when no subscriber is still to read it and its value is gone.
const FREE: usize = usize::MAX;
/// Positions wrap at `2^48`, so a position never collides with [`ATTACHED`]
/// or [`SETTLED`].
const POS_MASK: u64 = (1 << 48) - 1;
/// A subscriber's record while it is attached.
const ATTACHED: u64 = u64::MAX;
/// A subscriber's record once its leaving was dealt with.
const SETTLED: u64 = u64::MAX - 1;
/// A gated subscriber's position once it left (see [`Shared::GATED`]).
const GONE: u64 = u64::MAX;
/// Set in a leaver's record once it released its own share of the slots up
/// to the position in the low bits.
const UP_TO: u64 = 1 << 62;

/// The most subscribers one channel can have. (The count no longer shares a
/// word with the tail; the bound now caps the publisher's scan of departure
/// records, one per subscriber, after a subscriber leaves.)
///
/// # Examples
///
/// ```
/// let (_publisher, subs) = zerocast::multicast::channel::<u8>(4, 3);
/// assert!(subs.len() <= zerocast::multicast::MAX_SUBSCRIBERS);
/// ```
pub const MAX_SUBSCRIBERS: usize = u16::MAX as usize;

/// State shared by the publisher and every subscriber.
pub(crate) struct Shared<T> {
    /// The next position to publish: written only by the publisher, with a
    /// release store after the slot and its count.
    tail: CachePadded<AtomicU64>,
    /// Subscribers not yet dropped. Only decreases.
    attached: AtomicUsize,
    /// Per subscriber: [`ATTACHED`]; once dropped, the position it stopped
    /// at, then [`UP_TO`] with the position up to which it released its own
    /// share; [`SETTLED`] once the publisher released the rest. Empty for
    /// values that need no drop (see [`Shared::GATED`]).
    left: Box<[AtomicU64]>,
    /// Set when the publisher is gone (after its last publish).
    closed: AtomicU8,
    /// Per slot: subscribers still to read it, or [`FREE`]. Empty for
    /// values that need no drop (see [`Shared::GATED`]).
    remaining: Box<[AtomicUsize]>,
    /// Per subscriber, for values that need no drop (see
    /// [`Shared::GATED`]; empty otherwise): the position it reads next,
    /// every slot before released, or [`GONE`] once it left. Each on a line
    /// of its own, written by its subscriber only.
    read: Box<[CachePadded<AtomicU64>]>,
    /// Initialised exactly when `remaining` is not `FREE`.
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    /// `slots.len() - 1`; the length is a power of two.
    mask: u64,
    /// Subscribers' wakers, one reserved slot each.
    readers: WakerSet,
    /// The publisher's waker, woken when a slot becomes free.
    writer: CachePadded<WaitCell>,
}

// SAFETY: values move in on the publisher's thread and are read by reference
// and dropped on subscribers' threads, so sharing needs `T: Send + Sync`; the
// slot protocol above rules out data races on the cells.
unsafe impl<T: Send + Sync> Sync for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Send for Shared<T> {}

impl<T> Shared<T> {
    /// Whether the channel gates on the subscribers' positions: for values
    /// that need no drop, a slot is free once every subscriber has moved
    /// past it, so each subscriber publishes its position (a plain store to
    /// a line of its own) and the publisher reads the positions only when
    /// the room it last saw runs out. Values that need a drop keep a count
    /// per slot instead, so that the last reader drops each value at once.
    const GATED: bool = !core::mem::needs_drop::<T>();

    #[inline(always)]
    fn index(&self, pos: u64) -> usize {
        (pos & self.mask) as usize
    }

    /// Removes `n` readers' claims on the slot of `pos`; whoever removes the
    /// last one drops the value, frees the slot and wakes the publisher —
    /// the slot is freed even if the value's `drop` panics.
    fn release(&self, pos: u64, n: usize) {
        let i = self.index(pos);
        let before = self.remaining[i].fetch_sub(n, Ordering::AcqRel);
        debug_assert!(before != FREE && before >= n);
        if before == n {
            let freed = Freed { shared: self, i };
            // SAFETY: every reader of this slot is done with it (AcqRel above
            // ordered their reads before this), so it is ours to drop, once.
            self.slots[i].with_mut(|p| unsafe { (*p).assume_init_drop() });
            drop(freed);
        }
    }

    /// Releases subscriber `id`'s share of the slots from where it (or its
    /// own release) stopped up to `tail`, if it left and nobody claimed that
    /// yet. The publisher calls this with its next position: every slot
    /// before was published while it still counted the leaver. Returns
    /// whether this call claimed it.
    fn settle(&self, id: usize, tail: u64) -> bool {
        let mut record = self.left[id].load(Ordering::Acquire);
        loop {
            if record >= SETTLED {
                return false;
            }
            // The leaver may turn its position into `UP_TO` meanwhile: then
            // take over from where its own release stopped.
            match self.left[id].compare_exchange(
                record,
                SETTLED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => record = now,
            }
        }
        self.release_range(record & POS_MASK, tail);
        true
    }

    /// Releases one share of each slot from `from` up to `to`. A value
    /// whose `drop` panics does not stop it: the rest are released while the
    /// panic unwinds (a second panic aborts, as in a `Vec`'s drop).
    fn release_range(&self, from: u64, to: u64) {
        let mut rest = Rest {
            shared: self,
            pos: from,
            to,
        };
        rest.release();
    }
}

/// Marks a slot free and wakes the publisher when dropped: after its value
/// was dropped, or while a panic of that drop unwinds.
struct Freed<'a, T> {
    shared: &'a Shared<T>,
    i: usize,
}

impl<T> Drop for Freed<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.shared.remaining[self.i].store(FREE, Ordering::Release);
        // The publisher re-checks after `fence::heavy` when it registers.
        crate::wait::fence::light();
        self.shared.writer.wake_fenced();
    }
}

/// The shares of `pos..to` still to release; whatever is left when it
/// drops (a value's `drop` panicked) is released then.
struct Rest<'a, T> {
    shared: &'a Shared<T>,
    pos: u64,
    to: u64,
}

impl<T> Rest<'_, T> {
    fn release(&mut self) {
        while self.pos != self.to {
            let pos = self.pos;
            self.pos = (pos + 1) & POS_MASK;
            self.shared.release(pos, 1);
        }
    }
}

impl<T> Drop for Rest<'_, T> {
    fn drop(&mut self) {
        self.release();
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Every handle is gone; every published slot was released by its
        // readers or on behalf of the subscribers that left.
        debug_assert!(self
            .remaining
            .iter()
            .all(|r| r.load(Ordering::Relaxed) == FREE));
    }
}

/// Creates a channel of `capacity` slots (rounded up to a power of two) and
/// `subscribers` subscribers, all allocated now and never again.
///
/// # Panics
///
/// If `capacity` is zero or above `2^32`, or `subscribers` is zero or above
/// [`MAX_SUBSCRIBERS`].
///
/// # Examples
///
/// ```
/// let (mut publisher, mut subs) = zerocast::multicast::channel::<u32>(4, 2);
/// publisher.try_publish(1).unwrap();
/// for sub in &mut subs {
///     assert_eq!(sub.try_recv(), Ok(1)); // every subscriber sees every message
/// }
/// ```
#[track_caller]
pub fn channel<T>(capacity: usize, subscribers: usize) -> (Publisher<T>, Vec<Subscriber<T>>) {
    assert!(
        capacity > 0 && capacity <= 1 << 32,
        "multicast::channel capacity must be between 1 and 2^32, got {capacity}"
    );
    assert!(
        subscribers > 0 && subscribers <= MAX_SUBSCRIBERS,
        "multicast::channel needs 1..={MAX_SUBSCRIBERS} subscribers, got {subscribers}"
    );
    let slots = capacity.next_power_of_two();
    // Before any handle exists: both sides then agree on the fences.
    crate::wait::fence::init();
    crate::prefetch::init();
    let shared = Arc::new(Shared {
        tail: CachePadded::new(AtomicU64::new(0)),
        attached: AtomicUsize::new(subscribers),
        left: (0..if Shared::<T>::GATED { 0 } else { subscribers })
            .map(|_| AtomicU64::new(ATTACHED))
            .collect(),
        closed: AtomicU8::new(0),
        remaining: (0..if Shared::<T>::GATED { 0 } else { slots })
            .map(|_| AtomicUsize::new(FREE))
            .collect(),
        read: (0..if Shared::<T>::GATED { subscribers } else { 0 })
            .map(|_| CachePadded::new(AtomicU64::new(0)))
            .collect(),
        slots: (0..slots)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect(),
        mask: slots as u64 - 1,
        readers: WakerSet::new(subscribers),
        writer: CachePadded::new(WaitCell::new()),
    });
    let subs = (0..subscribers)
        .map(|id| Subscriber::new(shared.clone(), id))
        .collect();
    (Publisher::new(shared, subscribers), subs)
}

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests;

#[cfg(all(test, zerocast_loom))]
mod loom;
