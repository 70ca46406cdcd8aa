//! Lossy fan-out (the SPMC ring profile): every receiver sees every message
//! unless it falls more than `capacity` messages behind, in which case it is
//! told how many it missed ([`RecvError::Lagged`](crate::RecvError::Lagged))
//! and goes on from the oldest message kept. Senders never wait for slow
//! receivers, only (rarely, see below) for one in the middle of reading a
//! message they are about to overwrite.
//!
//! [`channel`] returns a [`Sender`] (`Clone`: many senders) and a first
//! [`Receiver`]; [`Sender::subscribe`] adds receivers at any time, each starting
//! at the next message with its waker slot reserved then. Receivers take clones
//! (`T: Clone`) or read in place through a [`RecvGuard`]. Nothing allocates per
//! message, waiting included; `subscribe` allocates only when the channel's
//! waker slots (8 with the channel, then 64 at a time) are all taken.
//!
//! # Protocol
//!
//! Senders claim positions with one `fetch_add` on the tail — no global lock.
//! The ring has twice `capacity` slots (at least 32): a receiver more than
//! `capacity` messages behind is told it lagged, and the other half, the
//! *margin*, lets senders run ahead of the slowest reader without meeting it.
//! Slot `pos % slots` holds a value and the position it was sent at (an
//! atomic); senders write a position only below a *limit*, and a receiver
//! reads one only at or above *released* (`limit - slots`).
//!
//! A receiver reads with no read-modify-write: it publishes the position it
//! is about to read in a word of its own (on its waker slot's cache line),
//! checks that the position is not released, reads the slot's position
//! (equal: the message is there; older: not yet written, `Empty`), clones or
//! borrows the value, and clears its word. The sender that claims the limit
//! moves it on by the margin: it raises *released*, waits for any receiver
//! whose word shows a position now released (one still reading it) and for
//! the senders of those positions to have written them, then raises the
//! limit. So no receiver reads a slot while it is written, and senders a ring
//! apart never share a slot: a send is a claim, a write and a `Release` store
//! of the position, with no lock. The receiver's publish and the sender's
//! raise are the two halves of a fence, so either the receiver sees the new
//! bound and stops, or the sender sees the receiver and waits for it: from a
//! margin of 256 slots (a capacity of 256 or more) an asymmetric one
//! ([`wait`](crate::wait)'s: a compiler fence per read, a `membarrier` system
//! call per margin's worth of sends on Linux), below it or without that call
//! two `SeqCst` fences. A sender then wakes the receivers that registered (one
//! read-modify-write when none did).
//!
//! **Head-of-line blocking:** a [`RecvGuard`] keeps its position published,
//! so a sender that must release that position waits until the guard is
//! dropped. Keep guards short and never hold one across an `.await` or while
//! sending on the same channel from the same thread.
//!
//! # Examples
//!
//! ```
//! use zerocast::{RecvError, TryRecvError};
//!
//! # futures_executor::block_on(async {
//! let (tx, mut early) = zerocast::broadcast::channel::<u64>(4);
//! tx.send(1).unwrap();
//! let mut late = tx.subscribe(); // starts at the next message
//! for v in 2..=6 {
//!     tx.send(v).unwrap();
//! }
//! // `early` is 6 messages behind a ring of 4: told, not silently skipped.
//! assert_eq!(early.recv().await, Err(RecvError::Lagged(2)));
//! assert_eq!(early.recv().await, Ok(3));
//! assert_eq!(late.try_recv(), Err(TryRecvError::Lagged(1)));
//! assert_eq!(late.try_recv(), Ok(3));
//! # });
//! ```

mod receiver;
mod sender;

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

pub use self::receiver::{Receiver, RecvGuard};
pub use self::sender::Sender;
use crate::sync::{fence, AtomicUsize, CachePadded, Ordering, UnsafeCell};
use crate::wait::Handles;

/// One slot of the ring.
struct Slot<T> {
    /// The position of the value held (a lap before the slot's first position
    /// while empty). Written by that position's sender after the value
    /// (Release).
    pos: AtomicUsize,
    /// The value; `None` only before the first write. Written only by the
    /// sender of a position below the limit, while no receiver reads the
    /// slot and no other sender writes it (the limit protocol); read by
    /// receivers that saw `pos` equal to theirs.
    value: UnsafeCell<Option<T>>,
}

/// The positions every sender and receiver reads, on one cache line.
struct Ends {
    /// The next position a sender claims.
    tail: AtomicUsize,
    /// Senders write positions below this only.
    limit: AtomicUsize,
    /// Positions below this may be rewritten (it is `limit - slots`, raised
    /// before the limit): receivers read positions at or above it only.
    released: AtomicUsize,
}

/// State shared by the senders and receivers of one channel.
struct Shared<T> {
    ends: CachePadded<Ends>,
    slots: Box<[Slot<T>]>,
    /// `slots.len() - 1` (a power of two).
    mask: usize,
    /// How far behind the tail a receiver may be before it lags (a power of
    /// two, at most half the slots).
    capacity: usize,
    /// Whether the margin (`slots - capacity`) is at least
    /// [`ASYMMETRIC_MARGIN`]: the fence's halves are then a compiler fence
    /// and a `membarrier`, else two `SeqCst` fences.
    asymmetric: bool,
    /// Sender and receiver counts, close, the receivers' waker slots and
    /// their published positions.
    handles: Handles,
}

/// `a - b` as a signed distance on the wrapping position line.
#[inline]
fn distance(a: usize, b: usize) -> isize {
    a.wrapping_sub(b) as isize
}

/// A receiver's word while it reads position `at`: odd, so never the idle 0.
#[inline(always)]
fn reading(at: usize) -> usize {
    at << 1 | 1
}

/// Whether `word` is a receiver reading a position in `from..to` (compared
/// modulo `2^(usize::BITS - 1)`, as [`reading`] keeps the low bits only).
fn reads_in(word: usize, from: usize, to: usize) -> bool {
    word & 1 == 1 && (word >> 1).wrapping_sub(from) & (usize::MAX >> 1) < to.wrapping_sub(from)
}

/// Fewest slots a channel gets (otherwise twice its capacity): a sender moves
/// the limit (a fence and a look at every receiver) once per margin's worth
/// of sends, the margin being the slots beyond the capacity. Loom models use
/// the smallest ring, so that they move it.
#[cfg(not(zerocast_loom))]
const MIN_SLOTS: usize = 32;

#[cfg(zerocast_loom)]
const MIN_SLOTS: usize = 2;

/// The margin from which the fence is asymmetric (a compiler fence per read,
/// a `membarrier` per margin: up to ~5 µs while the receivers' cores are
/// busy, so at most ~20 ns a message here). Below it both halves are `SeqCst`
/// fences: one per read, still cheaper than the two read-modify-writes of a
/// read lock.
const ASYMMETRIC_MARGIN: usize = 256;

impl<T> Shared<T> {
    /// The slot of position `pos`.
    #[inline(always)]
    fn slot(&self, pos: usize) -> &Slot<T> {
        // SAFETY: `mask` is `slots.len() - 1` (`channel` makes a power of two
        // slots), so `pos & mask` is in bounds.
        unsafe { self.slots.get_unchecked(pos & self.mask) }
    }

    /// A receiver at `pos`, holding `id` in the waker set.
    fn add_receiver(self: &Arc<Self>, pos: usize) -> Receiver<T> {
        Receiver::new(self.clone(), self.handles.add_receiver(), pos)
    }

    /// Publishes `at` in a receiver's `word` as the position it reads and
    /// returns its slot if the message is there and not released; otherwise
    /// clears the word. The caller clears it after reading the value.
    #[inline(always)]
    fn begin_read(&self, word: &AtomicUsize, at: usize) -> Option<&Slot<T>> {
        // Release: a sender that sees this (or a later) word sees our earlier
        // reads done.
        word.store(reading(at), Ordering::Release);
        // The light half: a sender raising `released` runs the heavy half
        // before it looks at the words.
        self.read_fence();
        if distance(at, self.ends.released.load(Ordering::Acquire)) >= 0 {
            let slot = self.slot(at);
            // Acquire: the value its sender wrote before the position.
            if slot.pos.load(Ordering::Acquire) == at {
                return Some(slot);
            }
        }
        word.store(0, Ordering::Release);
        None
    }

    /// A reader's half of the fence between its published word and its load
    /// of `released`.
    #[inline(always)]
    fn read_fence(&self) {
        if self.asymmetric {
            crate::wait::fence::light();
        } else {
            fence(Ordering::SeqCst);
        }
    }

    /// A raising sender's half, between its store of `released` and its
    /// loads of the receivers' words.
    fn raise_fence(&self) {
        if self.asymmetric {
            crate::wait::fence::heavy();
        } else {
            fence(Ordering::SeqCst);
        }
    }

    /// Claims the next position for a sender.
    #[inline]
    fn claim(&self) -> usize {
        self.ends.tail.fetch_add(1, Ordering::AcqRel)
    }

    /// Writes `value` at position `pos` once the limit allows, and returns
    /// the value the slot held (dropped by the caller, after its wake-ups).
    ///
    /// # Safety
    ///
    /// `pos` comes from [`claim`](Self::claim), once.
    #[inline]
    unsafe fn write(&self, pos: usize, value: T) -> Option<T> {
        self.wait_for_limit(pos);
        let slot = self.slot(pos);
        // SAFETY: `pos` is ours and below the limit: no receiver reads this
        // slot, and the sender of its previous position has finished (see
        // the module docs).
        let replaced = unsafe { slot.value.with_mut(|v| (*v).replace(value)) };
        // Release: a receiver that sees `pos` sees the value.
        slot.pos.store(pos, Ordering::Release);
        replaced
    }

    /// Waits until a sender may write position `pos`; the sender that
    /// claimed the limit itself moves it on.
    #[inline]
    fn wait_for_limit(&self, pos: usize) {
        if distance(pos, self.ends.limit.load(Ordering::Acquire)) < 0 {
            return;
        }
        self.raise_limit(pos);
    }

    /// [`wait_for_limit`](Self::wait_for_limit) past the limit: the sender of
    /// the limit's own position raises it by the margin (`slots - capacity`);
    /// later ones wait for that.
    #[cold]
    #[inline(never)]
    fn raise_limit(&self, pos: usize) {
        let mut spins = 0;
        loop {
            let limit = self.ends.limit.load(Ordering::Acquire);
            if distance(pos, limit) < 0 {
                return;
            }
            if pos == limit {
                break;
            }
            crate::lock::backoff(&mut spins);
        }
        let slots = self.slots.len();
        let (from, to) = (pos.wrapping_sub(slots), pos.wrapping_sub(self.capacity));
        // Receivers that look from here on stop below `to`...
        self.ends.released.store(to, Ordering::Release);
        self.raise_fence();
        // ...and those that looked before have published what they read:
        // wait for each one still reading a position now released.
        self.handles.for_each_word(|word| {
            let mut spins = 0;
            while reads_in(word.load(Ordering::Acquire), from, to) {
                crate::lock::backoff(&mut spins);
            }
        });
        // Wait for the senders of the released positions: each slot is then
        // written by one sender at a time, in order of position.
        let mut at = from;
        while at != to {
            let mut spins = 0;
            while distance(self.slot(at).pos.load(Ordering::Acquire), at) < 0 {
                crate::lock::backoff(&mut spins);
            }
            at = at.wrapping_add(1);
        }
        // Acquire above, Release here: their reads and writes come before
        // the writes of the senders the new limit lets in.
        self.ends
            .limit
            .store(pos.wrapping_add(slots - self.capacity), Ordering::Release);
    }
}

// SAFETY: a slot's value is written only by the sender of a position below
// the limit, so no receiver reads it and no other sender writes it then (the
// protocol above);
// receivers read it only through `&T`. Values are moved in by senders
// (`T: Send`) and read by receivers on any thread (`T: Sync`).
unsafe impl<T: Send + Sync> Sync for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Send for Shared<T> {}

/// A broadcast channel holding the latest `capacity` messages (rounded up to a
/// power of two), with one receiver; add more with [`Sender::subscribe`].
///
/// The ring has twice that many slots (at least 32): a message stays in its
/// slot, and is dropped, only when a sender writes that slot again, up to
/// that many messages later.
///
/// # Panics
///
/// If `capacity` is zero or above `isize::MAX / 4`.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = zerocast::broadcast::channel::<&str>(8);
/// tx.send("hello").unwrap();
/// assert_eq!(rx.try_recv(), Ok("hello"));
/// ```
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast capacity must be at least 1");
    assert!(
        capacity <= isize::MAX as usize / 4,
        "broadcast capacity too large"
    );
    // Before any receiver reads: both halves of the fence then agree.
    crate::wait::fence::init();
    let capacity = capacity.next_power_of_two();
    let len = (2 * capacity).max(MIN_SLOTS);
    let slots: Vec<_> = (0..len)
        .map(|i| Slot {
            pos: AtomicUsize::new(i.wrapping_sub(len)),
            value: UnsafeCell::new(None),
        })
        .collect();
    let shared = Arc::new(Shared {
        ends: CachePadded::new(Ends {
            tail: AtomicUsize::new(0),
            // The first lap writes empty slots: nothing to release.
            limit: AtomicUsize::new(len),
            released: AtomicUsize::new(0),
        }),
        slots: slots.into_boxed_slice(),
        mask: len - 1,
        capacity,
        asymmetric: len - capacity >= ASYMMETRIC_MARGIN,
        handles: Handles::new(),
    });
    let receiver = shared.add_receiver(0);
    (Sender::new(shared), receiver)
}

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests;

#[cfg(all(test, zerocast_loom))]
mod loom;
