//! [`Sender`]: overwrites the mailbox's slot.

use alloc::sync::Arc;
use core::fmt;

use super::Shared;
use crate::error::SendError;

/// The sending half of a mailbox. `Clone`: racing senders are fine, and the
/// value left in the slot is always the one whose send came last.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = zerocast::mailbox::channel::<&str>();
/// let other = tx.clone();
/// tx.send("old").unwrap();
/// assert_eq!(other.send("new"), Ok(Some("old"))); // the replaced value comes back
/// assert_eq!(rx.try_recv(), Ok("new"));
/// ```
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
        if self.shared.handles.receivers() == 0 {
            return Err(SendError(value));
        }
        let replaced = self.shared.put(value);
        self.shared.handles.wake_all();
        Ok(replaced)
    }

    /// How many receivers there are now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = zerocast::mailbox::channel::<u32>();
    /// let rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// drop((rx, rx2));
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.handles.receivers()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.handles.add_sender();
        Self::new(self.shared.clone())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.handles.remove_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("receivers", &self.receiver_count())
            .finish()
    }
}
