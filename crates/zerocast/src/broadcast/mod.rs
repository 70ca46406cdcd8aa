//! Lossy fan-out (the SPMC ring profile): every receiver sees every message
//! unless it falls a whole ring behind, in which case it is told how many it
//! missed ([`RecvError::Lagged`](crate::RecvError::Lagged)) and goes on from the
//! oldest message still held. The sender never waits for slow receivers.
//!
//! [`channel`] returns a [`Sender`] (`Clone`: many senders) and a first
//! [`Receiver`]; [`Sender::subscribe`] adds receivers at any time, each starting
//! at the next message with its waker slot reserved then. Receivers take clones
//! (`T: Clone`) or read in place through a [`RecvGuard`]. Nothing allocates per
//! message, waiting included; `subscribe` allocates only when the channel's
//! waker slots (reserved 64 at a time) are all taken.
//!
//! # Protocol
//!
//! Senders claim positions with one `fetch_add` on the tail — no global lock.
//! Slot `pos % capacity` carries a reader-writer lock word and the position of
//! the value it holds. A sender takes the slot's write lock, replaces the value,
//! records its position, releases the lock, and wakes the receivers that
//! registered (one read-modify-write when none did). A receiver read-locks the
//! slot of its next position and compares positions: equal means the message
//! is there, older means not yet written (`Empty`), newer means overwritten
//! (`Lagged`). Readers never wait for writers; a writer waits for the readers
//! of one slot to finish their clone.
//!
//! **Head-of-line blocking:** a [`RecvGuard`] holds its slot's read lock, so a
//! sender that comes round to that slot a ring later waits until the guard is
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
use crate::lock::SlotLock;
use crate::sync::{AtomicUsize, CachePadded, UnsafeCell};
use crate::wait::Handles;

/// One slot of the ring.
struct Slot<T> {
    lock: SlotLock,
    /// The position of the value held (a lap before the slot's first position
    /// while empty). Read and written under `lock` only.
    pos: UnsafeCell<usize>,
    /// The value; `None` only before the first write. Under `lock` only.
    value: UnsafeCell<Option<T>>,
}

/// State shared by the senders and receivers of one channel.
struct Shared<T> {
    /// The next position a sender claims.
    tail: CachePadded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    /// `capacity - 1` (the capacity is a power of two).
    mask: usize,
    /// Sender and receiver counts, close, the receivers' waker slots.
    handles: Handles,
}

/// `a - b` as a signed distance on the wrapping position line.
#[inline]
fn distance(a: usize, b: usize) -> isize {
    a.wrapping_sub(b) as isize
}

impl<T> Shared<T> {
    fn capacity(&self) -> usize {
        self.mask + 1
    }

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
}

// SAFETY: every access to a slot's cells holds its lock word; values are moved
// in by senders (`T: Send`) and read through `&T` by receivers on any thread
// (`T: Sync`).
unsafe impl<T: Send + Sync> Sync for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Send for Shared<T> {}

/// A broadcast channel holding the latest `capacity` messages (rounded up to a
/// power of two), with one receiver; add more with [`Sender::subscribe`].
///
/// # Panics
///
/// If `capacity` is zero or above `isize::MAX / 2`.
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
        capacity <= isize::MAX as usize / 2,
        "broadcast capacity too large"
    );
    let capacity = capacity.next_power_of_two();
    let slots: Vec<_> = (0..capacity)
        .map(|i| Slot {
            lock: SlotLock::new(),
            pos: UnsafeCell::new(i.wrapping_sub(capacity)),
            value: UnsafeCell::new(None),
        })
        .collect();
    let shared = Arc::new(Shared {
        tail: CachePadded::new(AtomicUsize::new(0)),
        slots: slots.into_boxed_slice(),
        mask: capacity - 1,
        handles: Handles::new(),
    });
    let receiver = shared.add_receiver(0);
    (Sender::new(shared), receiver)
}

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests;

#[cfg(all(test, zerocast_loom))]
mod loom;
