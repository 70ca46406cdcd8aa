//! [`Sender`]: overwrites the mailbox's slot.

use alloc::sync::Arc;
use core::fmt;

use super::Shared;
use crate::error::SendError;
use crate::sync::Ordering;

/// The sending half of a mailbox. `Clone`: racing senders are fine, and the
/// value left in the slot is always the one whose send came last.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(shared: Arc<Shared<T>>) -> Self {
        Self { shared }
    }

    /// Puts `value` in the slot, handing back the unread value it replaced,
    /// and wakes the receivers that wait (each once). Never allocates.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value when every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = zerocast::mailbox::channel();
    /// assert_eq!(tx.send('a'), Ok(None));
    /// assert_eq!(tx.send('b'), Ok(Some('a')));
    /// assert_eq!(rx.try_recv(), Ok('b'));
    /// ```
    pub fn send(&self, value: T) -> Result<Option<T>, SendError<T>> {
        if self.shared.receivers.load(Ordering::Relaxed) == 0 {
            return Err(SendError(value));
        }
        let replaced = self.shared.slot.with(|slot| slot.replace(value));
        self.shared.wakers.wake_all();
        Ok(replaced)
    }

    /// How many receivers there are now.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(Ordering::Relaxed)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Self::new(self.shared.clone())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.closed.store(true, Ordering::Release);
            self.shared.wakers.wake_all();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("receivers", &self.receiver_count())
            .finish()
    }
}
