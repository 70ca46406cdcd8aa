//! [`WriteFlusher`] and [`FlushQueue`]: the writers' filled segments, handed
//! to one flusher that writes them out in batches.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::task::{Context, Poll};

use super::shared::SharedWriter;
use super::writer::Writer;
use super::WriteError;
use crate::lock::SpinLock;
use crate::pool::{BufferPool, LocalPool, SendPacket};
use crate::spsc::{self, Consumer, Producer};
use crate::sync::{AtomicUsize, Ordering};
use crate::wait::WaitCell;
use crate::Closed;

/// Segments one `write_vectored` call carries at most.
pub(super) const BATCH: usize = 64;

/// What the flusher, its [`FlushQueue`] handles and its writers share.
pub(super) struct Queue {
    /// One ring per writer slot; a slot's producer is here while no writer
    /// holds it.
    pub(super) slots: Box<[SpinLock<Option<Producer<'static, SendPacket>>>]>,
    /// [`FlushQueue`] handles and [`Writer`]s alive. At zero no segment can
    /// be handed over any more: the flusher reports [`Closed`] once drained.
    handles: AtomicUsize,
    /// The flusher, waiting for `handles` to reach zero.
    closed: WaitCell,
}

impl Queue {
    pub(super) fn add_handle(&self) {
        self.handles.fetch_add(1, Ordering::Relaxed);
    }

    /// Release: everything this handle handed over happens before the
    /// flusher's Acquire load sees the count it leaves.
    pub(super) fn remove_handle(&self) {
        if self.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.closed.wake();
        }
    }
}

/// Hands out [`Writer`]s for a [`WriteFlusher`]: `Clone`, `Send` and `Sync`,
/// so each thread can make its own writer.
///
/// # Examples
///
/// ```
/// use zerocast::io::WriteFlusher;
/// use zerocast::pool::BufferPool;
///
/// let (mut flusher, queue) = WriteFlusher::new(4, 8);
/// let pool = BufferPool::new(256, 8);
/// let mut writer = queue.writer(&pool.register())?;
/// writer.try_reserve(3)?.copy_from_slice(b"abc");
/// # Ok::<(), zerocast::io::WriteError>(())
/// ```
pub struct FlushQueue {
    queue: Arc<Queue>,
}

/// Takes the segments [`Writer`]s hand over and writes them to a sink, many
/// per call: vectored writes to any `std::io::Write` (feature `std`), or a
/// callback per segment. Each writer's bytes come out in the order written.
///
/// # Examples
///
/// ```
/// use zerocast::io::WriteFlusher;
/// use zerocast::pool::BufferPool;
///
/// let (mut flusher, queue) = WriteFlusher::new(2, 8);
/// let local = BufferPool::new(256, 8).register();
/// let mut writer = queue.writer(&local)?;
/// writer.try_reserve(6)?.copy_from_slice(b"hello ");
/// writer.try_reserve(5)?.copy_from_slice(b"world");
/// writer.try_flush()?;
/// let mut sink = Vec::new();
/// assert_eq!(flusher.try_write_to(&mut sink).unwrap(), 11);
/// assert_eq!(sink, b"hello world");
/// # Ok::<(), zerocast::io::WriteError>(())
/// ```
pub struct WriteFlusher {
    queue: Arc<Queue>,
    rings: Box<[Consumer<'static, SendPacket>]>,
    /// Segments taken from the rings for the write in progress (capacity
    /// [`BATCH`], allocated once).
    batch: Vec<SendPacket>,
    /// The ring to start the next batch at, so no writer is starved.
    next: usize,
}

impl WriteFlusher {
    /// A flusher for up to `writers` writers at once, each able to have
    /// `depth` segments handed over and not yet written (at least 1). Every
    /// ring is allocated here.
    ///
    /// # Panics
    ///
    /// If `writers` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let (flusher, queue) = zerocast::io::WriteFlusher::new(8, 16);
    /// # drop((flusher, queue));
    /// ```
    #[track_caller]
    pub fn new(writers: usize, depth: usize) -> (WriteFlusher, FlushQueue) {
        assert!(writers > 0, "WriteFlusher: at least one writer");
        // One slot more than `depth`: a dropped writer always has room to
        // hand over its last segment.
        let (producers, rings): (Vec<_>, Vec<_>) = (0..writers)
            .map(|_| spsc::channel::<SendPacket>(depth.max(1) + 1))
            .map(|(tx, rx)| (SpinLock::new(Some(tx)), rx))
            .unzip();
        let queue = Arc::new(Queue {
            slots: producers.into_boxed_slice(),
            handles: AtomicUsize::new(1),
            closed: WaitCell::new(),
        });
        let flusher = WriteFlusher {
            queue: queue.clone(),
            rings: rings.into_boxed_slice(),
            batch: Vec::with_capacity(BATCH),
            next: 0,
        };
        (flusher, FlushQueue { queue })
    }

    /// `Ready(Ok(()))` when a segment is waiting to be written,
    /// `Ready(Err(Closed))` when every [`FlushQueue`] and [`Writer`] is gone
    /// and everything they handed over was written; otherwise registers
    /// `cx`'s waker (no allocation) and returns `Pending`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(flusher.poll_ready(&mut cx).is_pending());
    /// drop(queue);
    /// assert_eq!(flusher.poll_ready(&mut cx), Poll::Ready(Err(zerocast::Closed)));
    /// ```
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        if self.rings.iter().any(|r| !r.is_empty()) {
            return Poll::Ready(Ok(()));
        }
        self.queue.closed.register(cx.waker());
        let closed = self.queue.handles.load(Ordering::Acquire) == 0;
        for ring in self.rings.iter_mut() {
            if ring.poll_ready(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
        }
        if closed {
            Poll::Ready(Err(Closed))
        } else {
            Poll::Pending
        }
    }

    /// Calls `sink` with as many segments as were waiting when the call
    /// began (each writer's oldest first, in its order), releasing each.
    /// Returns the bytes passed. More handed over meanwhile wait for the
    /// next call, so the call ends even while writers keep writing.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let local = zerocast::pool::BufferPool::new(64, 2).register();
    /// let mut writer = queue.writer(&local)?;
    /// writer.try_reserve(2)?.copy_from_slice(b"ok");
    /// writer.try_flush()?;
    /// let mut seen = Vec::new();
    /// assert_eq!(flusher.drain(|bytes| seen.extend_from_slice(bytes)), 2);
    /// assert_eq!(seen, b"ok");
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn drain(&mut self, mut sink: impl FnMut(&[u8])) -> usize {
        let mut bytes = 0;
        let mut budget = self.handed_over();
        while self.fill_batch(&mut budget) > 0 {
            for segment in self.batch.drain(..) {
                bytes += segment.len();
                sink(&segment);
            }
        }
        bytes
    }

    /// Segments handed over and not yet taken: what one pass of
    /// [`drain`](Self::drain) or a `write_to` method takes at most, so that
    /// a pass ends even while writers keep handing over.
    fn handed_over(&self) -> usize {
        self.rings.iter().map(|r| r.len()).sum()
    }

    /// Takes up to [`BATCH`] segments, and at most `budget` (less what it
    /// takes), into `batch`, starting at the ring after the last batch's
    /// first. Returns how many.
    fn fill_batch(&mut self, budget: &mut usize) -> usize {
        debug_assert!(self.batch.is_empty());
        let limit = BATCH.min(*budget);
        let rings = self.rings.len();
        let start = self.next;
        self.next = (start + 1) % rings;
        for i in 0..rings {
            let ring = &mut self.rings[(start + i) % rings];
            while self.batch.len() < limit {
                match ring.try_pop() {
                    Ok(segment) => self.batch.push(segment),
                    Err(_) => break,
                }
            }
        }
        *budget -= self.batch.len();
        self.batch.len()
    }

    /// The queue this flusher serves: another handle for making writers.
    ///
    /// # Examples
    ///
    /// ```
    /// let (flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// drop(queue);
    /// let again = flusher.queue();
    /// # drop(again);
    /// ```
    pub fn queue(&self) -> FlushQueue {
        self.queue.add_handle();
        FlushQueue {
            queue: self.queue.clone(),
        }
    }
}

#[cfg(feature = "std")]
impl WriteFlusher {
    /// Writes as many segments as were waiting when the call began (each
    /// writer's oldest first, in its order) to `sink`, up to 64 per
    /// `write_vectored` call, and releases them. Returns the bytes written
    /// (0 if there was nothing). Does not wait, and ends even while writers
    /// keep handing over: what they hand over meanwhile is left for the
    /// next call.
    ///
    /// # Errors
    ///
    /// The sink's error; the batch being written is dropped with it (its
    /// bytes may be partly written) — as it is when the sink panics: no
    /// segment is ever written twice.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut flusher, _queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// assert_eq!(flusher.try_write_to(&mut Vec::new()).unwrap(), 0);
    /// ```
    pub fn try_write_to<W: std::io::Write + ?Sized>(
        &mut self,
        sink: &mut W,
    ) -> std::io::Result<usize> {
        let mut bytes = 0;
        let mut budget = self.handed_over();
        while self.fill_batch(&mut budget) > 0 {
            let batch = Written(&mut self.batch);
            bytes += write_batch(sink, batch.0)?;
        }
        Ok(bytes)
    }

    /// Waits until something was handed over, then writes everything that
    /// is there, as [`try_write_to`](Self::try_write_to). Returns `Ok(0)`
    /// once every handle and writer is gone and all was written.
    ///
    /// # Errors
    ///
    /// As [`try_write_to`](Self::try_write_to).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe while it waits; the write itself does not wait.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// drop(queue);
    /// assert_eq!(flusher.write_to(&mut Vec::new()).await.unwrap(), 0);
    /// # });
    /// ```
    pub async fn write_to<W: std::io::Write + ?Sized>(
        &mut self,
        sink: &mut W,
    ) -> std::io::Result<usize> {
        match core::future::poll_fn(|cx| self.poll_ready(cx)).await {
            Ok(()) => self.try_write_to(sink),
            Err(Closed) => Ok(0),
        }
    }

    /// As [`write_to`](Self::write_to), parking the thread while it waits
    /// (no allocation after the thread's first blocking call).
    ///
    /// # Errors
    ///
    /// As [`try_write_to`](Self::try_write_to).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let local = zerocast::pool::BufferPool::new(64, 2).register();
    /// let mut writer = queue.writer(&local)?;
    /// writer.try_reserve(1)?.copy_from_slice(b"!");
    /// drop((writer, queue)); // a dropped writer hands over what it wrote
    /// let mut out = Vec::new();
    /// assert_eq!(flusher.write_to_blocking(&mut out).unwrap(), 1);
    /// assert_eq!(flusher.write_to_blocking(&mut out).unwrap(), 0);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    #[cfg(not(zerocast_loom))]
    pub fn write_to_blocking<W: std::io::Write + ?Sized>(
        &mut self,
        sink: &mut W,
    ) -> std::io::Result<usize> {
        let ready = crate::park::wait(
            self,
            |f| f.rings.iter().any(|r| !r.is_empty()),
            |f, cx| f.poll_ready(cx),
        );
        match ready {
            Ok(()) => self.try_write_to(sink),
            Err(Closed) => Ok(0),
        }
    }
}

/// Points `slices` at the segments of `batch`; returns their bytes.
#[cfg(feature = "std")]
fn io_slices<'a>(batch: &'a [SendPacket], slices: &mut [std::io::IoSlice<'a>]) -> usize {
    let mut bytes = 0;
    for (slice, segment) in slices.iter_mut().zip(batch) {
        *slice = std::io::IoSlice::new(segment);
        bytes += segment.len();
    }
    bytes
}

/// A batch being written, emptied when this drops: its segments are
/// released once the write ends, however it ends — done, failed, panicked,
/// or (for `write_to_tokio`) cancelled — so none is ever written twice.
#[cfg(feature = "std")]
struct Written<'a>(&'a mut Vec<SendPacket>);

#[cfg(feature = "std")]
impl Drop for Written<'_> {
    fn drop(&mut self) {
        self.0.clear();
    }
}

/// Writes `batch` whole with vectored writes; returns its bytes.
#[cfg(feature = "std")]
fn write_batch<W: std::io::Write + ?Sized>(
    sink: &mut W,
    batch: &[SendPacket],
) -> std::io::Result<usize> {
    use std::io::{ErrorKind, IoSlice};

    let mut slices = [IoSlice::new(&[]); BATCH];
    let bytes = io_slices(batch, &mut slices);
    let mut rest = &mut slices[..batch.len()];
    while !rest.is_empty() {
        match sink.write_vectored(rest) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(bytes)
}

#[cfg(feature = "tokio")]
impl WriteFlusher {
    /// As [`write_to`](Self::write_to), to a tokio [`AsyncWrite`](tokio::io::AsyncWrite)
    /// with `poll_write_vectored`. Feature `tokio`.
    ///
    /// # Errors
    ///
    /// The sink's error; the batch being written is dropped with it.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe while it waits for segments; cancelled during a write,
    /// the batch being written is dropped (its bytes may be partly written).
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let local = zerocast::pool::BufferPool::new(64, 2).register();
    /// let mut writer = queue.writer(&local).unwrap();
    /// writer.try_reserve(2).unwrap().copy_from_slice(b"ok");
    /// drop((writer, queue));
    /// let mut out = Vec::new();
    /// assert_eq!(flusher.write_to_tokio(&mut out).await.unwrap(), 2);
    /// assert_eq!(out, b"ok");
    /// # });
    /// ```
    pub async fn write_to_tokio<W: tokio::io::AsyncWrite + Unpin + ?Sized>(
        &mut self,
        sink: &mut W,
    ) -> std::io::Result<usize> {
        if core::future::poll_fn(|cx| self.poll_ready(cx))
            .await
            .is_err()
        {
            return Ok(0);
        }
        let mut bytes = 0;
        let mut budget = self.handed_over();
        while self.fill_batch(&mut budget) > 0 {
            let batch = Written(&mut self.batch);
            bytes += write_batch_tokio(sink, batch.0).await?;
        }
        Ok(bytes)
    }
}

/// Writes `batch` whole to a tokio sink with vectored writes.
#[cfg(feature = "tokio")]
async fn write_batch_tokio<W: tokio::io::AsyncWrite + Unpin + ?Sized>(
    sink: &mut W,
    batch: &[SendPacket],
) -> std::io::Result<usize> {
    use std::io::{ErrorKind, IoSlice};

    let mut slices = [IoSlice::new(&[]); BATCH];
    let bytes = io_slices(batch, &mut slices);
    let mut rest = &mut slices[..batch.len()];
    while !rest.is_empty() {
        let written = core::future::poll_fn(|cx| {
            core::pin::Pin::new(&mut *sink).poll_write_vectored(cx, rest)
        })
        .await?;
        if written == 0 {
            return Err(ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut rest, written);
    }
    Ok(bytes)
}

impl FlushQueue {
    /// A [`Writer`] for this thread, drawing buffers from `local`.
    ///
    /// # Errors
    ///
    /// [`WriteError::NoWriterSlot`] when as many writers as the flusher was
    /// made for are alive (a dropped writer frees its slot);
    /// [`WriteError::Backlog`] when a slot is free but its ring holds what
    /// earlier writers handed over, up to its last free slot, which the new
    /// writer would need for the segment its drop hands over (the flusher
    /// is behind; try again).
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::io::{WriteError, WriteFlusher};
    ///
    /// let (_flusher, queue) = WriteFlusher::new(1, 4);
    /// let local = zerocast::pool::BufferPool::new(64, 2).register();
    /// let first = queue.writer(&local)?;
    /// assert_eq!(queue.writer(&local).unwrap_err(), WriteError::NoWriterSlot);
    /// drop(first);
    /// assert!(queue.writer(&local).is_ok());
    /// # Ok::<(), WriteError>(())
    /// ```
    pub fn writer(&self, local: &LocalPool) -> Result<Writer, WriteError> {
        let (slot, ring) = self.take_slot()?;
        Ok(Writer::new(local.clone(), self.queue.clone(), slot, ring))
    }

    /// A [`SharedWriter`] for this flusher, on one writer slot, drawing
    /// buffers from `pool`: one writer that many threads and tasks share,
    /// packing their messages into the same buffers.
    ///
    /// # Errors
    ///
    /// As [`writer`](Self::writer).
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::io::{WriteError, WriteFlusher};
    ///
    /// let pool = zerocast::pool::BufferPool::new(64, 2);
    /// let (_flusher, queue) = WriteFlusher::new(1, 4);
    /// let shared = queue.shared_writer(&pool)?;
    /// let twin = shared.clone(); // the same writer, on the same slot
    /// assert_eq!(queue.shared_writer(&pool).unwrap_err(), WriteError::NoWriterSlot);
    /// drop((shared, twin));
    /// assert!(queue.shared_writer(&pool).is_ok());
    /// # Ok::<(), WriteError>(())
    /// ```
    pub fn shared_writer(&self, pool: &BufferPool) -> Result<SharedWriter, WriteError> {
        let (slot, ring) = self.take_slot()?;
        Ok(SharedWriter::new(self.queue.clone(), slot, ring, pool))
    }

    /// Takes a free writer slot with its ring, counting one more handle.
    /// Only a ring with two free slots is taken: a writer hands a segment
    /// over only while two are free, so the last one is always there for
    /// the segment its drop hands over. (A ring whose last slot the
    /// previous writer's drop used would otherwise lose the next writer's
    /// last segment.)
    fn take_slot(&self) -> Result<(usize, Producer<'static, SendPacket>), WriteError> {
        let mut behind = false;
        for (slot, cell) in self.queue.slots.iter().enumerate() {
            let ring = cell.with(|slot| match slot.as_mut().map(|ring| ring.has_free(2)) {
                Some(true) => slot.take(),
                Some(false) => {
                    behind = true;
                    None
                }
                None => None,
            });
            if let Some(ring) = ring {
                self.queue.add_handle();
                return Ok((slot, ring));
            }
        }
        Err(if behind {
            WriteError::Backlog
        } else {
            WriteError::NoWriterSlot
        })
    }
}

impl Clone for FlushQueue {
    fn clone(&self) -> Self {
        self.queue.add_handle();
        Self {
            queue: self.queue.clone(),
        }
    }
}

impl Drop for FlushQueue {
    fn drop(&mut self) {
        self.queue.remove_handle();
    }
}

impl fmt::Debug for FlushQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlushQueue")
            .field("slots", &self.queue.slots.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for WriteFlusher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteFlusher")
            .field("writers", &self.rings.len())
            .finish_non_exhaustive()
    }
}
