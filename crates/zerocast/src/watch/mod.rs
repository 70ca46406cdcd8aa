//! The latest value: one [`Sender`] replaces it, any number of [`Receiver`]s
//! read it in place and wait for the next version with
//! [`changed`](Receiver::changed).
//!
//! # Protocol
//!
//! The value lives in one of three slots (triple buffering), each with a
//! reader-writer lock word. One atomic word holds the current version and
//! which slot holds it. [`Sender::send`] writes a slot that is not current —
//! readers of the current value never hold it up — then publishes the new
//! version with one store and wakes the receivers that registered. A reader
//! read-locks the current slot and checks the word is unchanged, so a
//! [`Ref`] always shows one complete value with its version. The sender waits
//! for readers only in [`Sender::send_modify`] (it edits the current value in
//! place, so it waits for outstanding [`Ref`]s of it) and when both older
//! slots are still borrowed. Keep [`Ref`]s short.
//!
//! A new receiver — the first one, a clone, or one from
//! [`Sender::subscribe`] — sees the current value once: its first `changed`
//! completes at once.
//!
//! # Examples
//!
//! ```
//! # futures_executor::block_on(async {
//! let (mut tx, mut rx) = zerocast::watch::channel(0u32);
//! rx.changed().await.unwrap(); // a new receiver sees the current value once
//! tx.send(5).unwrap();
//! rx.changed().await.unwrap();
//! assert_eq!(*rx.borrow_and_update(), 5);
//! drop(tx);
//! assert!(rx.changed().await.is_err()); // closed, nothing newer
//! # });
//! ```

mod receiver;
mod sender;

use alloc::sync::Arc;

pub use self::receiver::{Receiver, Ref};
pub use self::sender::Sender;
use crate::lock::{backoff, SlotLock};
use crate::sync::{AtomicUsize, CachePadded, Ordering, UnsafeCell};
use crate::wait::Handles;

/// Slots: the current value, one a reader may still hold, one to write.
const SLOTS: usize = 3;
/// Low bits of the state word naming the current slot.
const SLOT_BITS: u32 = 2;

struct Slot<T> {
    lock: SlotLock,
    /// `Some` in the current slot always; older slots may hold a stale value
    /// or be empty. Under `lock` only.
    value: UnsafeCell<Option<T>>,
}

struct Shared<T> {
    /// `version << SLOT_BITS | slot` of the current value.
    current: CachePadded<AtomicUsize>,
    slots: [Slot<T>; SLOTS],
    /// Sender and receiver counts, close, the receivers' waker slots.
    handles: Handles,
}

fn pack(version: usize, slot: usize) -> usize {
    version.wrapping_shl(SLOT_BITS) | slot
}

fn slot_of(state: usize) -> usize {
    state & ((1 << SLOT_BITS) - 1)
}

fn version_of(state: usize) -> usize {
    state >> SLOT_BITS
}

impl<T> Shared<T> {
    /// A receiver whose last seen version is `seen`.
    fn add_receiver(self: &Arc<Self>, seen: usize) -> Receiver<T> {
        Receiver::new(self.clone(), self.handles.add_receiver(), seen)
    }

    /// Read-locks the current slot; returns it with its version.
    fn pin(&self) -> (&Slot<T>, usize) {
        let shared = self;
        let mut spins = 0;
        loop {
            let state = shared.current.load(Ordering::Acquire);
            let slot = &shared.slots[slot_of(state)];
            if slot.lock.try_read() {
                // Still current? Otherwise the slot may hold a newer value
                // than `state` says: let go and look again.
                if shared.current.load(Ordering::Acquire) == state {
                    return (slot, version_of(state));
                }
                slot.lock.unlock_read();
            }
            backoff(&mut spins);
        }
    }

    /// The version of the current value.
    fn version(&self) -> usize {
        version_of(self.current.load(Ordering::Acquire))
    }
}

// SAFETY: slot cells are reached only under their lock words; values are moved
// in by the sender (`T: Send`) and read through `&T` on any thread (`T: Sync`).
unsafe impl<T: Send + Sync> Sync for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Send for Shared<T> {}

/// A watch channel holding `initial`.
///
/// # Examples
///
/// ```
/// let (tx, rx) = zerocast::watch::channel("boot");
/// assert_eq!(*rx.borrow(), "boot");
/// assert_eq!(*tx.borrow(), "boot");
/// ```
pub fn channel<T>(initial: T) -> (Sender<T>, Receiver<T>) {
    let slot = |value| Slot {
        lock: SlotLock::new(),
        value: UnsafeCell::new(value),
    };
    let shared = Arc::new(Shared {
        current: CachePadded::new(AtomicUsize::new(pack(0, 0))),
        slots: [slot(Some(initial)), slot(None), slot(None)],
        handles: Handles::new(),
    });
    let receiver = shared.add_receiver(usize::MAX);
    (Sender::new(shared), receiver)
}

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests;

#[cfg(all(test, zerocast_loom))]
mod loom;
