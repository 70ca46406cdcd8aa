//! One slot, overwritten: the receiver gets the newest value sent since it
//! last took one, and the value that survives racing senders is always the
//! last one sent.
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`], both `Clone`. A send
//! replaces the slot's value under a spin lock held for one move (never while
//! waking, never while dropping a value), hands back the unread value it
//! replaced — nothing is lost silently — and wakes only the receivers that are
//! waiting, each once. `recv` takes the value. Nothing allocates after
//! construction, waiting included.
//!
//! # Examples
//!
//! ```
//! # futures_executor::block_on(async {
//! let (tx, mut rx) = zerocast::mailbox::channel::<u32>();
//! assert_eq!(tx.send(1), Ok(None));
//! assert_eq!(tx.send(2), Ok(Some(1))); // the unread 1 is handed back
//! assert_eq!(rx.recv().await, Ok(2));
//! # });
//! ```

mod receiver;
mod sender;

use alloc::sync::Arc;

pub use self::receiver::Receiver;
pub use self::sender::Sender;
use crate::lock::SpinLock;
use crate::sync::{AtomicBool, Ordering};
use crate::wait::Handles;

struct Shared<T> {
    slot: SpinLock<Option<T>>,
    /// Whether `slot` holds a value: set and cleared under the lock, read
    /// without it so that looking into an empty mailbox costs one load.
    full: AtomicBool,
    /// Sender and receiver counts, close, the receivers' waker slots.
    handles: Handles,
}

impl<T> Shared<T> {
    /// Puts `value` in the slot; returns the value it replaced.
    fn put(&self, value: T) -> Option<T> {
        self.slot.with(|slot| {
            self.full.store(true, Ordering::Relaxed);
            slot.replace(value)
        })
    }

    /// Takes the value, if any.
    fn take(&self) -> Option<T> {
        // Acquire pairs with the lock's release by the sender that filled it;
        // a stale `false` is caught by the receiver's register-then-check.
        if !self.full.load(Ordering::Acquire) {
            return None;
        }
        self.slot.with(|slot| {
            self.full.store(false, Ordering::Relaxed);
            slot.take()
        })
    }

    fn add_receiver(self: &Arc<Self>) -> Receiver<T> {
        Receiver::new(self.clone(), self.handles.add_receiver())
    }
}

/// An empty mailbox with one sender and one receiver; clone either for more.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = zerocast::mailbox::channel();
/// tx.send("go").unwrap();
/// assert_eq!(rx.try_recv(), Ok("go"));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        slot: SpinLock::new(None),
        full: AtomicBool::new(false),
        handles: Handles::new(),
    });
    let receiver = shared.add_receiver();
    (Sender::new(shared), receiver)
}

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests;

#[cfg(all(test, zerocast_loom))]
mod loom;
