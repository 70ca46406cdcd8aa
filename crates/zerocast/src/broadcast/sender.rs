//! [`Sender`]: publishes into the ring, never waiting for receivers.

use alloc::sync::Arc;
use core::fmt;

use super::{distance, Receiver, Shared};
use crate::error::SendError;
use crate::sync::Ordering;

/// The sending half of a broadcast channel. `Clone`: any number of senders,
/// on any threads; the channel closes when the last one is dropped.
pub struct Sender<T> {
    pub(super) shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(shared: Arc<Shared<T>>) -> Self {
        Self { shared }
    }

    /// Sends `value` to every receiver, overwriting the oldest message once the
    /// ring is full (receivers that had not read it get `Lagged`). Never waits
    /// for receivers and never allocates.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value when there is no receiver (it could never
    /// be read: a later `subscribe` starts after it).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = zerocast::broadcast::channel::<u8>(2);
    /// assert!(tx.send(1).is_ok());
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let shared = &*self.shared;
        if shared.handles.receivers() == 0 {
            return Err(SendError(value));
        }
        let pos = shared.ends.tail.fetch_add(1, Ordering::AcqRel);
        shared.wait_for_limit(pos);
        let slot = shared.slot(pos);
        let held = slot.lock.write();
        let replaced = if distance(slot.pos.load(Ordering::Relaxed), pos) > 0 {
            // A sender a whole ring ahead of us got here first: our message
            // is already overwritten for every receiver, who will see it
            // counted in `Lagged`.
            Some(value)
        } else {
            // SAFETY: the write lock is held (no other sender touches the
            // value) and `pos` is below the limit, so no receiver reads the
            // slot (see the module docs).
            let old = unsafe { slot.value.with_mut(|v| (*v).replace(value)) };
            // Release: a receiver that sees `pos` sees the value.
            slot.pos.store(pos, Ordering::Release);
            old
        };
        drop(held);
        // The overwritten value is dropped outside the lock.
        drop(replaced);
        shared.handles.wake_all();
        Ok(())
    }

    /// A new receiver that starts at the next message sent. Its waker slot is
    /// reserved now (an allocation only when all reserved slots are taken).
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared
            .add_receiver(self.shared.ends.tail.load(Ordering::Acquire))
    }

    /// How many receivers there are now.
    pub fn receiver_count(&self) -> usize {
        self.shared.handles.receivers()
    }

    /// The ring's capacity (the requested capacity rounded up to a power of two).
    pub fn capacity(&self) -> usize {
        self.shared.capacity
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
            .field("capacity", &self.capacity())
            .field("receivers", &self.receiver_count())
            .finish()
    }
}
