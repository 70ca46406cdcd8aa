//! [`Sender`]: the one writer of a watch channel.

use alloc::sync::Arc;
use core::fmt;

use super::{pack, slot_of, version_of, Receiver, Shared, SLOTS};
use crate::error::SendError;
use crate::lock::backoff;
use crate::sync::Ordering;

/// The sending half of a watch channel: one writer, by type (not `Clone`,
/// every write takes `&mut self`).
///
/// # Examples
///
/// ```
/// let (mut tx, rx) = zerocast::watch::channel(0u64);
/// tx.send_modify(|v| *v += 10);
/// assert_eq!(*rx.borrow(), 10);
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(shared: Arc<Shared<T>>) -> Self {
        Self { shared }
    }

    /// Publishes `value` as the new current value and wakes the waiting
    /// receivers. Never allocates; never waits for readers of the current value.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value when there is no receiver; the current
    /// value is then unchanged (use [`send_replace`](Self::send_replace) to
    /// store it regardless).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, rx) = zerocast::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// ```
    pub fn send(&mut self, value: T) -> Result<(), SendError<T>> {
        if self.shared.handles.receivers() == 0 {
            return Err(SendError(value));
        }
        // The value displaced is a stale one no reader holds: drop it now,
        // outside every lock.
        drop(self.store(value));
        Ok(())
    }

    /// Publishes `value` whether or not there are receivers, and returns the
    /// previous current value.
    ///
    /// Waits for readers still borrowing the previous value (a [`Ref`](super::Ref)
    /// taken just before the switch) to let go of it.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = zerocast::watch::channel(1);
    /// assert_eq!(tx.send_replace(2), 1);
    /// ```
    pub fn send_replace(&mut self, value: T) -> T {
        let previous = slot_of(self.shared.current.load(Ordering::Relaxed));
        drop(self.store(value));
        let slot = &self.shared.slots[previous];
        let held = slot.lock.write();
        // SAFETY: write lock held.
        let old = unsafe { slot.value.with_mut(|v| (*v).take()) };
        drop(held);
        old.expect("the current slot always holds a value")
    }

    /// Edits the current value in place and publishes it as a new version.
    ///
    /// Waits for outstanding [`Ref`](super::Ref)s of the current value.
    ///
    /// # Panics
    ///
    /// When `modify` panics, after letting go of the value: the edits made
    /// before the panic stay and [`borrow`](super::Receiver::borrow) shows
    /// them, but no new version is published and no receiver is woken (as
    /// in tokio's watch).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, rx) = zerocast::watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify(&mut self, modify: impl FnOnce(&mut T)) {
        let shared = &*self.shared;
        let state = shared.current.load(Ordering::Relaxed);
        let slot = &shared.slots[slot_of(state)];
        // Released even if `modify` panics: readers must never wait on it.
        let held = slot.lock.write();
        // SAFETY: write lock held; the current slot always holds a value.
        unsafe {
            slot.value.with_mut(|v| {
                modify(
                    (*v).as_mut()
                        .expect("the current slot always holds a value"),
                )
            });
        }
        // Publish before unlocking: a reader that waited for this slot then
        // sees the new version and retries, so no `Ref` pairs the edited value
        // with the old version.
        shared.current.store(
            pack(version_of(state).wrapping_add(1), slot_of(state)),
            Ordering::Release,
        );
        drop(held);
        shared.handles.wake_all();
    }

    /// Writes `value` into a slot that is not current, publishes it, wakes the
    /// receivers, and returns the stale value the slot held.
    fn store(&mut self, value: T) -> Option<T> {
        let shared = &*self.shared;
        let state = shared.current.load(Ordering::Relaxed);
        let current = slot_of(state);
        let mut spins = 0;
        let (target, held) = 'found: loop {
            // Either older slot will do; both are busy only while readers
            // still borrow two older versions.
            for k in 1..SLOTS {
                let t = (current + k) % SLOTS;
                if let Some(held) = shared.slots[t].lock.try_write() {
                    break 'found (t, held);
                }
            }
            backoff(&mut spins);
        };
        let slot = &shared.slots[target];
        // SAFETY: write lock held.
        let stale = unsafe { slot.value.with_mut(|v| (*v).replace(value)) };
        // Unlock before publishing: no reader looks for this slot until the
        // store below names it.
        drop(held);
        shared.current.store(
            pack(version_of(state).wrapping_add(1), target),
            Ordering::Release,
        );
        shared.handles.wake_all();
        stale
    }

    /// The current value. The sender is the only writer, so while this borrow
    /// lives nothing can change it: no lock is taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = zerocast::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*tx.borrow(), 2);
    /// ```
    #[expect(
        clippy::should_implement_trait,
        reason = "the name `tokio::sync::watch::Sender::borrow` made familiar"
    )]
    pub fn borrow(&self) -> &T {
        let shared = &*self.shared;
        let slot = &shared.slots[slot_of(shared.current.load(Ordering::Relaxed))];
        // SAFETY: only this sender writes slots, and `&self` keeps it from
        // writing while the borrow lives; readers only read.
        let value = unsafe { slot.value.with(|v| &*v) };
        value
            .as_ref()
            .expect("the current slot always holds a value")
    }

    /// A new receiver; its first [`changed`](Receiver::changed) completes at
    /// once with the current value. Its waker slot is reserved now.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (tx, _rx) = zerocast::watch::channel("current");
    /// let mut late = tx.subscribe();
    /// late.changed().await.unwrap(); // at once: the current value is new to it
    /// assert_eq!(*late.borrow(), "current");
    /// # });
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared
            .add_receiver(self.shared.version().wrapping_sub(1))
    }

    /// How many receivers there are now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = zerocast::watch::channel(0);
    /// let rx2 = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// drop((rx, rx2));
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.handles.receivers()
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.handles.remove_sender();
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("value", self.borrow())
            .field("receivers", &self.receiver_count())
            .finish()
    }
}
