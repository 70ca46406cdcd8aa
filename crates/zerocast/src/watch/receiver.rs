//! [`Receiver`]: reads the latest value in place and waits for new versions.

use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::ops::Deref;
use core::task::{Context, Poll};

use super::{Shared, Slot};
use crate::error::{Closed, RecvError, TryRecvError};
use crate::reader::BufferReader;

/// A reader of a watch channel, with the version it saw last and its own
/// waker slot. `Clone` (the clone has seen what this one saw, and reserves a
/// slot of its own).
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = zerocast::watch::channel(0);
/// rx.borrow_and_update();
/// let twin = rx.clone(); // has seen what `rx` saw
/// tx.send(1).unwrap();
/// assert_eq!((rx.has_changed(), twin.has_changed()), (Ok(true), Ok(true)));
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    id: usize,
    /// The version this receiver saw last.
    seen: usize,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, id: usize, seen: usize) -> Self {
        Self { shared, id, seen }
    }

    /// Reads the current value in place, without marking it seen.
    ///
    /// The sender can keep sending while the [`Ref`] lives (except
    /// [`send_modify`](super::Sender::send_modify), which waits for it).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, rx) = zerocast::watch::channel(String::from("a"));
    /// tx.send("b".to_owned()).unwrap();
    /// assert_eq!(*rx.borrow(), "b");
    /// assert_eq!(rx.has_changed(), Ok(true)); // borrowing does not mark it seen
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        let (slot, version) = self.shared.pin();
        Ref {
            slot,
            changed: version != self.seen,
            _not_send: PhantomData,
        }
    }

    /// Reads the current value in place and marks it seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert!(rx.borrow_and_update().has_changed());
    /// assert!(!rx.borrow().has_changed());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let (slot, version) = self.shared.pin();
        let changed = version != self.seen;
        self.seen = version;
        Ref {
            slot,
            changed,
            _not_send: PhantomData,
        }
    }

    /// Whether a version this receiver has not seen is current.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the sender is gone and the current version was seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::watch::channel(0);
    /// assert_eq!(rx.has_changed(), Ok(true)); // a new receiver sees the current value once
    /// rx.borrow_and_update();
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// rx.borrow_and_update();
    /// drop(tx);
    /// assert_eq!(rx.has_changed(), Err(zerocast::Closed));
    /// ```
    pub fn has_changed(&self) -> Result<bool, Closed> {
        if self.shared.version() != self.seen {
            return Ok(true);
        }
        if self.shared.handles.is_closed() {
            // The sender's last store happened before it closed.
            return if self.shared.version() != self.seen {
                Ok(true)
            } else {
                Err(Closed)
            };
        }
        Ok(false)
    }

    /// Marks the current version seen if it was not; whether it was new.
    fn take_change(&mut self) -> Result<bool, Closed> {
        let changed = self.has_changed()?;
        if changed {
            self.seen = self.shared.version();
        }
        Ok(changed)
    }

    /// Polls for a version this receiver has not seen, marking it seen; on
    /// `Pending`, `cx`'s waker is stored in this receiver's own slot (no
    /// allocation).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (mut tx, mut rx) = zerocast::watch::channel(0);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// // A new receiver sees the current value once.
    /// assert_eq!(rx.poll_changed(&mut cx), Poll::Ready(Ok(())));
    /// assert!(rx.poll_changed(&mut cx).is_pending());
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.poll_changed(&mut cx), Poll::Ready(Ok(())));
    /// assert_eq!(*rx.borrow(), 1);
    /// ```
    pub fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        match self.take_change() {
            Ok(false) => {}
            done => return Poll::Ready(done.map(drop)),
        }
        // SAFETY: `self.id` is this receiver's own slot, and `&mut self`
        // keeps its registrations one at a time.
        unsafe { self.shared.handles.register(self.id, cx.waker()) };
        match self.take_change() {
            Ok(false) => Poll::Pending,
            done => Poll::Ready(done.map(drop)),
        }
    }

    /// Waits (without allocating) for a version this receiver has not seen and
    /// marks it seen; read it with [`borrow`](Self::borrow).
    ///
    /// # Errors
    ///
    /// [`Closed`] when the sender is gone and the current version was seen.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (mut tx, mut rx) = zerocast::watch::channel(0);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// rx.changed().await.unwrap();
    /// assert_eq!(*rx.borrow(), 2); // only the newest version is kept
    /// drop(tx);
    /// assert_eq!(rx.changed().await, Err(zerocast::Closed));
    /// # });
    /// ```
    pub fn changed(&mut self) -> impl Future<Output = Result<(), Closed>> + '_ {
        core::future::poll_fn(|cx| self.poll_changed(cx))
    }

    /// Blocks this thread (spin, then park; no allocation after the thread's
    /// first blocking call) until a version this receiver has not seen is
    /// current, and marks it seen.
    ///
    /// # Errors
    ///
    /// As [`changed`](Self::changed).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::watch::channel(0u32);
    /// rx.borrow_and_update(); // seen: the next change is the sender's
    /// let t = std::thread::spawn(move || tx.send(7).unwrap());
    /// rx.changed_blocking().unwrap();
    /// assert_eq!(*rx.borrow(), 7);
    /// t.join().unwrap();
    /// ```
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    pub fn changed_blocking(&mut self) -> Result<(), Closed> {
        crate::park::prepare();
        crate::park::wait(
            self,
            |rx| rx.has_changed() != Ok(false),
            |rx, cx| rx.poll_changed(cx),
        )
    }

    /// A clone of the current value, marked seen.
    fn take_clone(&mut self) -> T
    where
        T: Clone,
    {
        T::clone(&self.borrow_and_update())
    }
}

impl<T: Clone + Send + Sync> BufferReader<T> for Receiver<T> {
    /// Ready with a clone of the newest version once one this receiver has not
    /// seen is current (intermediate versions are skipped by design: a watch
    /// never lags).
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        match self.poll_changed(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(self.take_clone())),
            Poll::Ready(Err(Closed)) => Poll::Ready(Err(RecvError::Closed)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.has_changed() {
            Ok(true) => Ok(self.take_clone()),
            Ok(false) => Err(TryRecvError::Empty),
            Err(Closed) => Err(TryRecvError::Closed),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.add_receiver(self.seen)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.handles.remove_receiver(self.id);
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("value", &*self.borrow())
            .field("seen", &self.seen)
            .finish()
    }
}

/// The current value, read in place; `!Send`. While it lives, the sender's
/// [`send_modify`](super::Sender::send_modify) waits.
///
/// # Examples
///
/// ```
/// let (mut tx, rx) = zerocast::watch::channel(vec![1, 2, 3]);
/// let current = rx.borrow();
/// assert_eq!(current.len(), 3); // read in place: no clone of the Vec
/// tx.send(vec![4]).unwrap(); // a plain send does not wait for the borrow
/// assert_eq!(*current, [1, 2, 3]);
/// ```
pub struct Ref<'a, T> {
    slot: &'a Slot<T>,
    changed: bool,
    _not_send: PhantomData<*const ()>,
}

impl<T> Ref<'_, T> {
    /// Whether this value's version was new to the receiver when borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert!(rx.borrow_and_update().has_changed());
    /// assert!(!rx.borrow_and_update().has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        self.changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the read lock is held for the guard's life and the slot was
        // current when taken, so it holds a complete value no writer touches.
        let value = unsafe { self.slot.value.with(|v| &*v) };
        value.as_ref().expect("a current slot holds a value")
    }
}

impl<T> Drop for Ref<'_, T> {
    fn drop(&mut self) {
        self.slot.lock.unlock_read();
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}
