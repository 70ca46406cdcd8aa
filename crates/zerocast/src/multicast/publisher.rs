//! [`Publisher`]: the one writer of a multicast channel.

use alloc::sync::Arc;
use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::{Shared, FREE, GONE, POS_MASK};
use crate::error::{Closed, SendError, TrySendError};
use crate::sync::{fence, Ordering};

/// The writing half of a multicast channel: one per channel, not `Clone`, not
/// `Sync`; every operation takes `&mut self`.
///
/// ```compile_fail
/// let (publisher, _subs) = zerocast::multicast::channel::<u32>(4, 1);
/// let _second = publisher.clone();
/// ```
pub struct Publisher<T> {
    shared: Arc<Shared<T>>,
    /// Next position to publish (mod 2^48).
    tail: u64,
    /// Subscribers this publisher counts: attached, or left and not yet
    /// settled (only ever decreases).
    live: usize,
    /// Gated channels (see `Shared::GATED`): slots from `tail` on that the
    /// subscribers' positions, as last read, show free.
    room: u64,
    _not_sync: PhantomData<*const ()>,
}

// SAFETY: the publisher moves values in and may drop a value no subscriber
// still reads; both only need `T: Send`. Not `Sync`: `&mut self` everywhere.
unsafe impl<T: Send> Send for Publisher<T> {}

impl<T> Publisher<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, live: usize) -> Self {
        Self {
            shared,
            tail: 0,
            live,
            room: 0,
            _not_sync: PhantomData,
        }
    }

    /// Whether the slot for the next publish is free.
    #[inline]
    fn has_room(&mut self) -> bool {
        self.has_room_at(0)
    }

    /// Whether the slot `ahead` positions after the next one is free.
    #[inline(always)]
    fn has_room_at(&mut self, ahead: u64) -> bool {
        if Shared::<T>::GATED {
            return self.room > ahead || self.gated_room(ahead);
        }
        let i = self.shared.index(self.tail + ahead);
        self.shared.remaining[i].load(Ordering::Acquire) == FREE
    }

    /// Whether more than `need` slots are free from `tail` on, by the
    /// subscribers' positions (`Acquire`: each one's reads of the slots it
    /// moved past come before). Keeps what it finds in `room`: the capacity
    /// less the farthest any subscriber still attached is behind.
    #[cold]
    fn gated_room(&mut self, need: u64) -> bool {
        let mut behind = 0;
        for read in self.shared.read.iter() {
            let at = read.load(Ordering::Acquire);
            if at != GONE {
                behind = behind.max(self.tail.wrapping_sub(at) & POS_MASK);
            }
        }
        self.room = self.capacity() as u64 - behind;
        self.room > need
    }

    /// Publishes `value` to every subscriber if the slowest has room, without waiting.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when the slowest subscriber is a full ring
    /// behind; [`TrySendError::Closed`] when every subscriber is gone. Both
    /// hand `value` back.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::TrySendError;
    ///
    /// let (mut publisher, subs) = zerocast::multicast::channel::<u8>(1, 2);
    /// publisher.try_publish(1).unwrap();
    /// assert_eq!(publisher.try_publish(2), Err(TrySendError::Full(2)));
    /// drop(subs);
    /// assert_eq!(publisher.try_publish(3), Err(TrySendError::Closed(3)));
    /// ```
    #[inline]
    pub fn try_publish(&mut self, value: T) -> Result<(), TrySendError<T>> {
        match self.room() {
            Some(Ok(())) => {
                // SAFETY: `room` saw the next slot free.
                unsafe { self.write(value) };
                Ok(())
            }
            Some(Err(Closed)) => Err(TrySendError::Closed(value)),
            None => Err(TrySendError::Full(value)),
        }
    }

    /// Whether [`try_publish`](Self::try_publish) would take a value now: a
    /// subscriber is counted and the next slot is free.
    #[inline(always)]
    fn can_publish(&mut self) -> bool {
        matches!(self.room(), Some(Ok(())))
    }

    /// `Some(Ok(()))` when the next slot is free and a subscriber is
    /// counted, `Some(Err(Closed))` when every subscriber is gone, `None`
    /// when the ring is full.
    ///
    /// The subscribers are counted again after the slot is seen free: a
    /// subscriber that leaves counts itself out before it releases its
    /// slots, so when its release is what freed the slot, that second look
    /// sees it gone (the slot's `Acquire` load orders it). Without it, a
    /// publish racing the last subscribers' leaving could see their count
    /// from before and the slot they freed after, and succeed into a
    /// channel nobody reads (the value was then dropped unread at the next
    /// publish; a blocking publish into a full ring, whose test expects the
    /// value back, caught it under Miri).
    #[inline(always)]
    fn room(&mut self) -> Option<Result<(), Closed>> {
        if self.refresh_live() == 0 {
            return Some(Err(Closed));
        }
        if !self.has_room() {
            return None;
        }
        Some(if self.refresh_live() == 0 {
            Err(Closed)
        } else {
            Ok(())
        })
    }

    /// Writes `value` at `tail` for every counted subscriber and wakes the
    /// waiting ones.
    ///
    /// # Safety
    ///
    /// The caller has seen the slot at `tail` free (as
    /// [`can_publish`](Self::can_publish) does) since the last write.
    #[inline(always)]
    unsafe fn write(&mut self, value: T) {
        let pos = self.tail;
        let i = self.shared.index(pos);
        // SAFETY: the slot is free: FREE by the caller's Acquire load in
        // `has_room` (its last reader dropped its value), or, gated, every
        // attached subscriber's position as loaded with Acquire in
        // `gated_room` is past it (each is done reading it; a value that
        // needs no drop is simply overwritten); no one touches it until the
        // publish below.
        self.shared.slots[i].with_mut(|p| unsafe { (*p).write(value) });
        if Shared::<T>::GATED {
            // The slots from this one on that the subscribers released.
            crate::prefetch::ahead::<_, true>(
                self.shared.slots.as_ptr(),
                self.shared.slots.len(),
                i,
                self.room as usize,
            );
            self.room -= 1;
        } else {
            self.shared.remaining[i].store(self.live, Ordering::Relaxed);
        }
        self.tail = (pos + 1) & POS_MASK;
        // Publish: hands the slot (and its count) to readers.
        self.shared.tail.store(self.tail, Ordering::Release);
        // Subscribers re-check after `fence::heavy` when they register.
        crate::wait::fence::light();
        self.shared.readers.wake_all_fenced();
    }

    /// The subscribers counted, after settling any that left: one load
    /// while none did.
    #[inline]
    fn refresh_live(&mut self) -> usize {
        if self.shared.attached.load(Ordering::Relaxed) < self.live {
            self.settle_departures();
        }
        self.live
    }

    /// Releases the share of every subscriber that left, on the slots
    /// published while it was counted, and stops counting it.
    #[cold]
    fn settle_departures(&mut self) {
        // Acquire, on the count whose drop sent us here: each leaver stored
        // its record before counting itself out, so the scan below sees the
        // record of every departure that count shows (a relaxed look at the
        // count alone would not promise that).
        let attached = self.shared.attached.load(Ordering::Acquire);
        if Shared::<T>::GATED {
            // Nothing to release: a leaver's position stops counting as it
            // leaves.
            self.live = attached;
            return;
        }
        for id in 0..self.shared.left.len() {
            if self.shared.settle(id, self.tail) {
                self.live -= 1;
            }
        }
    }

    /// Polls for room: `Ready(Ok(()))` when [`try_publish`](Self::try_publish)
    /// will not be `Full`, `Ready(Err(Closed))` when every subscriber is gone,
    /// else registers `cx`'s waker (a reserved slot) and returns `Pending`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (mut publisher, mut subs) = zerocast::multicast::channel::<u32>(1, 1);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// publisher.try_publish(1).unwrap();
    /// assert!(publisher.poll_ready(&mut cx).is_pending()); // the subscriber is a ring behind
    /// subs[0].try_recv().unwrap();
    /// assert_eq!(publisher.poll_ready(&mut cx), Poll::Ready(Ok(())));
    /// ```
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        if let Some(ready) = self.room() {
            return Poll::Ready(ready);
        }
        // SAFETY: only the one publisher (not `Clone`) registers on the
        // writer's cell, through `&mut self`.
        unsafe { self.shared.writer.register_fenced(cx.waker()) };
        match self.room() {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }

    /// Publishes `value`, waiting (without allocating) while the slowest
    /// subscriber is a full ring behind.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value when every subscriber is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes drops the value unpublished.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (mut publisher, mut subs) = zerocast::multicast::channel::<u32>(4, 1);
    /// publisher.publish(7).await.unwrap();
    /// assert_eq!(subs[0].recv().await, Ok(7));
    /// # });
    /// ```
    pub fn publish(&mut self, value: T) -> Publish<'_, T> {
        Publish {
            publisher: self,
            value: Some(value),
        }
    }

    /// Publishes `value`, parking this thread (after an adaptive spin, see
    /// [`spsc`](crate::spsc)) while the
    /// slowest subscriber is a full ring behind.
    ///
    /// A publisher that finds the ring full spins until a batch of slots is
    /// free (`capacity / 16`, at most 64, at least 1; it looks at the last
    /// slot of the batch, or, for values that need no drop, at the
    /// subscribers' positions), not just the next one: the subscribers
    /// release the slots just behind the one it waits for, and looking at
    /// that slot's count on every check took their line from them each
    /// time. Should the spin end first, one free slot is enough.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value when every subscriber is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut publisher, mut subs) = zerocast::multicast::channel::<u64>(2, 1);
    /// let mut sub = subs.pop().unwrap();
    /// let reader = std::thread::spawn(move || (0..100).map(|_| sub.recv_blocking().unwrap()).sum::<u64>());
    /// (0..100).for_each(|i| publisher.publish_blocking(i).unwrap()); // waits on the reader
    /// assert_eq!(reader.join().unwrap(), 4950);
    /// ```
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    // Always: the common path is a few instructions; the wait stays out of
    // line and moves no value (see `park::ready`).
    #[inline(always)]
    pub fn publish_blocking(&mut self, value: T) -> Result<(), SendError<T>> {
        if crate::park::ready(self, Self::can_publish, Self::wait_for_room).is_err() {
            return Err(SendError(value));
        }
        // SAFETY: the next slot is free, as `can_publish` or
        // `wait_for_room` saw.
        unsafe { self.write(value) };
        Ok(())
    }

    /// Waits, for [`publish_blocking`](Self::publish_blocking), until the
    /// next slot is free (`Ok`: `has_room()` was seen) or every subscriber is
    /// gone: while it spins, until the batch's last slot is free (see
    /// above; every publish still checks its own slot).
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    #[cold]
    #[inline(never)]
    fn wait_for_room(&mut self) -> Result<(), Closed> {
        crate::park::wait(
            self,
            {
                let ahead = crate::park::room_batch(self.capacity()) as u64 - 1;
                move |p| p.has_room_at(ahead) || p.refresh_live() == 0
            },
            |p, cx| p.poll_ready(cx),
        )
    }

    /// Slots in the ring (the requested capacity rounded up to a power of two).
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, _subs) = zerocast::multicast::channel::<u32>(5, 1);
    /// assert_eq!(publisher.capacity(), 8);
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.slots.len()
    }

    /// Subscribers still attached (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, mut subs) = zerocast::multicast::channel::<u32>(4, 3);
    /// subs.pop();
    /// assert_eq!(publisher.subscribers(), 2);
    /// ```
    pub fn subscribers(&self) -> usize {
        self.shared.attached.load(Ordering::Acquire)
    }

    /// Whether every subscriber is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (publisher, subs) = zerocast::multicast::channel::<u32>(4, 2);
    /// assert!(!publisher.is_closed());
    /// drop(subs);
    /// assert!(publisher.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.subscribers() == 0
    }
}

impl<T> Drop for Publisher<T> {
    fn drop(&mut self) {
        self.shared.closed.store(1, Ordering::Release);
        // Against a subscriber leaving now: it records, fences, then loads
        // the tail; we published, fence, then look at the records. Either it
        // saw our last publish or we see its record (see the module docs).
        fence(Ordering::SeqCst);
        self.settle_departures();
        self.shared.readers.wake_all();
    }
}

impl<T> fmt::Debug for Publisher<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher")
            .field("capacity", &self.capacity())
            .field("subscribers", &self.subscribers())
            .finish()
    }
}

/// The future of [`Publisher::publish`].
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::task::{Context, Poll, Waker};
///
/// let (mut publisher, mut subs) = zerocast::multicast::channel::<u32>(1, 1);
/// publisher.try_publish(1).unwrap();
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut publish = std::pin::pin!(publisher.publish(2));
/// assert!(publish.as_mut().poll(&mut cx).is_pending()); // the subscriber is a ring behind
/// assert_eq!(subs[0].try_recv(), Ok(1));
/// assert_eq!(publish.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Publish<'p, T> {
    publisher: &'p mut Publisher<T>,
    value: Option<T>,
}

impl<T> Unpin for Publish<'_, T> {}

impl<T> Publish<'_, T> {
    /// The value to publish, taken out of the future.
    fn take_value(&mut self) -> T {
        self.value.take().expect("Publish polled after completion")
    }
}

impl<T> Future for Publish<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // The common case first, the value going from the future straight
        // into the slot (one copy, not two).
        if this.publisher.can_publish() {
            let value = this.take_value();
            // SAFETY: `can_publish` saw the next slot free.
            unsafe { this.publisher.write(value) };
            return Poll::Ready(Ok(()));
        }
        let value = this.take_value();
        match this.publisher.poll_ready(cx) {
            Poll::Pending => {
                this.value = Some(value);
                Poll::Pending
            }
            Poll::Ready(Err(Closed)) => Poll::Ready(Err(SendError(value))),
            Poll::Ready(Ok(())) => Poll::Ready(
                this.publisher
                    .try_publish(value)
                    .map_err(|e| SendError(e.into_inner())),
            ),
        }
    }
}

impl<T> fmt::Debug for Publish<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publish")
            .field("done", &self.value.is_none())
            .finish()
    }
}
