//! Allocation-free waiting: [`WaitCell`], a single-waiter slot, and
//! [`WakerSet`], one reserved slot per subscriber.
//!
//! # The protocol
//!
//! A waiter that finds nothing to do **registers** its waker, then **checks
//! again** before returning `Pending`. A notifier **publishes** (stores the new
//! state of its channel), then **notifies**. Both the registration and the
//! notification are read-modify-write operations on the same atomic, so they
//! are totally ordered: either the notification comes later and sees the
//! waiter, or the registration comes later, synchronises with the notification
//! and its second check sees what was published. No wake-up is lost, and no
//! `SeqCst` fence is needed (which also keeps the protocol exactly modelled by
//! loom; that is why the slot is ours rather than `atomic-waker`'s, whose
//! atomics loom cannot see).
//!
//! A channel whose notifier runs once per message can do better than an RMW
//! per message: the crate-private `fence` module pairs a nearly free fence on the notifier's side
//! with a costly one on the waiter's (a `membarrier` system call on Linux),
//! and `WaitCell::wake_fenced` then only loads the state. The SPSC channel
//! uses that pair in both directions.
//!
//! Registering clones the waker only when it differs from the stored one
//! (`Waker::will_wake`), and a wake-up leaves the stored waker in place (the
//! notifier wakes a clone, after letting go of the slot), so a task that
//! waits again and again stores nothing new. A channel's own handles, the one
//! registrant of their slot, then re-register with a single read-modify-write
//! (the set's mask bit, or the cell's waiter mark). Spurious wake-ups are
//! possible and harmless; the latest waker wins.
//!
//! # Examples
//!
//! ```
//! use zerocast::wait::{WaitCell, WakerSet};
//!
//! let cell = WaitCell::new(); // one waiter
//! cell.register(std::task::Waker::noop());
//! cell.wake();
//!
//! let set = WakerSet::new(2); // a slot per subscriber, reserved now
//! set.register(1, std::task::Waker::noop());
//! set.wake_all();
//! assert!(!cell.is_waiting() && !set.is_waiting(1));
//! ```

mod cell;
pub(crate) mod fence;
#[cfg(feature = "alloc")]
mod handles;
#[cfg(feature = "alloc")]
mod set;

pub use cell::WaitCell;
#[cfg(feature = "alloc")]
pub(crate) use handles::Handles;
#[cfg(feature = "alloc")]
pub use set::WakerSet;

#[cfg(all(test, zerocast_loom))]
mod loom;
