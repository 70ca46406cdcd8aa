//! [`Producer`]: the sending half.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use super::core::{Core, Cursor, Ring, RX_CLOSED, TX_CLOSED};
use crate::error::{Closed, SendError, TrySendError};
use crate::sync::Ordering;

/// The sending half of an SPSC channel.
///
/// `Send` (for `T: Send`) but neither `Sync` nor `Clone`: there is exactly one
/// producer, and every operation takes `&mut self`.
///
/// ```compile_fail
/// let (tx, _rx) = zerocast::spsc::channel::<u32>(4);
/// let _twin = tx.clone();
/// ```
pub struct Producer<'a, T> {
    core: NonNull<Core<T>>,
    /// The core's slots and capacity, copied: read on every message.
    ring: Ring<T>,
    /// Our own `tail`, with its slot: no need to load what only we write.
    tail: Cursor,
    /// The consumer's `head` as last seen; refreshed only when the ring looks full.
    head: usize,
    _storage: PhantomData<&'a ()>,
    _owns: PhantomData<T>,
}

// SAFETY: the producer moves `T`s into the ring for another thread to take, so
// it may move between threads when `T: Send`. It is not `Sync`: all its methods
// take `&mut self`, and sharing one would make two producers.
unsafe impl<T: Send> Send for Producer<'_, T> {}

impl<'a, T> Producer<'a, T> {
    pub(super) fn new(core: NonNull<Core<T>>) -> Self {
        // Before either handle exists: both sides then agree on the fences.
        crate::wait::fence::init();
        crate::prefetch::init();
        Self {
            core,
            // SAFETY: the core is alive (the caller made it for this handle).
            ring: unsafe { core.as_ref() }.ring,
            tail: Cursor::default(),
            head: 0,
            _storage: PhantomData,
            _owns: PhantomData,
        }
    }

    #[inline(always)]
    fn core(&self) -> &Core<T> {
        // SAFETY: the core lives until the last handle drops, and this one is alive.
        unsafe { self.core.as_ref() }
    }

    /// Free slots, refreshing the consumer's position only if fewer than
    /// `want` looked free.
    #[inline]
    fn free_for(&mut self, want: usize) -> usize {
        let free = self.cached_free();
        if free >= want {
            return free;
        }
        self.head = self.core().head.load(Ordering::Acquire);
        self.cached_free()
    }

    /// Free slots by the consumer's position as last read (at most the real
    /// number: that position only lags).
    #[inline(always)]
    fn cached_free(&self) -> usize {
        self.ring.capacity - self.ring.distance(self.head, self.tail.count)
    }

    /// Free slots, refreshing the consumer's position only if none looked free.
    #[inline]
    fn free(&mut self) -> usize {
        self.free_for(1)
    }

    /// Publishes everything written up to `tail` and wakes the consumer.
    #[inline]
    fn publish(&mut self, tail: Cursor) {
        self.tail = tail;
        let core = self.core();
        core.tail.store(tail.count, Ordering::Release);
        // The consumer re-checks after `fence::heavy` when it registers.
        crate::wait::fence::light();
        core.rx_wait.wake_fenced();
    }

    /// Sends `value` if there is room, without waiting.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when the consumer is `capacity` behind,
    /// [`TrySendError::Closed`] when the consumer is gone; both hand `value` back.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::{spsc, TrySendError};
    ///
    /// let (mut tx, rx) = spsc::channel::<u8>(1);
    /// assert_eq!(tx.try_push(1), Ok(()));
    /// assert_eq!(tx.try_push(2), Err(TrySendError::Full(2)));
    /// drop(rx);
    /// assert_eq!(tx.try_push(3), Err(TrySendError::Closed(3)));
    /// ```
    #[inline]
    pub fn try_push(&mut self, value: T) -> Result<(), TrySendError<T>> {
        if self.can_push() {
            // SAFETY: `can_push` saw a free slot.
            unsafe { self.write(value) };
            return Ok(());
        }
        Err(if self.core().is_closed(RX_CLOSED) {
            TrySendError::Closed(value)
        } else {
            TrySendError::Full(value)
        })
    }

    /// Whether [`try_push`](Self::try_push) would take a value now: the
    /// consumer is there and a slot is free.
    #[inline(always)]
    fn can_push(&mut self) -> bool {
        !self.core().is_closed(RX_CLOSED) && self.free() > 0
    }

    /// Writes `value` at `tail` and publishes it.
    ///
    /// # Safety
    ///
    /// The caller has seen `free() > 0` (as [`can_push`](Self::can_push)
    /// does) since the last write.
    #[inline(always)]
    unsafe fn write(&mut self, value: T) {
        let tail = self.tail;
        // SAFETY: the slot at `tail` is free (the consumer has released it:
        // the caller saw `free() > 0` after an Acquire load of `head`) and
        // only the producer writes free slots.
        self.ring
            .slot(tail)
            .with_mut(|p| unsafe { (*p).write(value) });
        // The slots the consumer has released, from `tail` on.
        self.ring.prefetch::<true>(tail, self.cached_free());
        let next = self.ring.next(tail);
        self.publish(next);
    }

    /// Polls for room: `Ready(Ok(()))` when [`try_push`](Self::try_push) will
    /// succeed, `Ready(Err(Closed))` when the consumer is gone, else registers
    /// `cx`'s waker (in a reserved slot: no allocation) and returns `Pending`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(1);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// tx.try_push(1).unwrap();
    /// assert!(tx.poll_ready(&mut cx).is_pending()); // full: the waker is stored in place
    /// rx.try_pop().unwrap();
    /// assert_eq!(tx.poll_ready(&mut cx), Poll::Ready(Ok(())));
    /// ```
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        self.poll_free(cx, 1)
    }

    /// Room for `n` more items now.
    #[cfg(feature = "alloc")]
    #[inline]
    pub(crate) fn has_free(&mut self, n: usize) -> bool {
        self.free_for(n) >= n
    }

    /// The cell the consumer wakes after each release of a slot (with
    /// [`WaitCell::wake_fenced`](crate::wait::WaitCell)): for a caller that
    /// registers there itself, outside its own lock, with `register` then
    /// `fence::heavy` (several registrants may take turns), and then checks
    /// [`has_free`](Self::has_free) again.
    #[cfg(feature = "alloc")]
    pub(crate) fn room_cell(&self) -> &crate::wait::WaitCell {
        &self.core().tx_wait
    }

    /// As [`poll_ready`](Self::poll_ready), for room for `n` items.
    pub(crate) fn poll_free(&mut self, cx: &mut Context<'_>, n: usize) -> Poll<Result<(), Closed>> {
        if self.core().is_closed(RX_CLOSED) {
            return Poll::Ready(Err(Closed));
        }
        if self.free_for(n) >= n {
            return Poll::Ready(Ok(()));
        }
        // SAFETY: only the one producer registers on `tx_wait`, through
        // `&mut self`.
        unsafe { self.core().tx_wait.register_fenced(cx.waker()) };
        // Check again: the consumer may have released a slot before we registered.
        if self.core().is_closed(RX_CLOSED) {
            return Poll::Ready(Err(Closed));
        }
        if self.free_for(n) >= n {
            return Poll::Ready(Ok(()));
        }
        Poll::Pending
    }

    /// Sends `value`, waiting (without allocating) while the ring is full.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value when the consumer is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes drops the value unsent; nothing
    /// else is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<&str>(8);
    /// tx.push("hello").await.unwrap();
    /// assert_eq!(rx.pop().await, Ok("hello"));
    /// # });
    /// ```
    pub fn push(&mut self, value: T) -> Push<'_, 'a, T> {
        Push {
            producer: self,
            value: Some(value),
        }
    }

    /// Copies as many of `items` as fit, publishing them with one store and
    /// one wake-up; returns how many were sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(4);
    /// assert_eq!(tx.push_slice(&[1, 2, 3, 4, 5]), 4);
    /// let mut out = [0; 8];
    /// assert_eq!(rx.pop_slice(&mut out), 4);
    /// assert_eq!(&out[..4], &[1, 2, 3, 4]);
    /// ```
    pub fn push_slice(&mut self, items: &[T]) -> usize
    where
        T: Copy,
    {
        if self.core().is_closed(RX_CLOSED) {
            return 0;
        }
        let n = self.free_for(items.len()).min(items.len());
        let mut pos = self.tail;
        for item in &items[..n] {
            // SAFETY: the `n` slots from `tail` are free, as in `try_push`.
            self.ring
                .slot(pos)
                .with_mut(|p| unsafe { (*p).write(*item) });
            pos = self.ring.next(pos);
        }
        if n > 0 {
            self.publish(pos);
        }
        n
    }

    /// Reserves up to `max` free slots to write in place; what is written is
    /// published, with one store and one wake-up, when the chunk drops.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<String>(4);
    /// {
    ///     let mut chunk = tx.write_chunk(8);
    ///     assert_eq!(chunk.remaining(), 4);
    ///     chunk.push("a".to_owned()).unwrap();
    ///     chunk.push("b".to_owned()).unwrap();
    /// } // published here
    /// assert_eq!(rx.try_pop().as_deref(), Ok("a"));
    /// ```
    pub fn write_chunk(&mut self, max: usize) -> WriteChunk<'_, 'a, T> {
        let reserved = if self.core().is_closed(RX_CLOSED) {
            0
        } else {
            self.free_for(max).min(max)
        };
        let start = self.tail;
        WriteChunk {
            producer: self,
            start,
            reserved,
            written: 0,
        }
    }

    /// The ring's capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = zerocast::spsc::channel::<u32>(3);
    /// assert_eq!(tx.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity
    }

    /// Items in the ring now (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = zerocast::spsc::channel::<u32>(4);
    /// tx.try_push(1).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let head = self.core().head.load(Ordering::Acquire);
        self.ring.distance(head, self.tail.count)
    }

    /// Whether the ring is empty now (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(4);
    /// tx.try_push(1).unwrap();
    /// assert!(!tx.is_empty());
    /// rx.try_pop().unwrap();
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the consumer is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = zerocast::spsc::channel::<u32>(4);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.core().is_closed(RX_CLOSED)
    }

    /// Sends `value`, parking this thread (after an adaptive spin, see
    /// [`spsc`](crate::spsc)) while the ring
    /// is full. Waiting allocates nothing after the thread's first wait.
    ///
    /// A producer that finds the ring full spins until a batch of slots is
    /// free (`capacity / 16`, at most 64, at least 1), not just one: ahead of
    /// its consumer, it then reads the consumer's position once per batch
    /// instead of once per message, and the two stop trading that cache line
    /// back and forth. The value waits behind the `capacity - batch` items
    /// queued before it either way; should the spin end first, one free slot
    /// is enough.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value when the consumer is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u64>(2);
    /// let t = std::thread::spawn(move || (0..100).for_each(|i| tx.push_blocking(i).unwrap()));
    /// let sum: u64 = (0..100).map(|_| rx.pop_blocking().unwrap()).sum();
    /// t.join().unwrap();
    /// assert_eq!(sum, 4950);
    /// ```
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    // Always: the common path is a few instructions, and left as a call
    // per message it kept the handle's positions in memory rather than in
    // the caller's registers (measured: spsc/threads/u64).
    #[inline(always)]
    pub fn push_blocking(&mut self, value: T) -> Result<(), SendError<T>> {
        // Free by the cached position alone: no look at the consumer's line.
        let now = |p: &mut Self| p.cached_free() > 0 && !p.core().is_closed(RX_CLOSED);
        if crate::park::ready(self, now, Self::wait_for_room).is_err() {
            return Err(SendError(value));
        }
        // SAFETY: a slot is free: by the cached position (which only lags),
        // or as `wait_for_room` saw.
        unsafe { self.write(value) };
        Ok(())
    }

    /// Waits, for [`push_blocking`](Self::push_blocking), until a slot is
    /// free (`Ok`: `free() > 0` was seen) or the consumer is gone: first for a
    /// batch of slots (see above). Out of line, and it takes no value (see
    /// `park::ready`).
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    #[cold]
    #[inline(never)]
    fn wait_for_room(&mut self) -> Result<(), Closed> {
        let batch = crate::park::room_batch(self.ring.capacity);
        if self.is_closed() {
            return Err(Closed);
        }
        if self.free_for(batch) >= batch {
            return Ok(());
        }
        crate::park::wait(
            self,
            |p| p.free_for(batch) >= batch || p.is_closed(),
            |p, cx| p.poll_ready(cx),
        )
    }
}

impl<T> Drop for Producer<'_, T> {
    fn drop(&mut self) {
        // SAFETY: this handle is alive until here and not used afterwards.
        unsafe { Core::drop_handle(self.core, TX_CLOSED, self.tail) };
    }
}

impl<T> fmt::Debug for Producer<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Producer::push`].
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::task::{Context, Poll, Waker};
///
/// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(1);
/// tx.try_push(1).unwrap();
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut push = std::pin::pin!(tx.push(2));
/// assert!(push.as_mut().poll(&mut cx).is_pending()); // full
/// assert_eq!(rx.try_pop(), Ok(1));
/// assert_eq!(push.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Push<'p, 'a, T> {
    producer: &'p mut Producer<'a, T>,
    value: Option<T>,
}

impl<T> Unpin for Push<'_, '_, T> {}

impl<T> Push<'_, '_, T> {
    /// The value to send, taken out of the future.
    fn take_value(&mut self) -> T {
        self.value.take().expect("Push polled after completion")
    }
}

impl<T> Future for Push<'_, '_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // The common case first: room, and one check of each condition. The
        // value goes from the future straight into the slot (taken only
        // once there is room: one copy, not two).
        if this.producer.can_push() {
            let value = this.take_value();
            // SAFETY: `can_push` saw a free slot.
            unsafe { this.producer.write(value) };
            return Poll::Ready(Ok(()));
        }
        let value = this.take_value();
        let value = match this.producer.try_push(value) {
            Ok(()) => return Poll::Ready(Ok(())),
            Err(TrySendError::Closed(v)) => return Poll::Ready(Err(SendError(v))),
            Err(TrySendError::Full(v)) => v,
        };
        match this.producer.poll_ready(cx) {
            Poll::Pending => {
                this.value = Some(value);
                Poll::Pending
            }
            Poll::Ready(Err(Closed)) => Poll::Ready(Err(SendError(value))),
            Poll::Ready(Ok(())) => Poll::Ready(
                this.producer
                    .try_push(value)
                    .map_err(|e| SendError(e.into_inner())),
            ),
        }
    }
}

impl<T> fmt::Debug for Push<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Push")
            .field("done", &self.value.is_none())
            .finish()
    }
}

/// Slots reserved by [`Producer::write_chunk`], written in place and
/// published together when the chunk drops.
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(8);
/// {
///     let mut chunk = tx.write_chunk(3);
///     for i in 0..3 {
///         chunk.push(i).unwrap();
///     }
///     assert!(rx.is_empty()); // not published yet
/// } // published here, with one store
/// assert_eq!(rx.len(), 3);
/// ```
pub struct WriteChunk<'p, 'a, T> {
    producer: &'p mut Producer<'a, T>,
    start: Cursor,
    reserved: usize,
    written: usize,
}

impl<T> WriteChunk<'_, '_, T> {
    /// Writes `value` into the next reserved slot, or hands it back when the
    /// reservation is used up.
    ///
    /// # Errors
    ///
    /// `Err(value)` when no reserved slot is left.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(2);
    /// let mut chunk = tx.write_chunk(4);
    /// assert_eq!(chunk.push(1), Ok(()));
    /// assert_eq!(chunk.push(2), Ok(()));
    /// assert_eq!(chunk.push(3), Err(3)); // only two slots were free
    /// drop(chunk);
    /// assert_eq!(rx.try_pop(), Ok(1));
    /// ```
    pub fn push(&mut self, value: T) -> Result<(), T> {
        if self.written == self.reserved {
            return Err(value);
        }
        let ring = self.producer.ring;
        let pos = ring.advance(self.start, self.written);
        // SAFETY: reserved slots are free (checked in `write_chunk`), and each
        // is written once before `written` moves past it.
        ring.slot(pos).with_mut(|p| unsafe { (*p).write(value) });
        self.written += 1;
        Ok(())
    }

    /// Reserved slots not yet written.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = zerocast::spsc::channel::<u32>(4);
    /// let mut chunk = tx.write_chunk(3);
    /// chunk.push(1).unwrap();
    /// assert_eq!(chunk.remaining(), 2);
    /// ```
    pub fn remaining(&self) -> usize {
        self.reserved - self.written
    }

    /// Slots written so far.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = zerocast::spsc::channel::<u32>(4);
    /// let mut chunk = tx.write_chunk(3);
    /// chunk.push(1).unwrap();
    /// assert_eq!(chunk.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.written
    }

    /// Whether nothing has been written yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, _rx) = zerocast::spsc::channel::<u32>(4);
    /// let mut chunk = tx.write_chunk(3);
    /// assert!(chunk.is_empty());
    /// chunk.push(1).unwrap();
    /// assert!(!chunk.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.written == 0
    }
}

impl<T> Drop for WriteChunk<'_, '_, T> {
    fn drop(&mut self) {
        if self.written > 0 {
            let tail = self.producer.ring.advance(self.start, self.written);
            self.producer.publish(tail);
        }
    }
}

impl<T> fmt::Debug for WriteChunk<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteChunk")
            .field("reserved", &self.reserved)
            .field("written", &self.written)
            .finish()
    }
}
