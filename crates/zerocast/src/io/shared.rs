//! [`SharedWriter`]: one buffer that many writers, on any threads, pack
//! messages into at once, handed to a [`WriteFlusher`](super::WriteFlusher)
//! a segment at a time.
//!
//! # Design
//!
//! - **One open segment.** The writer fills one pooled buffer; its bytes
//!   from `start` to `end` are the open segment. A reservation takes the
//!   next bytes with a spin lock held for a few instructions (move `end`
//!   on, count the reservation), and the bytes are written after the lock
//!   is let go, so writers on several threads copy at once. A commit counts
//!   its reservation done.
//! - **One-step writes.** [`try_write`](SharedWriter::try_write) and its
//!   kin copy the message while they hold the lock, reserving and
//!   committing it in the same section: one locked read-modify-write per
//!   message where a reservation and its commit take two. Writers that
//!   would rather copy long messages at once, each outside the lock, reserve
//!   them.
//! - **Sealing.** A flush, a reservation that no longer fits the buffer,
//!   or the size mark of [`flush_at`](SharedWriter::flush_at) *seals* the
//!   segment: it takes no more reservations, and whoever finds it sealed
//!   with none outstanding (most often the last commit) hands it to the
//!   flusher in one push. New reservations wait for that: writers hold a
//!   reservation only while they copy one message in.
//! - **The flusher's ring** keeps its last slot for the segment the last
//!   handle's drop hands over, as a [`Writer`](super::Writer)'s does.
//! - **Waiting** tasks queue in a FIFO list of nodes that live in their
//!   pinned futures (no allocation). While the flusher is behind, the
//!   ring's waker is the writer's own (made once, at construction), which
//!   wakes every queued task.
//! - **A panic** while a reservation is held gives it back if nothing was
//!   reserved after it. Otherwise the segment cannot go out without the
//!   torn message in it, so it is dropped, and the writer is *poisoned*:
//!   every later call reports [`WriteError::Poisoned`], so no writer loses
//!   a message without being told.

use alloc::sync::{Arc, Weak};
use alloc::task::Wake;
use core::fmt;
use core::future::Future;
use core::marker::PhantomPinned;
use core::ops::{Deref, DerefMut};
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Context, Poll, Waker};

use super::flusher::Queue;
use super::header::{encode_header, HEADER_LEN};
use super::writer::{copy_message, copy_small, unwinding};
use super::WriteError;
use crate::lock::SpinLock;
use crate::pool::waiters::{Node, WaitList};
use crate::pool::{BufferPool, SendPacket};
use crate::spsc::Producer;
use crate::sync::{AtomicUsize, Ordering, UnsafeCell};
use crate::wait::WaitCell;

/// Packs the messages of many writers, on any threads, contiguously into
/// one pooled buffer at a time, and hands each filled segment to the
/// [`WriteFlusher`](super::WriteFlusher) in one step.
///
/// `Clone`, `Send` and `Sync`; every method takes `&self`, and its futures
/// are `Send`, so tasks of a multi-threaded runtime can share one writer.
/// Buffers come from the pool's shared list (no thread's cache), and a
/// commit returns the message as a [`SendPacket`], readable on any thread.
/// A reservation larger than a buffer is [`WriteError::TooLarge`], never a
/// panic.
///
/// Reserving takes a spin lock for a few instructions, and so does
/// committing; [`try_write`](Self::try_write) takes it once per message,
/// and copies the message while it holds it. A [`Writer`](super::Writer)
/// per thread touches no shared state per message and is the faster choice
/// where each thread's messages may go in buffers of their own. **Flush
/// cadence** is as for `Writer`:
/// explicit ([`flush`](Self::flush)), by size
/// ([`flush_at`](Self::flush_at)) or on a timer that calls `flush`.
///
/// A task must not wait ([`reserve`](Self::reserve), [`flush`](Self::flush))
/// while it holds a reservation of the same writer: a sealed segment waits
/// for every reservation in it. [`try_reserve`](Self::try_reserve) reports
/// [`WriteError::Backlog`] instead.
///
/// # Examples
///
/// Two threads write into one buffer; one write carries both messages:
///
/// ```
/// use zerocast::io::WriteFlusher;
/// use zerocast::pool::BufferPool;
///
/// let pool = BufferPool::new(256, 4);
/// let (mut flusher, queue) = WriteFlusher::new(1, 4);
/// let writer = queue.shared_writer(&pool)?;
/// std::thread::scope(|s| {
///     for word in ["ping", "pong"] {
///         let writer = &writer;
///         s.spawn(move || writer.try_reserve(4).unwrap().copy_from_slice(word.as_bytes()));
///     }
/// });
/// writer.try_flush()?;
/// let mut wire = Vec::new();
/// assert_eq!(flusher.try_write_to(&mut wire)?, 8);
/// assert!(wire == b"pingpong" || wire == b"pongping");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SharedWriter {
    inner: Arc<Inner>,
}

/// What a [`SharedWriter`]'s handles share.
struct Inner {
    queue: Arc<Queue>,
    /// The flusher's writer slot this writer took.
    slot: usize,
    pool: BufferPool,
    buffer_size: usize,
    /// Live [`SharedWriter`] handles; the last one's drop hands over what
    /// is left and gives the slot back.
    handles: AtomicUsize,
    /// Tasks in `State::waiters`, readable without the lock.
    waiting: AtomicUsize,
    /// This writer's own waker, left with the flusher's ring: it wakes
    /// every task in `State::waiters`. Holds the writer weakly.
    proxy: Waker,
    state: SpinLock<State>,
}

/// The open segment and the ring to the flusher, behind the lock.
struct State {
    /// The ring to the flusher; `None` once the last handle gave it back.
    ring: Option<Producer<'static, SendPacket>>,
    /// The buffer being filled, held by one owner unit.
    buf: Option<SendPacket>,
    /// The open segment: bytes `start..end` of `buf`.
    start: usize,
    end: usize,
    /// Reservations in the segment not yet done.
    pending: usize,
    /// The segment takes no more reservations; it is handed over once
    /// `pending` is zero.
    sealed: bool,
    /// A torn reservation was not the last in its segment (see the module
    /// docs).
    poisoned: bool,
    /// The flusher is gone.
    closed: bool,
    /// Segments handed over (or dropped, when poisoned) so far.
    handed: u64,
    /// Seal the segment once it holds this many bytes.
    flush_at: usize,
    waiters: WaitList,
}

/// The waker a [`SharedWriter`] leaves with the flusher's ring.
struct Proxy(Weak<Inner>);

impl Wake for Proxy {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    /// Takes the writer's lock: it is left with the ring only outside
    /// the lock (see `Wait::poll`), so it never runs inside a locked
    /// section (the ring's consumer, the flusher, never holds that lock).
    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(inner) = self.0.upgrade() {
            inner.wake_waiters();
        }
    }
}

/// What a waiting task waits for.
#[derive(Clone, Copy, Debug)]
enum Until {
    /// The segment takes reservations.
    Open,
    /// This many segments have been handed over.
    Handed(u64),
}

impl SharedWriter {
    /// A writer on the flusher's writer slot `slot` (taken, with its
    /// `ring`), drawing buffers from `pool`.
    pub(super) fn new(
        queue: Arc<Queue>,
        slot: usize,
        ring: Producer<'static, SendPacket>,
        pool: &BufferPool,
    ) -> Self {
        let inner = Arc::new_cyclic(|weak| Inner {
            queue,
            slot,
            pool: pool.clone(),
            buffer_size: pool.buffer_size(),
            handles: AtomicUsize::new(1),
            waiting: AtomicUsize::new(0),
            proxy: Waker::from(Arc::new(Proxy(weak.clone()))),
            state: SpinLock::new(State {
                ring: Some(ring),
                buf: None,
                start: 0,
                end: 0,
                pending: 0,
                sealed: false,
                poisoned: false,
                closed: false,
                handed: 0,
                flush_at: usize::MAX,
                waiters: WaitList::new(),
            }),
        });
        Self { inner }
    }

    /// Reserves `len` bytes for a message in the shared buffer, taking a
    /// fresh buffer from the pool if the current one is too full.
    ///
    /// # Errors
    ///
    /// [`WriteError::TooLarge`] if `len` exceeds a buffer;
    /// [`WriteError::Backlog`] while the sealed segment waits for
    /// reservations still being written or for the flusher, and
    /// [`WriteError::Exhausted`] if no buffer is free (nothing is lost; try
    /// again); [`WriteError::Closed`] if the flusher is gone;
    /// [`WriteError::Poisoned`] (see [`SharedWriter`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::io::{WriteError, WriteFlusher};
    ///
    /// let pool = zerocast::pool::BufferPool::new(8, 1);
    /// let (_flusher, queue) = WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool)?;
    /// assert_eq!(writer.try_reserve(9).unwrap_err(), WriteError::TooLarge { len: 9, max: 8 });
    /// writer.try_reserve(8)?.finish();
    /// // The buffer is full and the pool has no other: its 8 bytes go to the
    /// // flusher, and the next message waits for a buffer.
    /// assert_eq!(writer.try_reserve(1).unwrap_err(), WriteError::Exhausted);
    /// # Ok::<(), WriteError>(())
    /// ```
    pub fn try_reserve(&self, len: usize) -> Result<SharedWriteBuf<'_>, WriteError> {
        self.check_size(len)?;
        let taken = self.inner.try_take(len)?;
        Ok(self.reserved(taken, 0, len))
    }

    /// As [`try_reserve`](Self::try_reserve), for a frame: the 4-byte
    /// header of the [wire format](super) is written before the `len`
    /// payload bytes, and [`SharedWriteBuf::commit`] returns the payload.
    ///
    /// # Errors
    ///
    /// As [`try_reserve`](Self::try_reserve) for `4 + len` bytes;
    /// [`WriteError::TooLarge`] above [`MAX_FRAME_LEN`](super::MAX_FRAME_LEN).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool)?;
    /// let mut frame = writer.try_reserve_frame(2)?;
    /// frame.copy_from_slice(b"hi");
    /// assert_eq!(&frame.commit()[..], b"hi");
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn try_reserve_frame(&self, len: usize) -> Result<SharedWriteBuf<'_>, WriteError> {
        let header = self.frame_header(len)?;
        self.check_size(HEADER_LEN + len)?;
        let taken = self.inner.try_take(HEADER_LEN + len)?;
        Ok(self.reserved_frame(taken, header, len))
    }

    /// As [`try_reserve`](Self::try_reserve), waiting (without allocating)
    /// for the flusher, for reservations being written, or for a free
    /// buffer.
    ///
    /// # Errors
    ///
    /// [`WriteError::TooLarge`], [`WriteError::Closed`] or
    /// [`WriteError::Poisoned`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: bytes are reserved only in the poll that completes.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool).unwrap();
    /// writer.reserve(3).await.unwrap().copy_from_slice(b"abc");
    /// # });
    /// ```
    pub async fn reserve(&self, len: usize) -> Result<SharedWriteBuf<'_>, WriteError> {
        self.check_size(len)?;
        let taken = self.take(len).await?;
        Ok(self.reserved(taken, 0, len))
    }

    /// As [`try_reserve_frame`](Self::try_reserve_frame), waiting as
    /// [`reserve`](Self::reserve) does.
    ///
    /// # Errors
    ///
    /// As [`reserve`](Self::reserve).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`reserve`](Self::reserve).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool).unwrap();
    /// writer.reserve_frame(1).await.unwrap().finish();
    /// # });
    /// ```
    pub async fn reserve_frame(&self, len: usize) -> Result<SharedWriteBuf<'_>, WriteError> {
        let header = self.frame_header(len)?;
        self.check_size(HEADER_LEN + len)?;
        let taken = self.take(HEADER_LEN + len).await?;
        Ok(self.reserved_frame(taken, header, len))
    }

    /// Writes `message` in one step: reserves its bytes, copies them in and
    /// commits them under one hold of the lock, where
    /// [`try_reserve`](Self::try_reserve) and a commit take it twice. Other
    /// writers wait for the copy: where several threads write long
    /// messages, reserving lets each copy outside the lock, at once.
    ///
    /// # Errors
    ///
    /// As [`try_reserve`](Self::try_reserve) for `message.len()` bytes;
    /// nothing is written then.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool)?;
    /// writer.try_write(b"hello, ")?;
    /// writer.try_write(b"world")?;
    /// writer.try_flush()?;
    /// let mut wire = Vec::new();
    /// flusher.drain(|bytes| wire.extend_from_slice(bytes));
    /// assert_eq!(wire, b"hello, world");
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    #[inline]
    pub fn try_write(&self, message: &[u8]) -> Result<(), WriteError> {
        self.check_size(message.len())?;
        self.put(None, message)
    }

    /// As [`try_write`](Self::try_write), for a frame of the [wire
    /// format](super): its 4-byte header, then `payload`.
    ///
    /// # Errors
    ///
    /// As [`try_reserve_frame`](Self::try_reserve_frame) for
    /// `payload.len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool)?;
    /// writer.try_write_frame(b"hi")?;
    /// writer.try_flush()?;
    /// let mut wire = Vec::new();
    /// flusher.drain(|bytes| wire.extend_from_slice(bytes));
    /// assert_eq!(wire[..4], zerocast::io::encode_header(2).unwrap());
    /// assert_eq!(&wire[4..], b"hi");
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    #[inline]
    pub fn try_write_frame(&self, payload: &[u8]) -> Result<(), WriteError> {
        let header = self.frame_header(payload.len())?;
        self.check_size(HEADER_LEN + payload.len())?;
        self.put(Some(header), payload)
    }

    /// As [`try_write`](Self::try_write), waiting (without allocating) as
    /// [`reserve`](Self::reserve) does.
    ///
    /// # Errors
    ///
    /// As [`reserve`](Self::reserve).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the message is written only in the poll that completes.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool).unwrap();
    /// writer.write(b"abc").await.unwrap();
    /// assert_eq!(writer.unflushed(), 3);
    /// # });
    /// ```
    pub async fn write(&self, message: &[u8]) -> Result<(), WriteError> {
        self.check_size(message.len())?;
        self.waiting(|| self.put(None, message)).await
    }

    /// As [`try_write_frame`](Self::try_write_frame), waiting as
    /// [`write`](Self::write) does.
    ///
    /// # Errors
    ///
    /// As [`reserve_frame`](Self::reserve_frame).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool).unwrap();
    /// writer.write_frame(b"abc").await.unwrap();
    /// assert_eq!(writer.unflushed(), zerocast::io::HEADER_LEN + 3);
    /// # });
    /// ```
    pub async fn write_frame(&self, payload: &[u8]) -> Result<(), WriteError> {
        let header = self.frame_header(payload.len())?;
        self.check_size(HEADER_LEN + payload.len())?;
        self.waiting(|| self.put(Some(header), payload)).await
    }

    /// Hands everything committed so far to the flusher: seals the segment
    /// and hands it over unless a reservation in it is still being written.
    ///
    /// # Errors
    ///
    /// [`WriteError::Backlog`] if it cannot be handed over yet (a
    /// reservation in it is still being written, or the flusher is behind;
    /// nothing is lost, and the segment takes no more reservations: try
    /// again), [`WriteError::Closed`] if the flusher is gone,
    /// [`WriteError::Poisoned`] (see [`SharedWriter`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool)?;
    /// let held = writer.try_reserve(1)?;
    /// assert_eq!(writer.try_flush(), Err(zerocast::io::WriteError::Backlog));
    /// drop(held); // committed: the last commit hands the segment over
    /// writer.try_flush()?;
    /// assert_eq!(flusher.drain(|_| {}), 1);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn try_flush(&self) -> Result<(), WriteError> {
        let (outcome, wake) = self.inner.with(|s| {
            let before = s.handed;
            let outcome = s.seal().and_then(|target| {
                s.check(Until::Handed(target))
                    .unwrap_or(Err(WriteError::Backlog))
            });
            (outcome, s.handed != before && !s.waiters.is_empty())
        });
        if wake {
            self.inner.wake_waiters();
        }
        outcome
    }

    /// As [`try_flush`](Self::try_flush), waiting (without allocating) until
    /// the segment is handed over.
    ///
    /// # Errors
    ///
    /// [`WriteError::Closed`] or [`WriteError::Poisoned`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the segment stays sealed and is handed over as it would
    /// have been.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool).unwrap();
    /// writer.reserve(2).await.unwrap().copy_from_slice(b"ok");
    /// writer.flush().await.unwrap();
    /// let mut out = Vec::new();
    /// flusher.drain(|bytes| out.extend_from_slice(bytes));
    /// assert_eq!(out, b"ok");
    /// # });
    /// ```
    pub async fn flush(&self) -> Result<(), WriteError> {
        let target = self.inner.with(State::seal)?;
        self.wait(Until::Handed(target)).await
    }

    /// Seals the segment by itself once it holds `bytes` bytes (checked at
    /// each reservation); the reservation's commit then hands it over.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool)?;
    /// writer.flush_at(2);
    /// writer.try_reserve(1)?.finish();
    /// writer.try_reserve(1)?.finish();
    /// assert_eq!(flusher.drain(|_| {}), 2); // handed over without a flush
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn flush_at(&self, bytes: usize) {
        self.inner.with(|s| s.flush_at = bytes);
    }

    /// Bytes reserved in the open segment and not yet handed over
    /// (committed or still being written): what a timer's
    /// [`flush`](Self::flush) would hand over (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool)?;
    /// writer.try_reserve(3)?.finish();
    /// assert_eq!(writer.unflushed(), 3);
    /// writer.try_flush()?;
    /// assert_eq!(writer.unflushed(), 0);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn unflushed(&self) -> usize {
        self.inner.with(|s| s.end - s.start)
    }

    fn check_size(&self, len: usize) -> Result<(), WriteError> {
        let max = self.inner.buffer_size;
        if len > max {
            return Err(WriteError::TooLarge { len, max });
        }
        Ok(())
    }

    fn frame_header(&self, len: usize) -> Result<[u8; HEADER_LEN], WriteError> {
        encode_header(len).ok_or(WriteError::TooLarge {
            len: HEADER_LEN.saturating_add(len),
            max: self.inner.buffer_size,
        })
    }

    /// Reserves `len <= buffer_size` bytes, waiting for room as
    /// [`reserve`](Self::reserve) does.
    async fn take(&self, len: usize) -> Result<Taken, WriteError> {
        self.waiting(|| self.inner.try_take(len)).await
    }

    /// Writes a message (`header`, then `message`; their length checked
    /// against the buffer size) in one lock section, without waiting.
    #[inline]
    fn put(&self, header: Option<[u8; HEADER_LEN]>, message: &[u8]) -> Result<(), WriteError> {
        let head = if header.is_some() { HEADER_LEN } else { 0 };
        let len = head + message.len();
        let mut old = None;
        let written = self.inner.with(|s| {
            let taken = s.take(&self.inner.pool, len, &mut old)?;
            // SAFETY: the `len` bytes at `taken.data` were just reserved,
            // and no one else writes them; `header` (a local) and `message`
            // (a shared borrow) cannot overlap them. Marked done at once, in
            // the same lock section: no one sees the reservation pending.
            unsafe {
                if let Some(header) = header {
                    copy_small(header.as_ptr(), taken.data.as_ptr(), HEADER_LEN);
                }
                copy_small(
                    message.as_ptr(),
                    taken.data.as_ptr().add(head),
                    message.len(),
                );
            }
            Ok(s.done(taken.at, len, false))
        });
        // After the lock: the buffer given up may go back to the pool.
        drop(old);
        if written? {
            self.inner.wake_waiters();
        }
        Ok(())
    }

    /// Runs `attempt` until it neither finds the flusher behind
    /// ([`WriteError::Backlog`]) nor the pool empty
    /// ([`WriteError::Exhausted`]), waiting (without allocating) for each.
    async fn waiting<R>(
        &self,
        mut attempt: impl FnMut() -> Result<R, WriteError>,
    ) -> Result<R, WriteError> {
        loop {
            // The outcome is not kept across the waits below (it may hold a
            // pointer, which would make the future not `Send`).
            let stalled = match attempt() {
                Err(e @ (WriteError::Exhausted | WriteError::Backlog)) => e,
                done => return done,
            };
            if stalled == WriteError::Exhausted {
                let fresh = self.inner.pool.hold().await;
                let unused = self.inner.with(|s| s.offer(fresh));
                // After the lock: it may be the buffer's last unit.
                drop(unused);
            } else {
                self.wait(Until::Open).await?;
            }
        }
    }

    /// Waits until `until` holds.
    fn wait(&self, until: Until) -> Wait<'_> {
        Wait {
            writer: self,
            until,
            node: UnsafeCell::new(Node::new()),
            registered: false,
            _pinned: PhantomPinned,
        }
    }

    fn reserved(&self, taken: Taken, header: usize, len: usize) -> SharedWriteBuf<'_> {
        SharedWriteBuf {
            writer: self,
            data: taken.data,
            at: taken.at,
            header,
            len,
        }
    }

    fn reserved_frame(
        &self,
        taken: Taken,
        header: [u8; HEADER_LEN],
        len: usize,
    ) -> SharedWriteBuf<'_> {
        // SAFETY: the reservation's `HEADER_LEN + len` bytes at `data` are
        // this caller's alone, and `header` is a local that cannot overlap
        // them.
        unsafe { copy_small(header.as_ptr(), taken.data.as_ptr(), HEADER_LEN) };
        self.reserved(taken, HEADER_LEN, len)
    }
}

/// Where a reservation's bytes start: their first byte, and its offset in
/// the buffer.
struct Taken {
    data: NonNull<u8>,
    at: usize,
}

impl Inner {
    /// Runs `f` with the lock held.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        self.state.with(f)
    }

    /// Reserves `len <= buffer_size` bytes without waiting.
    fn try_take(&self, len: usize) -> Result<Taken, WriteError> {
        let mut old = None;
        let taken = self.with(|s| s.take(&self.pool, len, &mut old));
        // The buffer given up, after the lock: its last unit goes back to
        // the pool, which may wake the pool's waiters.
        drop(old);
        taken
    }

    /// Wakes the tasks queued when it is called, oldest first, each after
    /// the lock is let go.
    fn wake_waiters(&self) {
        for _ in 0..self.waiting.load(Ordering::Relaxed) {
            let Some(waker) = self.state.with(|s| s.waiters.grant(0, &self.waiting)) else {
                return;
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// A reservation of `len` bytes at `at` is done (see [`State::done`]).
    fn done(&self, at: usize, len: usize, torn: bool) {
        if self.with(|s| s.done(at, len, torn)) {
            self.wake_waiters();
        }
    }
}

impl State {
    /// Reserves `len <= buffer_size` bytes: in the open segment if it has
    /// room, else in a fresh buffer from `pool` once the segment is handed
    /// over. A buffer given up goes to `old`, for the caller to drop after
    /// the lock.
    // Always: with two callers (`try_take`, `put`) it was left a call of its
    // own, and `zerocast-shared` on `io/writer-flusher/256B` read 34.5-40.9
    // ns against 29.4-34.3 for the build before it, where it was inline, in
    // alternating processes; inline again, 27.6-28.7 against 27.6-29.4.
    #[inline(always)]
    fn take(
        &mut self,
        pool: &BufferPool,
        len: usize,
        old: &mut Option<SendPacket>,
    ) -> Result<Taken, WriteError> {
        if self.poisoned {
            return Err(WriteError::Poisoned);
        }
        if !self.settle(2)? {
            return Err(WriteError::Backlog);
        }
        if !self.fits(len) {
            if self.end > self.start || self.pending > 0 {
                self.sealed = true;
                if !self.settle(2)? {
                    return Err(WriteError::Backlog);
                }
            }
            // The segment is handed over: let the buffer go before asking
            // for another, so a pool of one can hand it out again.
            *old = self.buf.take();
            let Some(fresh) = pool.try_hold() else {
                // No buffer: unless the flusher is gone (then none will
                // go out, and the caller must not wait for one).
                if self.ring.as_ref().is_some_and(|ring| ring.is_closed()) {
                    self.closed = true;
                    return Err(WriteError::Closed);
                }
                return Err(WriteError::Exhausted);
            };
            self.install(fresh);
        }
        Ok(self.bump(len))
    }

    /// Whether `len` bytes fit after the open segment.
    fn fits(&self, len: usize) -> bool {
        self.buf
            .as_ref()
            .is_some_and(|buf| buf.buffer_size() - self.end >= len)
    }

    /// Makes `fresh` the buffer being filled, where there is none (the
    /// open segment is empty).
    fn install(&mut self, fresh: SendPacket) {
        debug_assert!(self.buf.is_none() && self.pending == 0 && !self.sealed);
        self.start = 0;
        self.end = 0;
        self.buf = Some(fresh);
    }

    /// A buffer that a task waited for: installed if there is none (the
    /// full one was let go when the task found no other). Returns `fresh`
    /// if it was not needed, for the caller to drop after the lock.
    fn offer(&mut self, fresh: SendPacket) -> Option<SendPacket> {
        if self.buf.is_none() && !self.poisoned && !self.closed {
            self.install(fresh);
            None
        } else {
            Some(fresh)
        }
    }

    /// Takes the next `len` bytes of the open segment, which fit them.
    fn bump(&mut self, len: usize) -> Taken {
        debug_assert!(self.fits(len) && !self.sealed);
        let at = self.end;
        self.end += len;
        self.pending += 1;
        if self.end - self.start >= self.flush_at {
            self.sealed = true;
        }
        let data = match &self.buf {
            // SAFETY: `at + len` is within the buffer (`fits`).
            Some(buf) => unsafe { buf.buffer_data().add(at) },
            None => NonNull::dangling(),
        };
        Taken { data, at }
    }

    /// Hands the sealed segment over if no reservation in it is
    /// outstanding and the ring has `room` free slots (2 keeps its last
    /// slot for the last handle's drop). Returns whether the segment is
    /// open.
    fn settle(&mut self, room: usize) -> Result<bool, WriteError> {
        if self.closed {
            return Err(WriteError::Closed);
        }
        if !self.sealed {
            return Ok(true);
        }
        if self.pending > 0 {
            return Ok(false);
        }
        if self.end > self.start && !self.poisoned {
            let (Some(ring), Some(buf)) = (self.ring.as_mut(), self.buf.as_ref()) else {
                self.closed = true;
                return Err(WriteError::Closed);
            };
            if ring.is_closed() {
                self.closed = true;
                return Err(WriteError::Closed);
            }
            if !ring.has_free(room) {
                return Ok(false);
            }
            // SAFETY: every reservation in `start..end` is done (`pending`
            // is zero) and none was torn (not poisoned; a torn last one gave
            // its bytes back), so those bytes are written; reservations
            // take only bytes after `end`, so none is written again before
            // the buffer goes back to the pool.
            let segment = unsafe { buf.share(self.start, self.end - self.start) };
            // Not full (`has_free`); should the flusher have gone since, the
            // segment is dropped with the error (not the buffer's last unit:
            // `buf` holds one).
            if ring.try_push(segment).is_err() {
                self.closed = true;
                return Err(WriteError::Closed);
            }
        }
        self.start = self.end;
        self.sealed = false;
        self.handed += 1;
        Ok(true)
    }

    /// Seals the open segment if anything was reserved in it; returns the
    /// count of segments handed over once it is with the flusher.
    fn seal(&mut self) -> Result<u64, WriteError> {
        if self.poisoned {
            return Err(WriteError::Poisoned);
        }
        if self.closed {
            return Err(WriteError::Closed);
        }
        if self.end == self.start && self.pending == 0 {
            return Ok(self.handed);
        }
        self.sealed = true;
        Ok(self.handed + 1)
    }

    /// `Some` once `until` holds (or never will), having tried to hand the
    /// sealed segment over.
    fn check(&mut self, until: Until) -> Option<Result<(), WriteError>> {
        if self.poisoned {
            return Some(Err(WriteError::Poisoned));
        }
        match (self.settle(2), until) {
            (Err(e), _) => Some(Err(e)),
            (Ok(open), Until::Open) => open.then_some(Ok(())),
            (Ok(_), Until::Handed(target)) => (self.handed >= target).then_some(Ok(())),
        }
    }

    /// A reservation of `len` bytes at `at` is done: written, or torn by a
    /// panic (`torn`). Returns whether waiting tasks should look again.
    fn done(&mut self, at: usize, len: usize, torn: bool) -> bool {
        debug_assert!(self.pending > 0);
        self.pending -= 1;
        if torn {
            if at + len == self.end {
                // Nothing was reserved after it: its bytes are given back.
                self.end = at;
            } else {
                self.poisoned = true;
            }
        }
        if self.sealed && self.pending == 0 {
            // Handed over now, or held up by the ring: either way waiting
            // tasks look again (and one leaves the writer's waker there).
            let _ = self.settle(2);
            return !self.waiters.is_empty();
        }
        false
    }
}

impl Clone for SharedWriter {
    fn clone(&self) -> Self {
        self.inner.handles.fetch_add(1, Ordering::Relaxed);
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl Drop for SharedWriter {
    fn drop(&mut self) {
        if self.inner.handles.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // The last handle: every reservation (each borrows a handle) is
        // done. The segment left goes into the ring's last slot, kept for
        // it; the ring then goes back to the flusher's slot.
        let inner = &*self.inner;
        let (ring, buf) = inner.with(|s| {
            if s.seal().is_ok() {
                let _ = s.settle(1);
            }
            (s.ring.take(), s.buf.take())
        });
        if let Some(ring) = ring {
            inner.queue.slots[inner.slot].with(|slot| *slot = Some(ring));
        }
        drop(buf);
        inner.queue.remove_handle();
    }
}

impl fmt::Debug for SharedWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pending = self.inner.with(|s| s.pending);
        f.debug_struct("SharedWriter")
            .field("slot", &self.inner.slot)
            .field("unflushed", &self.unflushed())
            .field("pending", &pending)
            .finish_non_exhaustive()
    }
}

/// A task waiting on a [`SharedWriter`], queued through a node it holds
/// itself (no allocation).
#[must_use = "futures do nothing unless polled"]
struct Wait<'a> {
    writer: &'a SharedWriter,
    until: Until,
    /// Reached only with the writer's lock held, once `registered`.
    node: UnsafeCell<Node>,
    /// The node has been queued (and may still be).
    registered: bool,
    _pinned: PhantomPinned,
}

// SAFETY: the node (raw list pointers, a `Send` waker) is reached only with
// the writer's lock held, from whichever thread polls or drops the future;
// the writer is `Sync`. So the future may move between threads.
unsafe impl Send for Wait<'_> {}

/// What one locked step of a [`Wait`] poll found.
struct Looked {
    /// `Some` once done.
    outcome: Option<Result<(), WriteError>>,
    /// Wakers the node no longer holds, to drop after the lock.
    unused: [Option<Waker>; 2],
    /// Only the flusher's ring holds the segment up: the cell its consumer
    /// wakes, to leave the writer's waker with (after the lock).
    ring: Option<*const WaitCell>,
    /// The segment was handed over: the other waiting tasks look again.
    wake: bool,
}

impl Future for Wait<'_> {
    type Output = Result<(), WriteError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: nothing is moved out; the node keeps its address until
        // `drop` unlinks it.
        let this = unsafe { self.get_unchecked_mut() };
        let inner = &*this.writer.inner;
        let node = this.node.with_mut(|p| p);
        let until = this.until;
        let mut left_with_ring = false;
        loop {
            let waker = cx.waker().clone();
            let looked = inner.with(|s| {
                let before = s.handed;
                let outcome = s.check(until);
                // SAFETY: the lock is held, and the node is this future's.
                let n = unsafe { &mut *node };
                n.granted = None;
                let mut ring = None;
                let unused = if outcome.is_some() {
                    if n.queued {
                        // SAFETY: queued in this list.
                        unsafe { s.waiters.unlink(node, &inner.waiting) };
                    }
                    [n.waker.take(), Some(waker)]
                } else {
                    if s.sealed && s.pending == 0 {
                        ring = s.ring.as_ref().map(|r| r.room_cell() as *const WaitCell);
                    }
                    let old = n.waker.replace(waker);
                    if !n.queued {
                        // SAFETY: the future is pinned and unlinks the node in
                        // `drop`.
                        unsafe { s.waiters.enqueue(node, &inner.waiting) };
                    }
                    [old, None]
                };
                let wake = s.handed != before && !s.waiters.is_empty();
                Looked {
                    outcome,
                    unused,
                    ring,
                    wake,
                }
            });
            drop(looked.unused);
            if looked.wake {
                inner.wake_waiters();
            }
            if let Some(outcome) = looked.outcome {
                this.registered = false;
                return Poll::Ready(outcome);
            }
            this.registered = true;
            match looked.ring {
                Some(cell) if !left_with_ring => {
                    // SAFETY: the ring's producer stays in the writer's state
                    // while a handle lives (only the last handle's drop takes
                    // it out), and this future borrows one; so does the cell
                    // of its core.
                    let cell = unsafe { &*cell };
                    // Outside the lock: a wake-up that races this runs the
                    // writer's waker at once, and that takes the lock. Then
                    // look again, as after any registration.
                    cell.register(&inner.proxy);
                    crate::wait::fence::heavy();
                    left_with_ring = true;
                }
                _ => return Poll::Pending,
            }
        }
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if !self.registered {
            return;
        }
        let inner = &*self.writer.inner;
        let node = self.node.with_mut(|p| p);
        let waker = inner.with(|s| {
            // SAFETY: the lock is held, and the node is this future's.
            let n = unsafe { &mut *node };
            if n.queued {
                // SAFETY: queued in this list.
                unsafe { s.waiters.unlink(node, &inner.waiting) };
            }
            n.waker.take()
        });
        drop(waker);
    }
}

/// Space reserved in a [`SharedWriter`]'s buffer: dereferences to the
/// message's bytes, which only this reservation reaches. Committed when
/// dropped (or by [`commit`](Self::commit), which also returns it as a
/// [`SendPacket`]).
///
/// A reservation dropped while its thread panics (feature `std`) is never
/// sent: given back if nothing was reserved after it, else the writer is
/// poisoned (see [`SharedWriter`]). There is no `discard`, as other
/// writers' messages may follow it in the buffer: a reservation is
/// written and committed.
///
/// # Examples
///
/// ```
/// let pool = zerocast::pool::BufferPool::new(64, 1);
/// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
/// let writer = queue.shared_writer(&pool)?;
/// let mut buf = writer.try_reserve(3)?;
/// buf.copy_from_slice(b"abc"); // in place, in the pooled buffer
/// drop(buf); // committed
/// writer.try_flush()?;
/// let mut out = Vec::new();
/// flusher.try_write_to(&mut out)?;
/// assert_eq!(out, b"abc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SharedWriteBuf<'a> {
    writer: &'a SharedWriter,
    /// The reservation's first byte (its header's, for a frame).
    data: NonNull<u8>,
    /// Its offset in the buffer.
    at: usize,
    header: usize,
    /// The message's length; [`DONE`] once committed.
    len: usize,
}

// SAFETY: the reservation's bytes are reached only through it (`&mut`
// to write, `&` to read), and it is done under the writer's lock from
// whichever thread commits or drops it; the writer is `Sync`.
unsafe impl Send for SharedWriteBuf<'_> {}
// SAFETY: `&SharedWriteBuf` only reads the reservation's bytes.
unsafe impl Sync for SharedWriteBuf<'_> {}

/// The `len` of a [`SharedWriteBuf`] that was committed: its drop does
/// nothing more.
const DONE: usize = usize::MAX;

impl SharedWriteBuf<'_> {
    /// Copies `src`, exactly as long as the reservation, into it; as
    /// [`WriteBuf::copy_from_slice`](super::WriteBuf::copy_from_slice).
    ///
    /// # Panics
    ///
    /// If `src.len()` differs from the reservation's length.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool)?;
    /// let mut buf = writer.try_reserve(5)?;
    /// buf.copy_from_slice(b"hello");
    /// assert_eq!(&buf[..], b"hello");
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    #[inline]
    #[track_caller]
    pub fn copy_from_slice(&mut self, src: &[u8]) {
        copy_message(&mut self[..], src, "SharedWriteBuf");
    }

    /// Commits the message and returns it (for a frame, its payload) as a
    /// [`SendPacket`], readable on any thread
    /// ([`receive`](SendPacket::receive) makes it a
    /// [`Packet`](crate::pool::Packet) of a thread's handle).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool)?;
    /// let mut buf = writer.try_reserve(2)?;
    /// buf.copy_from_slice(b"ok");
    /// let sent = buf.commit();
    /// assert_eq!(&sent[..], b"ok");
    /// assert_eq!(&sent.receive(&pool.register()).unwrap()[..], b"ok");
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn commit(mut self) -> SendPacket {
        let len = core::mem::replace(&mut self.len, DONE);
        let offset = self.at + self.header;
        let inner = &*self.writer.inner;
        let (packet, wake) = inner.with(|s| {
            let packet = s.buf.as_ref().map(|buf| {
                // SAFETY: this reservation's bytes are written (the caller
                // is done with them: `self` is consumed) and within the
                // buffer, which stays current while the reservation is
                // pending; nothing writes them again.
                unsafe { buf.share(offset, len) }
            });
            (packet, s.done(self.at, self.header + len, false))
        });
        if wake {
            inner.wake_waiters();
        }
        packet.expect("a pending reservation's buffer is current")
    }

    /// Commits the message without making a packet of it (as dropping the
    /// `SharedWriteBuf` does).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.shared_writer(&pool)?;
    /// writer.try_reserve(2)?.finish();
    /// writer.try_flush()?;
    /// assert_eq!(flusher.drain(|_| {}), 2);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn finish(self) {}
}

/// Commits unless committed already — or torn by a panic, which is never
/// sent.
impl Drop for SharedWriteBuf<'_> {
    fn drop(&mut self) {
        if self.len != DONE {
            self.writer
                .inner
                .done(self.at, self.header + self.len, unwinding());
        }
    }
}

impl Deref for SharedWriteBuf<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: `data` points at `header + len` bytes of the writer's
        // buffer that this reservation took (`State::bump`) and that no
        // other reservation, packet or segment covers while it is pending;
        // the buffer stays out of the pool while it is.
        unsafe { core::slice::from_raw_parts(self.data.as_ptr().add(self.header), self.len) }
    }
}

impl DerefMut for SharedWriteBuf<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`; `&mut self` makes this the only access,
        // and the pool's bytes are `UnsafeCell`s.
        unsafe { core::slice::from_raw_parts_mut(self.data.as_ptr().add(self.header), self.len) }
    }
}

impl fmt::Debug for SharedWriteBuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedWriteBuf")
            .field("at", &self.at)
            .field("len", &self.len)
            .finish()
    }
}
