//! [`Consumer`]: the receiving half.

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll};

use super::core::{Core, Cursor, Ring, RX_CLOSED, TX_CLOSED};
use crate::error::{Closed, TryRecvError};
use crate::sync::Ordering;

/// The receiving half of an SPSC channel.
///
/// `Send` (for `T: Send`) but neither `Sync` nor `Clone`: there is exactly one
/// consumer, and every operation takes `&mut self`.
///
/// ```compile_fail
/// fn shared<T: Sync>(_: &T) {}
/// let (_tx, rx) = zerocast::spsc::channel::<u32>(4);
/// shared(&rx);
/// ```
pub struct Consumer<'a, T> {
    core: NonNull<Core<T>>,
    /// The core's slots and capacity, copied: read on every message.
    ring: Ring<T>,
    /// Our own `head`, with its slot.
    head: Cursor,
    /// The producer's `tail` as last seen; refreshed only when the ring looks empty.
    tail: usize,
    _storage: PhantomData<&'a ()>,
    _owns: PhantomData<T>,
}

// SAFETY: the consumer takes `T`s another thread put in the ring, so it may
// move between threads when `T: Send`. Not `Sync`: `&mut self` everywhere.
unsafe impl<T: Send> Send for Consumer<'_, T> {}

impl<'a, T> Consumer<'a, T> {
    pub(super) fn new(core: NonNull<Core<T>>) -> Self {
        Self {
            core,
            // SAFETY: the core is alive (the caller made it for this handle).
            ring: unsafe { core.as_ref() }.ring,
            head: Cursor::default(),
            tail: 0,
            _storage: PhantomData,
            _owns: PhantomData,
        }
    }

    #[inline(always)]
    pub(super) fn core(&self) -> &Core<T> {
        // SAFETY: the core lives until the last handle drops, and this one is alive.
        unsafe { self.core.as_ref() }
    }

    /// Items ready, refreshing the producer's position only if fewer than
    /// `want` looked ready.
    #[inline]
    fn available_for(&mut self, want: usize) -> usize {
        let n = self.ring.distance(self.head.count, self.tail);
        if n >= want {
            return n;
        }
        self.tail = self.core().tail.load(Ordering::Acquire);
        self.ring.distance(self.head.count, self.tail)
    }

    /// Items ready, refreshing the producer's position only if none looked ready.
    #[inline]
    fn available(&mut self) -> usize {
        self.available_for(1)
    }

    /// Releases everything read up to `head` and wakes the producer.
    #[inline]
    fn release(&mut self, head: Cursor) {
        self.head = head;
        let core = self.core();
        core.head.store(head.count, Ordering::Release);
        // The producer re-checks after `fence::heavy` when it registers.
        crate::wait::fence::light();
        core.tx_wait.wake_fenced();
    }

    /// Whether the producer is gone and everything it sent has been taken.
    fn drained_and_closed(&mut self) -> bool {
        // The producer sets TX_CLOSED after its last publish, so seeing the
        // bit (Acquire) and then an empty ring means nothing more will come.
        self.core().is_closed(TX_CLOSED) && self.available() == 0
    }

    /// Takes the oldest item, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when nothing is ready, [`TryRecvError::Closed`]
    /// when the producer is gone and everything it sent has been taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::{spsc, TryRecvError};
    ///
    /// let (mut tx, mut rx) = spsc::channel::<u8>(2);
    /// assert_eq!(rx.try_pop(), Err(TryRecvError::Empty));
    /// tx.try_push(7).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_pop(), Ok(7)); // sent before the close: still delivered
    /// assert_eq!(rx.try_pop(), Err(TryRecvError::Closed));
    /// ```
    #[inline]
    pub fn try_pop(&mut self) -> Result<T, TryRecvError> {
        if self.available() == 0 {
            return Err(if self.drained_and_closed() {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        // SAFETY: `available() > 0` above.
        Ok(unsafe { self.take() })
    }

    /// Takes the item at `head`.
    ///
    /// # Safety
    ///
    /// The caller has seen `available() > 0` since the last take.
    #[inline(always)]
    unsafe fn take(&mut self) -> T {
        let head = self.head;
        // SAFETY: `head != tail` after an Acquire load of `tail` (the caller
        // saw an item ready), so the slot holds an item the producer
        // published; moving on below releases it.
        let value = self
            .ring
            .slot(head)
            .with(|p| unsafe { (*p).assume_init_read() });
        // The items the producer has published, from `head` on.
        self.ring
            .prefetch::<false>(head, self.ring.distance(head.count, self.tail));
        let next = self.ring.next(head);
        self.release(next);
        value
    }

    /// Polls for an item: `Ready(Ok(item))`, `Ready(Err(Closed))` when the
    /// producer is gone and the ring drained, else registers `cx`'s waker (in a
    /// reserved slot: no allocation) and returns `Pending`.
    ///
    /// [`try_pop`](Self::try_pop) may be called between `Pending` polls
    /// without losing the wake-up.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(4);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_pop(&mut cx).is_pending()); // the waker is stored in place
    /// tx.try_push(1).unwrap();
    /// assert_eq!(rx.poll_pop(&mut cx), Poll::Ready(Ok(1)));
    /// drop(tx);
    /// assert_eq!(rx.poll_pop(&mut cx), Poll::Ready(Err(zerocast::Closed)));
    /// ```
    #[inline]
    pub fn poll_pop(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, Closed>> {
        // The common case inlined: an item ready, one check. The wait is out
        // of line and moves no item, so the item goes from its slot to the
        // caller without passing through a return slot both paths share.
        if self.available() == 0 {
            match self.poll_ready_slow(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(Closed)) => return Poll::Ready(Err(Closed)),
                Poll::Pending => return Poll::Pending,
            }
        }
        // SAFETY: an item is ready (`available() > 0`, above or in
        // `poll_ready_slow`).
        Poll::Ready(Ok(unsafe { self.take() }))
    }

    /// Polls for an item without taking it: `Ready(Ok(()))` when
    /// [`try_pop`](Self::try_pop) will succeed, `Ready(Err(Closed))` when the
    /// producer is gone and the ring drained, else registers `cx`'s waker (in
    /// a reserved slot: no allocation) and returns `Pending`. For a consumer
    /// that reads in place with [`read_chunk`](Self::read_chunk).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u8>(2);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_ready(&mut cx).is_pending());
    /// tx.try_push(1).unwrap();
    /// assert_eq!(rx.poll_ready(&mut cx), Poll::Ready(Ok(())));
    /// assert_eq!(rx.len(), 1, "nothing was taken");
    /// ```
    #[inline]
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        if self.available() > 0 {
            return Poll::Ready(Ok(()));
        }
        self.poll_ready_slow(cx)
    }

    /// [`poll_ready`](Self::poll_ready) when the ring looked empty: closed,
    /// or register and check again.
    #[inline(never)]
    fn poll_ready_slow(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        if self.drained_and_closed() {
            return Poll::Ready(Err(Closed));
        }
        // SAFETY: only the one consumer registers on `rx_wait`, through
        // `&mut self`.
        unsafe { self.core().rx_wait.register_fenced(cx.waker()) };
        // Check again: the producer may have published before we registered.
        if self.available() > 0 {
            Poll::Ready(Ok(()))
        } else if self.drained_and_closed() {
            Poll::Ready(Err(Closed))
        } else {
            Poll::Pending
        }
    }

    /// Takes the oldest item, waiting (without allocating) while the ring is empty.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the producer is gone and everything it sent was taken.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an item is only taken in the poll that returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(8);
    /// tx.try_push(5).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.pop().await, Ok(5));
    /// assert_eq!(rx.pop().await, Err(zerocast::Closed));
    /// # });
    /// ```
    pub fn pop(&mut self) -> Pop<'_, 'a, T> {
        Pop { consumer: self }
    }

    /// Copies up to `out.len()` ready items into `out`, releasing them with one
    /// store and one wake-up; returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u8>(8);
    /// tx.push_slice(b"abc");
    /// let mut out = [0; 2];
    /// assert_eq!(rx.pop_slice(&mut out), 2);
    /// assert_eq!(&out, b"ab");
    /// assert_eq!(rx.try_pop(), Ok(b'c'));
    /// ```
    pub fn pop_slice(&mut self, out: &mut [T]) -> usize
    where
        T: Copy,
    {
        let n = self.available_for(out.len()).min(out.len());
        let mut pos = self.head;
        for slot in &mut out[..n] {
            // SAFETY: the `n` positions from `head` hold published items, each
            // read once; `T: Copy`, so reading leaves nothing to drop.
            *slot = self
                .ring
                .slot(pos)
                .with(|p| unsafe { (*p).assume_init_read() });
            pos = self.ring.next(pos);
        }
        if n > 0 {
            self.release(pos);
        }
        n
    }

    /// Borrows up to `max` ready items in place (zero-copy); items consumed
    /// through the chunk are released together when it drops.
    ///
    /// Holding a chunk holds its slots: the producer cannot reuse them until
    /// the chunk drops.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(4);
    /// tx.push_slice(&[1, 2, 3]);
    /// let mut chunk = rx.read_chunk(8);
    /// assert_eq!(chunk.len(), 3);
    /// assert_eq!(chunk.get(0), Some(&1));
    /// chunk.consume(2); // drops 1 and 2
    /// drop(chunk);
    /// assert_eq!(rx.try_pop(), Ok(3));
    /// ```
    pub fn read_chunk(&mut self, max: usize) -> ReadChunk<'_, 'a, T> {
        let len = self.available_for(max).min(max);
        let start = self.head;
        ReadChunk {
            consumer: self,
            start,
            len,
            consumed: 0,
        }
    }

    /// The ring's capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = zerocast::spsc::channel::<u32>(3);
    /// assert_eq!(rx.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity
    }

    /// Items in the ring now (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, rx) = zerocast::spsc::channel::<u32>(4);
    /// tx.push_slice(&[1, 2]);
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        let tail = self.core().tail.load(Ordering::Acquire);
        self.ring.distance(self.head.count, tail)
    }

    /// Whether the ring is empty now (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(4);
    /// assert!(rx.is_empty());
    /// tx.try_push(1).unwrap();
    /// assert!(!rx.is_empty());
    /// rx.try_pop().unwrap();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts one more check that found the ring empty; from the
    /// [`WATCH_AFTER`]-th in a row on, asks for the line of the slot the
    /// next item lands in, so that line is on its way when the producer's
    /// position is, not asked for only after it (see [`WATCH_AFTER`]).
    #[inline(always)]
    fn watch_head(&self, checks: &mut u32) {
        *checks = checks.saturating_add(1);
        if *checks >= WATCH_AFTER {
            #[cfg(all(target_arch = "x86_64", not(zerocast_loom), not(miri)))]
            crate::prefetch::read(self.ring.slots.wrapping_add(self.head.slot));
        }
    }

    /// Whether the producer is gone (items it sent may still be waiting).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = zerocast::spsc::channel::<u32>(4);
    /// assert!(!rx.is_closed());
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.core().is_closed(TX_CLOSED)
    }

    /// Takes the oldest item, busy-polling while the ring is empty: never
    /// parks, never registers a waker. Opt-in for latency-critical threads that
    /// own a core — it burns that core while idle.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the producer is gone and everything it sent was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u8>(2);
    /// tx.try_push(3).unwrap();
    /// assert_eq!(rx.pop_spin(), Ok(3));
    /// ```
    pub fn pop_spin(&mut self) -> Result<T, Closed> {
        let mut checks = 0;
        loop {
            match self.try_pop() {
                Ok(v) => return Ok(v),
                Err(TryRecvError::Closed | TryRecvError::Lagged(_)) => return Err(Closed),
                Err(TryRecvError::Empty) => {
                    self.watch_head(&mut checks);
                    crate::sync::spin_hint()
                }
            }
        }
    }

    /// Takes the oldest item, parking this thread (after an adaptive spin, see
    /// [`spsc`](crate::spsc)) while
    /// the ring is empty. Waiting allocates nothing after the thread's first wait.
    ///
    /// # Errors
    ///
    /// [`Closed`] when the producer is gone and everything it sent was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u64>(4);
    /// let t = std::thread::spawn(move || (0..100).for_each(|i| tx.push_blocking(i).unwrap()));
    /// let sum: u64 = (0..100).map(|_| rx.pop_blocking().unwrap()).sum();
    /// t.join().unwrap();
    /// assert_eq!(sum, 4950);
    /// assert_eq!(rx.pop_blocking(), Err(zerocast::Closed)); // the producer is gone
    /// ```
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    // Always: the common path is a few instructions, and left as a call
    // per message it kept the handle's positions in memory rather than in
    // the caller's registers (measured: spsc/threads/u64).
    #[inline(always)]
    pub fn pop_blocking(&mut self) -> Result<T, Closed> {
        crate::park::ready(self, |c| c.available() > 0, Self::wait_for_item)?;
        // SAFETY: `available() > 0`, checked inline or in `wait_for_item`.
        Ok(unsafe { self.take() })
    }

    /// Waits, for [`pop_blocking`](Self::pop_blocking), until `available() >
    /// 0` (`Ok`) or the ring is drained and closed. Out of line, and it moves
    /// no item (see `park::ready`).
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    #[cold]
    #[inline(never)]
    fn wait_for_item(&mut self) -> Result<(), Closed> {
        crate::park::wait(
            self,
            {
                let mut checks = 0;
                move |c| {
                    let ready = c.available() > 0 || c.is_closed();
                    if !ready {
                        c.watch_head(&mut checks);
                    }
                    ready
                }
            },
            |c, cx| c.poll_ready(cx),
        )
    }
}

/// Empty checks in a row after which a spinning consumer also asks for the
/// line of the next slot on each check (`watch_head`). A waiting consumer
/// otherwise takes two misses in turn when an item lands: the producer's
/// position, then, once that shows the item, the slot's line. Asked for on
/// every check, the slot's line comes over with the position. Measured on
/// an Intel Xeon host (`zerocast-bench --quick --filter latency/ --filter
/// burst --rounds 3`, alternating processes): `latency/oneway/u64` p50 177
/// to 183 ns against 246 to 254, the atomic floor 162 to 167;
/// `latency/roundtrip/u64` 393 to 404 against 487 to 498. Asked for from the
/// first empty check, the line was taken from under a producer writing a
/// burst (`spsc/threads-burst100/u64` 53-58 ns against 48-53); from the
/// 16th on, the burst rows were as before.
const WATCH_AFTER: u32 = 16;

impl<T> Drop for Consumer<'_, T> {
    fn drop(&mut self) {
        // SAFETY: this handle is alive until here and not used afterwards.
        unsafe { Core::drop_handle(self.core, RX_CLOSED, self.head) };
    }
}

impl<T> fmt::Debug for Consumer<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Consumer::pop`].
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::task::{Context, Poll, Waker};
///
/// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(4);
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut pop = std::pin::pin!(rx.pop());
/// assert!(pop.as_mut().poll(&mut cx).is_pending());
/// tx.try_push(3).unwrap();
/// assert_eq!(pop.as_mut().poll(&mut cx), Poll::Ready(Ok(3)));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Pop<'c, 'a, T> {
    consumer: &'c mut Consumer<'a, T>,
}

impl<T> Future for Pop<'_, '_, T> {
    type Output = Result<T, Closed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.consumer.poll_pop(cx)
    }
}

impl<T> fmt::Debug for Pop<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pop").finish_non_exhaustive()
    }
}

/// Ready items borrowed in place by [`Consumer::read_chunk`].
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = zerocast::spsc::channel::<u64>(8);
/// tx.push_slice(&[1, 2, 3, 4]);
/// let mut chunk = rx.read_chunk(8);
/// let sum: u64 = (0..chunk.len()).map(|i| *chunk.get(i).unwrap()).sum();
/// assert_eq!(sum, 10);
/// chunk.consume(4);
/// drop(chunk); // all four slots go back to the producer at once
/// assert_eq!(tx.len(), 0);
/// ```
pub struct ReadChunk<'c, 'a, T> {
    consumer: &'c mut Consumer<'a, T>,
    start: Cursor,
    len: usize,
    /// Items from `start` already dropped through [`consume`](Self::consume).
    consumed: usize,
}

impl<T> ReadChunk<'_, '_, T> {
    /// Items left in the chunk.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(4);
    /// tx.push_slice(&[1, 2, 3]);
    /// let mut chunk = rx.read_chunk(2);
    /// assert_eq!(chunk.len(), 2);
    /// chunk.consume(1);
    /// assert_eq!(chunk.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.len - self.consumed
    }

    /// Whether no item is left.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(4);
    /// assert!(rx.read_chunk(4).is_empty());
    /// tx.try_push(1).unwrap();
    /// assert!(!rx.read_chunk(4).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th item left in the chunk.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<&str>(4);
    /// tx.try_push("a").unwrap();
    /// tx.try_push("b").unwrap();
    /// let chunk = rx.read_chunk(4);
    /// assert_eq!(chunk.get(1), Some(&"b"));
    /// assert_eq!(chunk.get(2), None);
    /// ```
    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len() {
            return None;
        }
        let ring = self.consumer.ring;
        let pos = ring.advance(self.start, self.consumed + i);
        // SAFETY: positions `start..start+len` hold published items the
        // producer cannot touch until this chunk releases them; the ones
        // before `consumed` are excluded above.
        Some(ring.slot(pos).with(|p| unsafe { (*p).assume_init_ref() }))
    }

    /// Drops the first `n` items left (all of them if fewer are left).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut tx, mut rx) = zerocast::spsc::channel::<u32>(4);
    /// tx.push_slice(&[1, 2, 3]);
    /// let mut chunk = rx.read_chunk(4);
    /// chunk.consume(2); // dropped in place; released when the chunk drops
    /// assert_eq!(chunk.get(0), Some(&3));
    /// drop(chunk);
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.len());
        for _ in 0..n {
            let ring = self.consumer.ring;
            let pos = ring.advance(self.start, self.consumed);
            // SAFETY: the item at `pos` is published and not yet consumed;
            // `consumed` moves past it so it is dropped exactly once.
            ring.slot(pos)
                .with_mut(|p| unsafe { (*p).assume_init_drop() });
            self.consumed += 1;
        }
    }
}

impl<T> Drop for ReadChunk<'_, '_, T> {
    fn drop(&mut self) {
        if self.consumed > 0 {
            let head = self.consumer.ring.advance(self.start, self.consumed);
            self.consumer.release(head);
        }
    }
}

impl<T> fmt::Debug for ReadChunk<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadChunk")
            .field("len", &self.len())
            .finish()
    }
}
