//! [`Receiver`]: one reader of a broadcast channel, with its own position.

use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use super::{distance, Shared, Slot};
use crate::error::{RecvError, TryRecvError};
use crate::reader::BufferReader;
use crate::sync::{AtomicUsize, Ordering};

/// One reader of a broadcast channel: its own position and its own waker slot.
/// Not `Clone` (make another with [`Sender::subscribe`](super::Sender::subscribe));
/// every read takes `&mut self`.
///
/// Dropping it gives its waker slot back; senders never wait for receivers.
///
/// # Examples
///
/// ```
/// let (tx, mut first) = zerocast::broadcast::channel::<u32>(8);
/// let mut second = tx.subscribe();
/// tx.send(1).unwrap();
/// assert_eq!(first.try_recv(), Ok(1)); // each receiver reads every message
/// assert_eq!(second.try_recv(), Ok(1));
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// This receiver's slot in the waker set.
    id: usize,
    /// The next position to read.
    next: usize,
    /// The word of slot `id`, where this receiver publishes the position it
    /// reads: looked up once.
    word: NonNull<AtomicUsize>,
}

// SAFETY: as the `Arc<Shared<T>>` it holds (which is `Send` and `Sync` for
// `T: Send + Sync`); `word` points into that shared state.
unsafe impl<T: Send + Sync> Send for Receiver<T> {}
// SAFETY: as above; every method that reads takes `&mut self`.
unsafe impl<T: Send + Sync> Sync for Receiver<T> {}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, id: usize, next: usize) -> Self {
        let word = NonNull::from(shared.handles.word(id));
        Self {
            shared,
            id,
            next,
            word,
        }
    }

    /// Publishes the next position as being read and, if its message is
    /// there, moves past it and returns a guard on its slot (which clears
    /// the word). The common cases — the next message is there, or nothing
    /// was sent — are inlined; the rest (closed, lagged, a message being
    /// written) is not.
    #[inline]
    fn read_next(&mut self) -> Result<RecvGuard<'_, T>, TryRecvError> {
        // SAFETY: the word lives in the waker set of `shared`, which `self`
        // keeps alive (the set frees its slots only when it drops); the
        // guard that borrows it borrows `self`.
        let word = unsafe { self.word.as_ref() };
        let shared = &*self.shared;
        let at = self.next;
        let tail = shared.ends.tail.load(Ordering::Acquire);
        if tail == at {
            if !shared.handles.is_closed() {
                // Nothing claimed past `next`: empty, without touching the slot.
                return Err(TryRecvError::Empty);
            }
        } else if tail.wrapping_sub(at) <= shared.capacity {
            if let Some(slot) = shared.begin_read(word, at) {
                self.next = at.wrapping_add(1);
                return Ok(RecvGuard::new(slot, word));
            }
        }
        read_next_slow(shared, word, &mut self.next).map(|at| RecvGuard::new(shared.slot(at), word))
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
        self.read_next()
    }

    /// Takes a clone of the next message, without waiting.
    ///
    /// # Errors
    ///
    /// As [`try_recv_ref`](Self::try_recv_ref).
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::TryRecvError;
    ///
    /// let (tx, mut rx) = zerocast::broadcast::channel::<u32>(4);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[inline]
    pub fn try_recv(&mut self) -> Result<T, TryRecvError>
    where
        T: Clone,
    {
        self.try_recv_ref().map(|guard| T::clone(&guard))
    }

    /// Polls for a clone of the next message; on `Pending`, `cx`'s waker is
    /// stored in this receiver's reserved slot (no allocation).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (tx, mut rx) = zerocast::broadcast::channel::<u32>(4);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending()); // the waker is stored in place
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok(2)));
    /// ```
    // Not inlined: the future of `recv` (and a caller's own future around
    // it) then stays small enough for the compiler to inline into the task
    // that awaits it, which saves that future's state dispatch on every
    // message (broadcast4/async 32.6-35.8 -> 30.3-30.4 ns in alternating runs).
    #[inline(never)]
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
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::RecvError;
    ///
    /// # futures_executor::block_on(async {
    /// let (tx, mut rx) = zerocast::broadcast::channel::<u32>(2);
    /// for i in 0..3 {
    ///     tx.send(i).unwrap();
    /// }
    /// assert_eq!(rx.recv().await, Err(RecvError::Lagged(1))); // 0 was overwritten
    /// assert_eq!(rx.recv().await, Ok(1));
    /// assert_eq!(rx.recv().await, Ok(2));
    /// drop(tx);
    /// assert_eq!(rx.recv().await, Err(RecvError::Closed));
    /// # });
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = zerocast::broadcast::channel::<u64>(64);
    /// let t = std::thread::spawn(move || (0..10).for_each(|i| tx.send(i).unwrap()));
    /// let sum: u64 = (0..10).map(|_| rx.recv_blocking().unwrap()).sum();
    /// t.join().unwrap();
    /// assert_eq!(sum, 45);
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = zerocast::broadcast::channel::<u32>(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.shared
            .ends
            .tail
            .load(Ordering::Acquire)
            .wrapping_sub(self.next)
    }

    /// Whether [`len`](Self::len) is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = zerocast::broadcast::channel::<u32>(4);
    /// assert!(rx.is_empty());
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_empty());
    /// rx.try_recv().unwrap();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// [`Receiver::read_next`] when its fast path found no message: looks again
/// from `next`, telling empty, closed and lagged apart.
#[cold]
#[inline(never)]
fn read_next_slow<T>(
    shared: &Shared<T>,
    word: &AtomicUsize,
    next: &mut usize,
) -> Result<usize, TryRecvError> {
    match read_next_once(shared, word, next) {
        Err(TryRecvError::Empty) if shared.handles.is_closed() => {
            // The last sender finished every send before it closed: look
            // once more, then the stream has ended.
            match read_next_once(shared, word, next) {
                Err(TryRecvError::Empty) => Err(TryRecvError::Closed),
                other => other,
            }
        }
        other => other,
    }
}

/// Reads position `*next` for the receiver whose word is `word` if its
/// message is there (moving `*next` past it and returning the position, with
/// the word left published); moves `*next` to the oldest message kept when
/// it lagged.
#[inline]
fn read_next_once<T>(
    shared: &Shared<T>,
    word: &AtomicUsize,
    next: &mut usize,
) -> Result<usize, TryRecvError> {
    let at = *next;
    loop {
        let tail = shared.ends.tail.load(Ordering::Acquire);
        if tail == at {
            // Nothing claimed past `next`: empty, without touching the slot.
            return Err(TryRecvError::Empty);
        }
        // The oldest message kept: `capacity` behind the tail, and not released.
        let kept = tail.wrapping_sub(shared.capacity);
        let released = shared.ends.released.load(Ordering::Acquire);
        let oldest = if distance(released, kept) > 0 {
            released
        } else {
            kept
        };
        if distance(at, oldest) < 0 {
            *next = oldest;
            return Err(TryRecvError::Lagged(oldest.wrapping_sub(at) as u64));
        }
        if shared.begin_read(word, at).is_some() {
            *next = at.wrapping_add(1);
            return Ok(at);
        }
        if distance(at, shared.ends.released.load(Ordering::Acquire)) >= 0 {
            // Claimed and not written yet: its sender wakes the registered
            // receivers when done.
            return Err(TryRecvError::Empty);
        }
        // Released since we looked: count the lag.
    }
}

/// The waited-for form of a `try_recv` error that ends the wait.
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
///
/// # Examples
///
/// ```
/// let (tx, mut rx) = zerocast::broadcast::channel::<String>(8);
/// tx.send("read in place".to_owned()).unwrap();
/// let guard = rx.try_recv_ref().unwrap();
/// assert_eq!(guard.len(), 13); // no clone of the String
/// drop(guard); // the slot is let go here
/// ```
pub struct RecvGuard<'a, T> {
    slot: &'a Slot<T>,
    /// The receiver's published position, cleared when the guard drops.
    word: &'a AtomicUsize,
    _not_send: PhantomData<*const ()>,
}

impl<'a, T> RecvGuard<'a, T> {
    fn new(slot: &'a Slot<T>, word: &'a AtomicUsize) -> Self {
        Self {
            slot,
            word,
            _not_send: PhantomData,
        }
    }
}

impl<T> Deref for RecvGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the slot's position matched ours (Acquire: the value is
        // written) and our word publishes it until the guard drops, so no
        // sender rewrites the value meanwhile (see the module docs).
        let value = unsafe { self.slot.value.with(|v| &*v) };
        value
            .as_ref()
            .expect("a slot whose position matched holds a value")
    }
}

impl<T> Drop for RecvGuard<'_, T> {
    fn drop(&mut self) {
        // Release: our reads of the value come before the write of a sender
        // that sees the word cleared.
        self.word.store(0, Ordering::Release);
    }
}

impl<T: fmt::Debug> fmt::Debug for RecvGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}
