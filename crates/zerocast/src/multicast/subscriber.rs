//! [`Subscriber`]: one reader of a multicast channel, with its own cursor.

use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::ops::Deref;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::{Shared, GONE, POS_MASK, UP_TO};
use crate::error::{Closed, TryRecvError};
use crate::sync::{fence, Ordering};

/// One reader of a multicast channel. It owns its cursor and its waker slot:
/// not `Clone`, and `Sync` never (every read takes `&mut self`).
///
/// Dropping it detaches it: the publisher stops waiting for it at once.
///
/// ```compile_fail
/// let (_publisher, subs) = zerocast::multicast::channel::<u32>(4, 1);
/// let _twin = subs[0].clone();
/// ```
pub struct Subscriber<T> {
    shared: Arc<Shared<T>>,
    /// This subscriber's index in the waker set.
    id: usize,
    /// Next position to read (mod 2^48).
    pos: u64,
    /// The tail as last seen; refreshed only when caught up.
    tail: u64,
    _not_sync: PhantomData<*const ()>,
}

// SAFETY: a subscriber reads values by reference while other subscribers may
// read the same values on other threads (`T: Sync`), and may drop a value it
// read last (`T: Send`). Not `Sync`: `&mut self` everywhere.
unsafe impl<T: Send + Sync> Send for Subscriber<T> {}

impl<T> Subscriber<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, id: usize) -> Self {
        Self {
            shared,
            id,
            pos: 0,
            tail: 0,
            _not_sync: PhantomData,
        }
    }

    /// Whether a message is ready, refreshing the tail only when caught up.
    #[inline]
    fn has_message(&mut self) -> bool {
        if self.pos != self.tail {
            return true;
        }
        self.tail = self.shared.tail.load(Ordering::Acquire);
        self.pos != self.tail
    }

    /// Whether the publisher is gone and every message has been read.
    fn drained_and_closed(&mut self) -> bool {
        // The publisher sets `closed` after its last publish; seeing it
        // (Acquire) and then no message means none will come.
        self.shared.closed.load(Ordering::Acquire) != 0 && !self.has_message()
    }

    fn try_ready(&mut self) -> Result<(), TryRecvError> {
        if self.has_message() {
            Ok(())
        } else if self.drained_and_closed() {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Borrows the next message in place, without waiting; it is released
    /// (and dropped, if this was its last reader) when the guard drops.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when nothing new is published,
    /// [`TryRecvError::Closed`] when the publisher is gone and every message
    /// has been read.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut publisher, mut subs) = zerocast::multicast::channel::<Vec<u8>>(4, 1);
    /// publisher.try_publish(vec![1, 2, 3]).unwrap();
    /// let guard = subs[0].try_recv_ref().unwrap();
    /// assert_eq!(guard.len(), 3); // no clone of the Vec
    /// ```
    pub fn try_recv_ref(&mut self) -> Result<RecvGuard<'_, T>, TryRecvError> {
        self.try_ready().map(|()| RecvGuard { subscriber: self })
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
    /// let (mut publisher, mut subs) = zerocast::multicast::channel::<u32>(4, 1);
    /// assert_eq!(subs[0].try_recv(), Err(TryRecvError::Empty));
    /// publisher.try_publish(5).unwrap();
    /// drop(publisher);
    /// assert_eq!(subs[0].try_recv(), Ok(5)); // published before the close
    /// assert_eq!(subs[0].try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError>
    where
        T: Clone,
    {
        self.try_recv_ref().map(|guard| T::clone(&guard))
    }

    /// Polls for the next message: `Ready(Ok(()))` when one is ready (take it
    /// with [`try_recv_ref`](Self::try_recv_ref)), `Ready(Err(Closed))` when
    /// the stream has ended, else registers `cx`'s waker in this subscriber's
    /// reserved slot (no allocation) and returns `Pending`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (mut publisher, mut subs) = zerocast::multicast::channel::<u32>(4, 1);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(subs[0].poll_ready(&mut cx).is_pending());
    /// publisher.try_publish(1).unwrap();
    /// assert_eq!(subs[0].poll_ready(&mut cx), Poll::Ready(Ok(())));
    /// assert_eq!(*subs[0].try_recv_ref().unwrap(), 1);
    /// ```
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        match self.try_ready() {
            Ok(()) => return Poll::Ready(Ok(())),
            Err(TryRecvError::Closed | TryRecvError::Lagged(_)) => return Poll::Ready(Err(Closed)),
            Err(TryRecvError::Empty) => {}
        }
        // SAFETY: `self.id` is this subscriber's own slot (subscribers are not
        // `Clone`), and `&mut self` keeps its registrations one at a time.
        unsafe { self.shared.readers.register_fenced(self.id, cx.waker()) };
        match self.try_ready() {
            Ok(()) => Poll::Ready(Ok(())),
            Err(TryRecvError::Closed | TryRecvError::Lagged(_)) => Poll::Ready(Err(Closed)),
            Err(TryRecvError::Empty) => Poll::Pending,
        }
    }

    /// Polls for a clone of the next message (see [`poll_ready`](Self::poll_ready)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (mut publisher, mut subs) = zerocast::multicast::channel::<u32>(4, 1);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(subs[0].poll_recv(&mut cx).is_pending());
    /// publisher.try_publish(2).unwrap();
    /// assert_eq!(subs[0].poll_recv(&mut cx), Poll::Ready(Ok(2)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, Closed>>
    where
        T: Clone,
    {
        match self.poll_ready(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(T::clone(&RecvGuard { subscriber: self }))),
            Poll::Ready(Err(Closed)) => Poll::Ready(Err(Closed)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Waits (without allocating) for the next message and returns a clone.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the publisher is gone and every message has been read.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a message is consumed only in the poll that returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (mut publisher, mut subs) = zerocast::multicast::channel::<u32>(4, 1);
    /// publisher.publish(3).await.unwrap();
    /// drop(publisher);
    /// assert_eq!(subs[0].recv().await, Ok(3));
    /// assert_eq!(subs[0].recv().await, Err(zerocast::Closed));
    /// # });
    /// ```
    pub fn recv(&mut self) -> Recv<'_, T>
    where
        T: Clone,
    {
        Recv { subscriber: self }
    }

    /// Waits (without allocating) for the next message and borrows it in place.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the publisher is gone and every message has been read.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the message is consumed only when the returned guard drops.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (mut publisher, mut subs) = zerocast::multicast::channel::<String>(4, 1);
    /// publisher.publish("big".to_owned()).await.unwrap();
    /// let guard = subs[0].recv_ref().await.unwrap();
    /// assert_eq!(&*guard, "big");
    /// # });
    /// ```
    pub fn recv_ref(&mut self) -> RecvRef<'_, T> {
        RecvRef {
            subscriber: Some(self),
        }
    }

    /// Waits for the next message, parking this thread after an adaptive spin,
    /// and returns a clone.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the publisher is gone and every message has been read.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut publisher, subs) = zerocast::multicast::channel::<u64>(8, 2);
    /// let readers: Vec<_> = subs
    ///     .into_iter()
    ///     .map(|mut sub| std::thread::spawn(move || (0..100).map(|_| sub.recv_blocking().unwrap()).sum::<u64>()))
    ///     .collect();
    /// (0..100).for_each(|i| publisher.publish_blocking(i).unwrap());
    /// for reader in readers {
    ///     assert_eq!(reader.join().unwrap(), 4950);
    /// }
    /// ```
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    // Always: the common path is a few instructions; the wait stays out of
    // line and moves no value (see `park::ready`).
    #[inline(always)]
    pub fn recv_blocking(&mut self) -> Result<T, Closed>
    where
        T: Clone,
    {
        crate::park::ready(self, Self::has_message, Self::wait_for_message)?;
        if Shared::<T>::GATED {
            // Asks for a line of messages ahead, as the SPSC consumer does:
            // here, where the subscriber has a thread of its own, and not
            // in the polled forms, which often share the publisher's
            // (`fanout4/async` 13.8 ns with the hint there against 22.0:
            // `zerocast-bench --quick --filter fanout --rounds 3`, two
            // alternating pairs on the Intel host).
            crate::prefetch::ahead::<_, false>(
                self.shared.slots.as_ptr(),
                self.shared.slots.len(),
                self.shared.index(self.pos),
                (self.tail.wrapping_sub(self.pos) & POS_MASK) as usize,
            );
        }
        // A message is ready (`has_message`, inline or in the wait).
        Ok(T::clone(&RecvGuard { subscriber: self }))
    }

    /// Waits, for [`recv_blocking`](Self::recv_blocking), until a message is
    /// ready (`Ok`) or the publisher is gone and every message has been read.
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    #[cold]
    #[inline(never)]
    fn wait_for_message(&mut self) -> Result<(), Closed> {
        crate::park::wait(
            self,
            |s| s.has_message() || s.shared.closed.load(Ordering::Acquire) != 0,
            |s, cx| s.poll_ready(cx),
        )
    }

    /// Messages published and not yet read by this subscriber (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut publisher, mut subs) = zerocast::multicast::channel::<u32>(4, 2);
    /// publisher.try_publish(1).unwrap();
    /// publisher.try_publish(2).unwrap();
    /// subs[1].try_recv().unwrap();
    /// assert_eq!((subs[0].len(), subs[1].len()), (2, 1));
    /// ```
    pub fn len(&self) -> usize {
        let tail = self.shared.tail.load(Ordering::Acquire);
        (tail.wrapping_sub(self.pos) & POS_MASK) as usize
    }

    /// Whether nothing is waiting for this subscriber (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut publisher, mut subs) = zerocast::multicast::channel::<u32>(4, 1);
    /// assert!(subs[0].is_empty());
    /// publisher.try_publish(1).unwrap();
    /// assert!(!subs[0].is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the publisher is gone (messages may still be waiting).
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, subs) = zerocast::multicast::channel::<u32>(4, 1);
    /// assert!(!subs[0].is_closed());
    /// drop(publisher);
    /// assert!(subs[0].is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire) != 0
    }
}

impl<T> Drop for Subscriber<T> {
    fn drop(&mut self) {
        // Leave (see the module docs): record where we stopped, count
        // ourselves out, then release our share of what we see published —
        // unless the publisher claimed the record first; it releases the
        // rest.
        let shared = &self.shared;
        if Shared::<T>::GATED {
            // Counted out first, as below: a publisher that sees the slots
            // this frees then sees the count drop too.
            shared.attached.fetch_sub(1, Ordering::SeqCst);
            shared.read[self.id].store(GONE, Ordering::SeqCst);
            shared.writer.wake();
            return;
        }
        let record = &shared.left[self.id];
        record.store(self.pos, Ordering::SeqCst);
        shared.attached.fetch_sub(1, Ordering::SeqCst);
        // Against the publisher's last publish and its look at the records.
        fence(Ordering::SeqCst);
        let tail = shared.tail.load(Ordering::Acquire);
        if record
            .compare_exchange(self.pos, UP_TO | tail, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            shared.release_range(self.pos, tail);
        }
        // A publisher waiting for room re-checks.
        shared.writer.wake();
    }
}

impl<T> fmt::Debug for Subscriber<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriber")
            .field("id", &self.id)
            .field("pending", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// A message borrowed in place from a multicast channel; released (and
/// dropped, if this was its last reader) when the guard drops.
///
/// While held, it holds the slot: the publisher cannot reuse it.
///
/// # Examples
///
/// ```
/// let (mut publisher, mut subs) = zerocast::multicast::channel::<String>(1, 1);
/// publisher.try_publish("in place".to_owned()).unwrap();
/// let guard = subs[0].try_recv_ref().unwrap();
/// assert_eq!(guard.as_str(), "in place");
/// drop(guard); // the last reader: the slot is released and the String dropped
/// assert!(publisher.try_publish("next".to_owned()).is_ok());
/// ```
pub struct RecvGuard<'s, T> {
    subscriber: &'s mut Subscriber<T>,
}

impl<T> Deref for RecvGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        let shared = &self.subscriber.shared;
        let i = shared.index(self.subscriber.pos);
        // SAFETY: the slot holds a published value this subscriber has not
        // released; the publisher cannot reuse it and no reader drops it
        // before this subscriber's release (its count includes us).
        shared.slots[i].with(|p| unsafe { (*p).assume_init_ref() })
    }
}

impl<T> Drop for RecvGuard<'_, T> {
    fn drop(&mut self) {
        let s = &mut *self.subscriber;
        let pos = s.pos;
        // Moved on first: if the value's drop panics below, this subscriber
        // has still read it, and never releases it twice.
        s.pos = (pos + 1) & POS_MASK;
        if Shared::<T>::GATED {
            // Hands the slot back to the publisher (it reads this position
            // only when it runs out of room).
            s.shared.read[s.id].store(s.pos, Ordering::Release);
            // The publisher re-checks after `fence::heavy` when it registers.
            crate::wait::fence::light();
            s.shared.writer.wake_fenced();
        } else {
            s.shared.release(pos, 1);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for RecvGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RecvGuard").field(&**self).finish()
    }
}

/// The future of [`Subscriber::recv`].
///
/// # Examples
///
/// ```
/// # futures_executor::block_on(async {
/// let (mut publisher, mut subs) = zerocast::multicast::channel::<u32>(4, 1);
/// publisher.try_publish(1).unwrap();
/// let recv = subs[0].recv(); // a future: nothing happens until it is awaited
/// assert_eq!(recv.await, Ok(1));
/// # });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'s, T> {
    subscriber: &'s mut Subscriber<T>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, Closed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.subscriber.poll_recv(cx)
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

/// The future of [`Subscriber::recv_ref`].
///
/// # Examples
///
/// ```
/// # futures_executor::block_on(async {
/// let (mut publisher, mut subs) = zerocast::multicast::channel::<[u8; 64]>(4, 1);
/// publisher.try_publish([7; 64]).unwrap();
/// let guard = subs[0].recv_ref().await.unwrap();
/// assert_eq!(guard[63], 7);
/// # });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RecvRef<'s, T> {
    subscriber: Option<&'s mut Subscriber<T>>,
}

impl<'s, T> Future for RecvRef<'s, T> {
    type Output = Result<RecvGuard<'s, T>, Closed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let subscriber = self
            .subscriber
            .take()
            .expect("RecvRef polled after completion");
        match subscriber.poll_ready(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(RecvGuard { subscriber })),
            Poll::Ready(Err(Closed)) => Poll::Ready(Err(Closed)),
            Poll::Pending => {
                self.subscriber = Some(subscriber);
                Poll::Pending
            }
        }
    }
}

impl<T> fmt::Debug for RecvRef<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvRef").finish_non_exhaustive()
    }
}
