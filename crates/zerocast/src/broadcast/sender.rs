//! [`Sender`]: publishes into the ring, never waiting for receivers.

use alloc::sync::Arc;
use core::fmt;

use super::{Receiver, Shared};
use crate::error::SendError;
use crate::sync::Ordering;

/// The sending half of a broadcast channel. `Clone`: any number of senders,
/// on any threads; the channel closes when the last one is dropped.
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = zerocast::broadcast::channel::<u32>(8);
/// let tx2 = tx.clone();
/// std::thread::spawn(move || tx2.send(2).unwrap()).join().unwrap();
/// tx.send(3).unwrap();
/// assert_eq!((rx.try_recv(), rx.try_recv()), (Ok(2), Ok(3)));
/// ```
pub struct Sender<T> {
    pub(super) shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(shared: Arc<Shared<T>>) -> Self {
        Self { shared }
    }

    /// Sends `value` to every receiver, overwriting the oldest message once the
    /// ring is full (receivers that had not read it get `Lagged`). Never
    /// allocates, and never waits for slow receivers: once per margin's worth
    /// of sends (see the module docs) it waits for any receiver in the middle
    /// of reading a message it releases, and for any sender still writing one.
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
        let pos = shared.claim();
        // SAFETY: we just claimed `pos`.
        let replaced = unsafe { shared.write(pos, value) };
        shared.handles.wake_all();
        // The overwritten value is dropped last: if its drop panics, the
        // message is sent and the receivers are woken.
        drop(replaced);
        Ok(())
    }

    /// A new receiver that starts at the next message sent. Its waker slot is
    /// reserved now (an allocation only when all reserved slots are taken).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = zerocast::broadcast::channel::<u32>(4);
    /// tx.send(1).unwrap();
    /// let mut late = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(late.try_recv(), Ok(2)); // starts at the next message sent
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared
            .add_receiver(self.shared.ends.tail.load(Ordering::Acquire))
    }

    /// How many receivers there are now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = zerocast::broadcast::channel::<u32>(4);
    /// let rx2 = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// drop((rx, rx2));
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.handles.receivers()
    }

    /// The ring's capacity (the requested capacity rounded up to a power of two).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = zerocast::broadcast::channel::<u32>(5);
    /// assert_eq!(tx.capacity(), 8);
    /// ```
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
