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
use crate::sync::{AtomicBool, AtomicUsize, Ordering};
use crate::wait::WakerSet;

struct Shared<T> {
    slot: SpinLock<Option<T>>,
    senders: AtomicUsize,
    receivers: AtomicUsize,
    /// Set when the last sender is gone.
    closed: AtomicBool,
    wakers: WakerSet,
}

impl<T> Shared<T> {
    fn add_receiver(self: &Arc<Self>) -> Receiver<T> {
        self.receivers.fetch_add(1, Ordering::Relaxed);
        Receiver::new(self.clone(), self.wakers.reserve())
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
        senders: AtomicUsize::new(1),
        receivers: AtomicUsize::new(0),
        closed: AtomicBool::new(false),
        wakers: WakerSet::new(0),
    });
    let receiver = shared.add_receiver();
    (Sender::new(shared), receiver)
}

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests;

#[cfg(all(test, zerocast_loom))]
mod loom;
