//! [`Receiver`]: one reader of a broadcast channel, with its own position.

use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::ops::Deref;
use core::task::{Context, Poll};

use super::{distance, Shared, Slot};
use crate::error::{RecvError, TryRecvError};
use crate::reader::BufferReader;
use crate::sync::Ordering;

/// One reader of a broadcast channel: its own position and its own waker slot.
/// Not `Clone` (make another with [`Sender::subscribe`](super::Sender::subscribe));
/// every read takes `&mut self`.
///
/// Dropping it gives its waker slot back; senders never wait for receivers.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// This receiver's slot in the waker set.
    id: usize,
    /// The next position to read.
    next: usize,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, id: usize, next: usize) -> Self {
        Self { shared, id, next }
    }

    /// Read-locks the slot of the next position if its message is there and
    /// moves past it. The common case — the next message is there — is
    /// inlined; the rest (empty, closed, lagged) is not.
    #[inline]
    fn lock_next(&mut self) -> Result<&Slot<T>, TryRecvError> {
        let shared = &*self.shared;
        let next = self.next;
        if shared.tail.load(Ordering::Acquire) != next {
            let slot = shared.slot(next);
            if slot.lock.try_read() {
                // SAFETY: read lock held: no writer changes `pos` now.
                if unsafe { slot.pos.with(|p| *p) } == next {
                    self.next = next.wrapping_add(1);
                    return Ok(slot);
                }
                slot.lock.unlock_read();
            }
        }
        lock_next_slow(shared, &mut self.next).map(|at| shared.slot(at))
    }

    /// Borrows the next message in place, without waiting; the guard holds
    /// the slot (see the module docs on head-of-line blocking).
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when nothing new has been sent,
    /// [`TryRecvError::Lagged`] when messages were overwritten before this
    /// receiver read them (it continues from the oldest one still held),
    /// [`TryRecvError::Closed`] when every sender is gone and everything was read.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = zerocast::broadcast::channel::<Vec<u8>>(4);
    /// tx.send(vec![1, 2, 3]).unwrap();
    /// let guard = rx.try_recv_ref().unwrap();
    /// assert_eq!(guard.len(), 3); // no clone of the Vec
    /// ```
    #[inline]
    pub fn try_recv_ref(&mut self) -> Result<RecvGuard<'_, T>, TryRecvError> {
        Ok(RecvGuard {
            slot: self.lock_next()?,
            _not_send: PhantomData,
        })
    }

    /// Takes a clone of the next message, without waiting.
    ///
    /// # Errors
    ///
    /// As [`try_recv_ref`](Self::try_recv_ref).
    #[inline]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError>
    where
        T: Clone,
    {
        self.try_recv_ref().map(|guard| T::clone(&guard))
    }

    /// Polls for a clone of the next message; on `Pending`, `cx`'s waker is
    /// stored in this receiver's reserved slot (no allocation).
    #[inline]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>>
    where
        T: Clone,
    {
        match self.try_recv() {
            Err(TryRecvError::Empty) => self.register_and_poll(cx),
            done => Poll::Ready(done.map_err(ended)),
        }
    }

    /// [`poll_recv`](Self::poll_recv) after an empty look: registers, then
    /// looks again. Out of line, so the path that finds a message stays small.
    #[cold]
    #[inline(never)]
    fn register_and_poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>>
    where
        T: Clone,
    {
        // SAFETY: `self.id` is this receiver's own slot, and `&mut self`
        // keeps its registrations one at a time.
        unsafe { self.shared.handles.register(self.id, cx.waker()) };
        // Check again: a message may have come before the registration.
        match self.try_recv() {
            Err(TryRecvError::Empty) => Poll::Pending,
            done => Poll::Ready(done.map_err(ended)),
        }
    }

    /// Waits (without allocating) for the next message and returns a clone.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged`] when messages were overwritten before this
    /// receiver read them (the next call continues from the oldest one held),
    /// [`RecvError::Closed`] when every sender is gone and everything was read.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a message is consumed only by the poll that returns it.
    pub fn recv(&mut self) -> impl Future<Output = Result<T, RecvError>> + '_
    where
        T: Clone,
    {
        core::future::poll_fn(|cx| self.poll_recv(cx))
    }

    /// Blocks this thread (spin, then park; no allocation after the thread's
    /// first blocking call) until a message comes.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    pub fn recv_blocking(&mut self) -> Result<T, RecvError>
    where
        T: Clone,
    {
        crate::park::prepare();
        match self.try_recv() {
            Err(TryRecvError::Empty) => {}
            done => return done.map_err(ended),
        }
        crate::park::wait(
            self,
            |rx| !rx.is_empty() || rx.shared.handles.is_closed(),
            |rx, cx| rx.poll_recv(cx),
        )
    }

    /// How many messages were sent that this receiver has not read yet
    /// (including ones that will turn out overwritten).
    pub fn len(&self) -> usize {
        self.shared
            .tail
            .load(Ordering::Acquire)
            .wrapping_sub(self.next)
    }

    /// Whether [`len`](Self::len) is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The waited-for form of a `try_recv` error that ends the wait.
/// [`Receiver::lock_next`] when its fast path found no message: looks again
/// from `next`, telling empty, closed and lagged apart.
#[cold]
#[inline(never)]
fn lock_next_slow<T>(shared: &Shared<T>, next: &mut usize) -> Result<usize, TryRecvError> {
    match lock_next_once(shared, next) {
        Err(TryRecvError::Empty) if shared.handles.is_closed() => {
            // The last sender finished every send before it closed: look
            // once more, then the stream has ended.
            match lock_next_once(shared, next) {
                Err(TryRecvError::Empty) => Err(TryRecvError::Closed),
                other => other,
            }
        }
        other => other,
    }
}

/// Read-locks the slot of position `*next` if its message is there, moves
/// `*next` past it and returns the position read; moves `*next` to the
/// oldest message held when it was overwritten.
fn lock_next_once<T>(shared: &Shared<T>, next: &mut usize) -> Result<usize, TryRecvError> {
    let at = *next;
    if shared.tail.load(Ordering::Acquire) == at {
        // Nothing claimed past `next`: empty, without touching the slot.
        return Err(TryRecvError::Empty);
    }
    let slot = shared.slot(at);
    if !slot.lock.try_read() {
        // A sender is replacing this slot's value right now; it wakes the
        // registered receivers when done.
        return Err(TryRecvError::Empty);
    }
    // SAFETY: read lock held: no writer changes `pos` now.
    let held = unsafe { slot.pos.with(|p| *p) };
    let ahead = distance(held, at);
    if ahead == 0 {
        *next = at.wrapping_add(1);
        return Ok(at);
    }
    slot.lock.unlock_read();
    if ahead < 0 {
        return Err(TryRecvError::Empty);
    }
    // Overwritten: a sender has claimed at least a ring past `next`.
    // Continue from the oldest position still (or about to be) held.
    let oldest = shared
        .tail
        .load(Ordering::Acquire)
        .wrapping_sub(shared.capacity());
    let missed = oldest.wrapping_sub(at) as u64;
    *next = oldest;
    Err(TryRecvError::Lagged(missed))
}

fn ended(e: TryRecvError) -> RecvError {
    match e {
        TryRecvError::Lagged(n) => RecvError::Lagged(n),
        TryRecvError::Empty | TryRecvError::Closed => RecvError::Closed,
    }
}

impl<T: Clone + Send + Sync> BufferReader<T> for Receiver<T> {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        Receiver::poll_recv(self, cx)
    }

    fn try_recv(&mut self) -> Result<T, TryRecvError> {
        Receiver::try_recv(self)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.handles.remove_receiver(self.id);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .finish()
    }
}

/// A message read in place; the slot is held until the guard drops.
/// `!Send`: it must not travel to another thread (or across an `.await` on a
/// work-stealing runtime).
pub struct RecvGuard<'a, T> {
    slot: &'a Slot<T>,
    _not_send: PhantomData<*const ()>,
}

impl<T> Deref for RecvGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the read lock is held for the guard's life, and the slot's
        // position matched, so the value is written and no writer touches it.
        let value = unsafe { self.slot.value.with(|v| &*v) };
        value
            .as_ref()
            .expect("a slot whose position matched holds a value")
    }
}

impl<T> Drop for RecvGuard<'_, T> {
    fn drop(&mut self) {
        self.slot.lock.unlock_read();
    }
}

impl<T: fmt::Debug> fmt::Debug for RecvGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}
