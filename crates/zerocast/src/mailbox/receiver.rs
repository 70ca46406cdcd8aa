//! [`Receiver`]: takes the mailbox's value.

use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::task::{Context, Poll};

use super::Shared;
use crate::error::{Closed, RecvError, TryRecvError};
use crate::reader::BufferReader;

/// The receiving half of a mailbox, with its own waker slot. `Clone`: several
/// receivers compete for each value (each value goes to one of them).
///
/// # Examples
///
/// ```
/// let (tx, mut a) = zerocast::mailbox::channel::<u32>();
/// let mut b = a.clone();
/// tx.send(1).unwrap();
/// assert_eq!(a.try_recv(), Ok(1));
/// assert!(b.try_recv().is_err()); // each value goes to one receiver
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    id: usize,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, id: usize) -> Self {
        Self { shared, id }
    }

    /// Takes the value if there is one, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when the slot is empty, [`TryRecvError::Closed`]
    /// when it is empty and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::TryRecvError;
    ///
    /// let (tx, mut rx) = zerocast::mailbox::channel::<u32>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(1)); // sent before the close: still delivered
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(v) = self.shared.take() {
            return Ok(v);
        }
        if !self.shared.handles.is_closed() {
            return Err(TryRecvError::Empty);
        }
        // The last sender's final send happened before it closed.
        self.shared.take().ok_or(TryRecvError::Closed)
    }

    /// Polls for the value; on `Pending`, `cx`'s waker is stored in this
    /// receiver's own slot (no allocation).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (tx, mut rx) = zerocast::mailbox::channel::<u32>();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending());
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap(); // replaces 1
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(2)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, Closed>> {
        match self.try_recv() {
            Err(TryRecvError::Empty) => {}
            done => return Poll::Ready(done.map_err(|_| Closed)),
        }
        // SAFETY: `self.id` is this receiver's own slot, and `&mut self`
        // keeps its registrations one at a time.
        unsafe { self.shared.handles.register(self.id, cx.waker()) };
        match self.try_recv() {
            Err(TryRecvError::Empty) => Poll::Pending,
            done => Poll::Ready(done.map_err(|_| Closed)),
        }
    }

    /// Waits (without allocating) for a value and takes it.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the slot is empty and every sender is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the value is taken only by the poll that returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (tx, mut rx) = zerocast::mailbox::channel::<&str>();
    /// tx.send("latest").unwrap();
    /// assert_eq!(rx.recv().await, Ok("latest"));
    /// drop(tx);
    /// assert_eq!(rx.recv().await, Err(zerocast::Closed));
    /// # });
    /// ```
    pub fn recv(&mut self) -> impl Future<Output = Result<T, Closed>> + '_ {
        core::future::poll_fn(|cx| self.poll_recv(cx))
    }

    /// Blocks this thread (spin, then park; no allocation after the thread's
    /// first blocking call) until a value comes, and takes it.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = zerocast::mailbox::channel::<u32>();
    /// let t = std::thread::spawn(move || tx.send(9).unwrap());
    /// assert_eq!(rx.recv_blocking(), Ok(9));
    /// t.join().unwrap();
    /// ```
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    pub fn recv_blocking(&mut self) -> Result<T, Closed> {
        crate::park::prepare();
        crate::park::wait(self, |_| true, |rx, cx| rx.poll_recv(cx))
    }
}

impl<T: Send> BufferReader<T> for Receiver<T> {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        Receiver::poll_recv(self, cx).map(|r| r.map_err(RecvError::from))
    }

    fn try_recv(&mut self) -> Result<T, TryRecvError> {
        Receiver::try_recv(self)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.add_receiver()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.handles.remove_receiver(self.id);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}
