//! [`Writer`]: packs messages into pooled buffers and hands filled segments
//! to a [`WriteFlusher`](super::WriteFlusher).

use alloc::sync::Arc;
use core::fmt;
use core::future::poll_fn;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use super::flusher::Queue;
use super::header::{encode_header, HEADER_LEN};
use crate::pool::SendPacket;
use crate::pool::{Buffer, LocalPool, Packet};
use crate::spsc::Producer;
use crate::{Closed, TrySendError};

/// Why a [`Writer`] could not reserve or flush.
///
/// # Examples
///
/// ```
/// use zerocast::io::{WriteError, WriteFlusher};
///
/// let (flusher, queue) = WriteFlusher::new(1, 4);
/// let local = zerocast::pool::BufferPool::new(16, 1).register();
/// let mut writer = queue.writer(&local)?;
/// assert_eq!(queue.writer(&local).unwrap_err(), WriteError::NoWriterSlot); // made for one
/// assert_eq!(writer.try_reserve(17).unwrap_err(), WriteError::TooLarge { len: 17, max: 16 });
/// writer.try_reserve(1)?.finish();
/// drop(flusher);
/// assert_eq!(writer.try_flush(), Err(WriteError::Closed)); // nowhere to hand it
/// # Ok::<(), WriteError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// The message (with its header, for a frame) is larger than a buffer.
    TooLarge {
        /// The bytes asked for.
        len: usize,
        /// The most one buffer holds.
        max: usize,
    },
    /// No buffer is free (try again, or use the `async` form, which waits).
    Exhausted,
    /// The writer's ring to the flusher is full: the flusher is behind (try
    /// again, or use the `async` form, which waits). Nothing was lost.
    Backlog,
    /// The [`WriteFlusher`](super::WriteFlusher) is gone.
    Closed,
    /// As many writers as the flusher was made for are alive.
    NoWriterSlot,
    /// A thread panicked while holding a
    /// [`SharedWriter`](super::SharedWriter) reservation that other
    /// writers had reserved past: the segment holding it was dropped, not
    /// sent, and the writer takes nothing more.
    Poisoned,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WriteError::TooLarge { len, max } => {
                write!(f, "a {len}-byte reservation exceeds the {max}-byte buffer")
            }
            WriteError::Exhausted => f.write_str("no buffer free for the writer"),
            WriteError::Backlog => f.write_str("the flusher is behind: its ring is full"),
            WriteError::Closed => f.write_str("the flusher is gone"),
            WriteError::NoWriterSlot => f.write_str("every writer slot is taken"),
            WriteError::Poisoned => {
                f.write_str("a writer panicked mid-message: the shared segment was dropped")
            }
        }
    }
}

impl core::error::Error for WriteError {}

/// Packs messages contiguously into pooled buffers; [`flush`](Self::flush)
/// hands what was written to the [`WriteFlusher`](super::WriteFlusher) as
/// one segment per buffer, so one write can carry many messages.
///
/// One writer per thread (it is `!Send`, and takes `&mut self`): made by
/// [`FlushQueue::writer`](super::FlushQueue::writer). A reservation larger
/// than a buffer is [`WriteError::TooLarge`], never a panic.
///
/// **Flush cadence** is the caller's: explicitly with
/// [`flush`](Self::flush) / [`try_flush`](Self::try_flush), by size with
/// [`flush_at`](Self::flush_at), or on a timer by calling `flush` from one:
/// the writer's task waits on its messages and on a tick at once (e.g.
/// `tokio::select!` over its source and a `tokio::time::interval`) and
/// flushes on each tick that finds [`unflushed`](Self::unflushed) bytes, so
/// no message waits longer than a period. A buffer that fills is handed over
/// at once (it can take no more messages), and a dropped writer hands over
/// what it wrote.
///
/// # Examples
///
/// ```
/// use zerocast::io::{Framer, WriteFlusher};
/// use zerocast::pool::BufferPool;
///
/// let pool = BufferPool::new(256, 8);
/// let local = pool.register();
/// let (mut flusher, queue) = WriteFlusher::new(1, 8);
/// let mut writer = queue.writer(&local)?;
/// let mut frame = writer.try_reserve_frame(5)?;
/// frame.copy_from_slice(b"hello");
/// let sent: zerocast::pool::Packet = frame.commit(); // also usable locally
/// assert_eq!(&sent[..], b"hello");
/// writer.try_flush()?;
///
/// let mut wire = Vec::new();
/// flusher.try_write_to(&mut wire).unwrap();
/// let mut framer = Framer::new(pool.register(), 252);
/// framer.try_write_buf().unwrap()[..wire.len()].copy_from_slice(&wire);
/// framer.commit(wire.len()).unwrap();
/// assert_eq!(&framer.next_frame().unwrap().unwrap()[..], b"hello");
/// # Ok::<(), zerocast::io::WriteError>(())
/// ```
pub struct Writer {
    local: LocalPool,
    queue: Arc<Queue>,
    slot: usize,
    /// This writer's ring to the flusher; `None` only while dropping.
    ring: Option<Producer<'static, SendPacket>>,
    /// The buffer being filled.
    buf: Option<Buffer>,
    /// Where in `buf` the bytes not yet handed over start: the segment is
    /// `buf`'s frozen bytes from here on (a packet is made of it only when
    /// it is handed over).
    handed: usize,
    /// Hand the segment over once it holds this many bytes.
    flush_at: usize,
    /// `handed + flush_at` (saturating): the frozen offset at which a commit
    /// hands the segment over, so that the check is one comparison.
    flush_mark: usize,
    /// The pool's buffer size: the largest reservation.
    buffer_size: usize,
}

/// Space reserved by a [`Writer`]: dereferences to the message's bytes.
/// Committed when dropped (or by [`commit`](Self::commit), which also
/// returns it as a [`Packet`]); [`discard`](Self::discard) gives it up.
///
/// A reservation dropped while its thread panics is discarded, not
/// committed (feature `std`): a message cut short by a panic is never sent,
/// nor are the bytes left in the buffer from its last use.
///
/// # Examples
///
/// ```
/// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
/// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
/// let mut buf = writer.try_reserve(3)?;
/// buf.copy_from_slice(b"abc"); // writes in place, in the pooled buffer
/// drop(buf); // committed
/// writer.try_reserve(3)?.discard(); // given up: never sent
/// writer.try_flush()?;
/// let mut out = Vec::new();
/// flusher.try_write_to(&mut out)?;
/// assert_eq!(out, b"abc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WriteBuf<'a> {
    writer: &'a mut Writer,
    /// The reservation's first byte (its header's, for a frame).
    data: NonNull<u8>,
    header: usize,
    len: usize,
}

impl Writer {
    pub(super) fn new(
        local: LocalPool,
        queue: Arc<Queue>,
        slot: usize,
        ring: Producer<'static, SendPacket>,
    ) -> Self {
        Self {
            buffer_size: local.buffer_size(),
            local,
            queue,
            slot,
            ring: Some(ring),
            buf: None,
            handed: 0,
            flush_at: usize::MAX,
            flush_mark: usize::MAX,
        }
    }

    /// Reserves `len` bytes for a message, taking a fresh buffer if the
    /// current one is too full.
    ///
    /// # Errors
    ///
    /// [`WriteError::TooLarge`] if `len` exceeds a buffer;
    /// [`WriteError::Backlog`] or [`WriteError::Exhausted`] if a fresh buffer
    /// is needed and the flusher is behind or no buffer is free (nothing is
    /// lost; try again); [`WriteError::Closed`] if the flusher is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::io::{WriteError, WriteFlusher};
    ///
    /// let (_flusher, queue) = WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(8, 1).register())?;
    /// assert_eq!(
    ///     writer.try_reserve(9).unwrap_err(),
    ///     WriteError::TooLarge { len: 9, max: 8 }
    /// );
    /// writer.try_reserve(8)?.finish();
    /// assert_eq!(writer.try_reserve(1).unwrap_err(), WriteError::Exhausted);
    /// # Ok::<(), WriteError>(())
    /// ```
    #[inline]
    pub fn try_reserve(&mut self, len: usize) -> Result<WriteBuf<'_>, WriteError> {
        let data = self.try_make_room(len)?;
        Ok(self.reserved(data, len))
    }

    /// As [`try_reserve`](Self::try_reserve), for a frame: the 4-byte header
    /// of the [wire format](super) is written before the `len` payload
    /// bytes, and [`WriteBuf::commit`] returns the payload.
    ///
    /// # Errors
    ///
    /// As [`try_reserve`](Self::try_reserve), counting the header, and
    /// [`WriteError::TooLarge`] above [`MAX_FRAME_LEN`](super::MAX_FRAME_LEN).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
    /// let mut frame = writer.try_reserve_frame(2)?;
    /// frame.copy_from_slice(b"hi");
    /// assert_eq!(&frame.commit()[..], b"hi");
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn try_reserve_frame(&mut self, len: usize) -> Result<WriteBuf<'_>, WriteError> {
        let header = self.frame_header(len)?;
        let data = self.try_make_room(HEADER_LEN + len)?;
        Ok(self.reserved_frame(data, header, len))
    }

    /// As [`try_reserve`](Self::try_reserve), waiting (without allocating)
    /// for the flusher or for a free buffer.
    ///
    /// # Errors
    ///
    /// [`WriteError::TooLarge`] or [`WriteError::Closed`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a fresh buffer is only taken in the poll that completes.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register()).unwrap();
    /// writer.reserve(3).await.unwrap().copy_from_slice(b"abc");
    /// # });
    /// ```
    pub async fn reserve(&mut self, len: usize) -> Result<WriteBuf<'_>, WriteError> {
        let data = self.make_room(len).await?;
        Ok(self.reserved(data, len))
    }

    /// As [`try_reserve_frame`](Self::try_reserve_frame), waiting (without
    /// allocating) for the flusher or for a free buffer.
    ///
    /// # Errors
    ///
    /// [`WriteError::TooLarge`] or [`WriteError::Closed`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`reserve`](Self::reserve).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register()).unwrap();
    /// writer.reserve_frame(1).await.unwrap().finish();
    /// # });
    /// ```
    pub async fn reserve_frame(&mut self, len: usize) -> Result<WriteBuf<'_>, WriteError> {
        let header = self.frame_header(len)?;
        let data = self.make_room(HEADER_LEN + len).await?;
        Ok(self.reserved_frame(data, header, len))
    }

    /// Hands what was committed since the last hand-over to the flusher.
    ///
    /// # Errors
    ///
    /// [`WriteError::Backlog`] if the flusher is behind (the bytes stay
    /// with the writer; try again), [`WriteError::Closed`] if it is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
    /// writer.try_reserve(1)?.finish();
    /// assert_eq!(writer.unflushed(), 1);
    /// writer.try_flush()?;
    /// assert_eq!(writer.unflushed(), 0);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn try_flush(&mut self) -> Result<(), WriteError> {
        if self.unflushed() == 0 {
            return Ok(());
        }
        if !self.ring_mut().has_free(2) {
            return Err(WriteError::Backlog);
        }
        self.hand_over()
    }

    /// As [`try_flush`](Self::try_flush), waiting (without allocating) while
    /// the flusher is behind.
    ///
    /// # Errors
    ///
    /// [`WriteError::Closed`] if the flusher is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the bytes stay with the writer until the poll that
    /// hands them over.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register()).unwrap();
    /// writer.reserve(1).await.unwrap().finish();
    /// writer.flush().await.unwrap();
    /// # });
    /// ```
    pub async fn flush(&mut self) -> Result<(), WriteError> {
        if self.unflushed() == 0 {
            return Ok(());
        }
        self.wait_for_ring().await?;
        self.hand_over()
    }

    /// Hands the segment over by itself once it holds `bytes` bytes (checked
    /// at each commit; a full ring leaves it for the next commit or flush).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
    /// writer.flush_at(2);
    /// writer.try_reserve(1)?.finish();
    /// writer.try_reserve(1)?.finish();
    /// assert_eq!(writer.unflushed(), 0);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn flush_at(&mut self, bytes: usize) {
        self.flush_at = bytes;
        self.set_handed(self.handed);
    }

    /// Bytes of `buf` before `handed` are handed over (or were never part
    /// of a segment); the size-based flush counts from there.
    fn set_handed(&mut self, handed: usize) {
        self.handed = handed;
        self.flush_mark = handed.saturating_add(self.flush_at);
    }

    /// Bytes committed and not yet handed to the flusher.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
    /// assert_eq!(writer.unflushed(), 0);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn unflushed(&self) -> usize {
        self.buf.as_ref().map_or(0, |b| b.frozen() - self.handed)
    }

    fn ring_mut(&mut self) -> &mut Producer<'static, SendPacket> {
        self.ring.as_mut().expect("a live writer has its ring")
    }

    fn frame_header(&self, len: usize) -> Result<[u8; HEADER_LEN], WriteError> {
        encode_header(len).ok_or(WriteError::TooLarge {
            len: HEADER_LEN.saturating_add(len),
            max: self.buffer_size,
        })
    }

    /// The position as a [`WriteBatch`](super::WriteBatch) holds it.
    pub(super) fn view(&self) -> super::batch::View {
        match &self.buf {
            Some(buf) => {
                let at = buf.frozen();
                let end = (at + buf.remaining())
                    .saturating_add(1)
                    .min(self.flush_mark);
                super::batch::View {
                    // `unfrozen_ptr` is `at` bytes into the buffer and keeps
                    // the whole buffer's provenance.
                    data: buf.unfrozen_ptr().as_ptr().wrapping_sub(at),
                    at,
                    room: end.saturating_sub(at),
                }
            }
            None => super::batch::View {
                data: NonNull::dangling().as_ptr(),
                at: 0,
                room: 0,
            },
        }
    }

    /// Takes back a [`WriteBatch`](super::WriteBatch)'s position: the
    /// current buffer is filled (its bytes frozen) up to `at`.
    pub(super) fn set_filled(&mut self, at: usize) {
        if let Some(buf) = &mut self.buf {
            debug_assert!(at >= buf.frozen() && at - buf.frozen() <= buf.remaining());
            // SAFETY: a batch moves `at` on only over bytes that fitted the
            // buffer (`room`), from where `view` found it, so the bytes
            // from the frozen count up to `at` are there and written.
            unsafe { buf.skip_unchecked(at - buf.frozen()) };
        }
    }

    /// Where `len` free bytes start in the current buffer, if they fit it.
    /// (A `len` above the buffer size never fits: `remaining <= size`.)
    #[inline]
    fn fits(&self, len: usize) -> Option<NonNull<u8>> {
        match &self.buf {
            Some(buf) if buf.remaining() >= len => Some(buf.unfrozen_ptr()),
            _ => None,
        }
    }

    /// An error if `len` bytes never fit a buffer.
    fn check_size(&self, len: usize) -> Result<(), WriteError> {
        let max = self.buffer_size;
        if len > max {
            return Err(WriteError::TooLarge { len, max });
        }
        Ok(())
    }

    /// Where `len` free bytes start, in the current buffer or a fresh one.
    #[inline]
    fn try_make_room(&mut self, len: usize) -> Result<NonNull<u8>, WriteError> {
        match self.fits(len) {
            Some(data) => Ok(data),
            None => self.try_next_buffer(len),
        }
    }

    /// The current buffer is too full (or there is none): hand its segment
    /// over and take a fresh one.
    #[cold]
    fn try_next_buffer(&mut self, len: usize) -> Result<NonNull<u8>, WriteError> {
        self.check_size(len)?;
        self.try_flush()?;
        self.buf = None;
        let fresh = self.local.try_acquire().ok_or(WriteError::Exhausted)?;
        Ok(self.install(fresh))
    }

    async fn make_room(&mut self, len: usize) -> Result<NonNull<u8>, WriteError> {
        if let Some(data) = self.fits(len) {
            return Ok(data);
        }
        self.check_size(len)?;
        self.flush().await?;
        self.buf = None;
        let fresh = self.local.acquire().await;
        Ok(self.install(fresh))
    }

    /// Makes `fresh` the buffer being filled (the old one was handed over);
    /// returns its first byte.
    fn install(&mut self, fresh: Buffer) -> NonNull<u8> {
        let data = fresh.unfrozen_ptr();
        self.buf = Some(fresh);
        self.set_handed(0);
        data
    }

    /// The bytes committed and not yet handed over, as a packet; they count
    /// as handed over from now on.
    fn take_segment(&mut self) -> Option<Packet> {
        let buf = self.buf.as_mut()?;
        let len = buf.frozen() - self.handed;
        if len == 0 {
            return None;
        }
        let segment = buf.frozen_packet(self.handed, len);
        let handed = buf.frozen();
        self.set_handed(handed);
        Some(segment)
    }

    /// Waits for room for a segment, keeping the ring's last slot for drop.
    async fn wait_for_ring(&mut self) -> Result<(), WriteError> {
        let ring = self.ring_mut();
        poll_fn(|cx| ring.poll_free(cx, 2))
            .await
            .map_err(|Closed| WriteError::Closed)
    }

    /// Pushes the segment (the caller made sure there is room).
    fn hand_over(&mut self) -> Result<(), WriteError> {
        let Some(segment) = self.take_segment() else {
            return Ok(());
        };
        match self.ring_mut().try_push(segment.send()) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(_)) => Err(WriteError::Closed),
            Err(TrySendError::Full(_)) => unreachable!("room was checked"),
        }
    }

    /// The reservation of `len` bytes at `data`, which making room found
    /// free in the current buffer.
    fn reserved(&mut self, data: NonNull<u8>, len: usize) -> WriteBuf<'_> {
        debug_assert!(self.buf.as_ref().is_some_and(|b| b.remaining() >= len));
        WriteBuf {
            writer: self,
            data,
            header: 0,
            len,
        }
    }

    /// As [`reserved`](Self::reserved), for `header` and then `len` bytes.
    fn reserved_frame(
        &mut self,
        data: NonNull<u8>,
        header: [u8; HEADER_LEN],
        len: usize,
    ) -> WriteBuf<'_> {
        let mut frame = self.reserved(data, HEADER_LEN + len);
        frame[..HEADER_LEN].copy_from_slice(&header);
        frame.header = HEADER_LEN;
        frame.len = len;
        frame
    }

    /// Freezes the reserved bytes: they join the segment.
    ///
    /// # Safety
    ///
    /// `header + len` bytes of the current buffer were found free by
    /// [`fits`](Self::fits) (making a [`WriteBuf`]) and nothing froze any
    /// or replaced the buffer since: the `WriteBuf` borrowed this writer
    /// until now.
    #[inline]
    unsafe fn commit(&mut self, header: usize, len: usize, packet: bool) -> Option<Packet> {
        // SAFETY: there is a current buffer (the contract).
        let buf = unsafe { self.buf.as_mut().unwrap_unchecked() };
        let packet = if packet {
            // SAFETY: `header <= header + len` bytes are there (the contract).
            unsafe { buf.skip_unchecked(header) };
            Some(buf.freeze(len))
        } else {
            // SAFETY: as above.
            unsafe { buf.skip_unchecked(header + len) };
            None
        };
        if buf.frozen() >= self.flush_mark {
            self.flush_by_size();
        }
        packet
    }

    /// The segment reached `flush_at`: hand it over if the ring has room (a
    /// full ring leaves the bytes for the next commit or flush).
    #[cold]
    fn flush_by_size(&mut self) {
        let _ = self.try_flush();
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let Some(mut ring) = self.ring.take() else {
            return;
        };
        if let Some(segment) = self.take_segment() {
            // The ring's last slot is kept for this push; it fails only if
            // the flusher is gone, and then there is no one to write to.
            let _ = ring.try_push(segment.send());
        }
        self.queue.slots[self.slot].with(|slot| *slot = Some(ring));
        self.queue.remove_handle();
    }
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("slot", &self.slot)
            .field("unflushed", &self.unflushed())
            .finish_non_exhaustive()
    }
}

impl WriteBuf<'_> {
    /// Copies `src`, which must be exactly as long as the reservation, into
    /// it: the slice method of the same name (which `WriteBuf` would reach
    /// through `DerefMut`), for messages of a few bytes without a call into
    /// the C library's `memcpy` — up to 32 bytes move as two overlapping
    /// loads and stores; longer ones still go through `memcpy`.
    ///
    /// # Panics
    ///
    /// If `src.len()` differs from the reservation's length, as the slice
    /// method does.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
    /// writer.try_reserve(5)?.copy_from_slice(b"hello");
    /// assert_eq!(writer.unflushed(), 5);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    #[inline]
    #[track_caller]
    pub fn copy_from_slice(&mut self, src: &[u8]) {
        copy_message(&mut self[..], src, "WriteBuf");
    }

    /// Commits the message and returns it as a [`Packet`] (for a frame, its
    /// payload), to use locally as well.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
    /// let mut buf = writer.try_reserve(2)?;
    /// buf.copy_from_slice(b"ok");
    /// assert_eq!(&buf.commit()[..], b"ok");
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn commit(mut self) -> Packet {
        // Marked done first, so that the drop commits nothing more.
        let len = core::mem::replace(&mut self.len, DONE);
        // SAFETY: a `WriteBuf` is made by `reserved` right after making room
        // for `header + len` bytes, and borrows the writer until now.
        unsafe { self.writer.commit(self.header, len, true) }.expect("a packet was asked for")
    }

    /// Commits the message without making a [`Packet`] of it (as dropping
    /// the `WriteBuf` does).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
    /// writer.try_reserve(2)?.finish();
    /// assert_eq!(writer.unflushed(), 2);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn finish(self) {}

    /// Gives the reservation up: nothing is committed, and the bytes are
    /// reused by the next reservation.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
    /// writer.try_reserve(2)?.discard();
    /// assert_eq!(writer.unflushed(), 0);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn discard(mut self) {
        self.len = DONE;
    }
}

/// The `len` of a [`WriteBuf`] that was committed or discarded: its drop
/// does nothing. (No reservation is that long: it would exceed a buffer.)
const DONE: usize = usize::MAX;

/// Commits unless the reservation was committed or discarded — or is being
/// dropped by a panic, which discards it.
impl Drop for WriteBuf<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.len != DONE && !unwinding() {
            // SAFETY: as in `commit`.
            unsafe { self.writer.commit(self.header, self.len, false) };
        }
    }
}

/// A reservation's `copy_from_slice` (`what` names its type): copies `src`
/// into `message`, which must be as long.
///
/// # Panics
///
/// If the lengths differ.
#[inline(always)]
#[track_caller]
pub(super) fn copy_message(message: &mut [u8], src: &[u8], what: &str) {
    assert_eq!(
        src.len(),
        message.len(),
        "{what}::copy_from_slice: a {}-byte source for a {}-byte reservation",
        src.len(),
        message.len()
    );
    // SAFETY: both are `len` bytes, and they cannot overlap: `src` is a
    // shared borrow, `message` an exclusive one.
    unsafe { copy_small(src.as_ptr(), message.as_mut_ptr(), src.len()) }
}

/// Copies `len` bytes from `src` to `dst`: up to 32 as two overlapping
/// unaligned loads and stores of the widest power of two that fits (the
/// lengths a message stream repeats, so the branch is predicted), longer
/// ones through `copy_nonoverlapping` (`memcpy`).
///
/// # Safety
///
/// `src` is valid for reads and `dst` for writes of `len` bytes, and the
/// two ranges do not overlap.
#[inline(always)]
pub(super) unsafe fn copy_small(src: *const u8, dst: *mut u8, len: usize) {
    /// Copies `len` bytes, `size_of::<W>() <= len <= 2 * size_of::<W>()`,
    /// as the first and the last `W` of them.
    ///
    /// # Safety
    ///
    /// As `copy_small`'s, and `len` in that range.
    #[inline(always)]
    unsafe fn two<W: Copy>(src: *const u8, dst: *mut u8, len: usize) {
        let w = core::mem::size_of::<W>();
        debug_assert!(w <= len && len <= 2 * w);
        // SAFETY: both words lie within the `len` bytes of each range
        // (`w <= len`), read and written unaligned.
        unsafe {
            let first = src.cast::<W>().read_unaligned();
            let last = src.add(len - w).cast::<W>().read_unaligned();
            dst.cast::<W>().write_unaligned(first);
            dst.add(len - w).cast::<W>().write_unaligned(last);
        }
    }
    // Longest first: messages of 16 bytes or more take one or two
    // comparisons.
    // SAFETY: every branch has the caller's contract, and each `two` gets a
    // `len` in its range.
    unsafe {
        if len > 32 {
            core::ptr::copy_nonoverlapping(src, dst, len);
        } else if len >= 16 {
            two::<u128>(src, dst, len);
        } else if len >= 8 {
            two::<u64>(src, dst, len);
        } else if len >= 4 {
            two::<u32>(src, dst, len);
        } else if len >= 2 {
            two::<u16>(src, dst, len);
        } else if len == 1 {
            dst.write(src.read());
        }
    }
}

/// Whether this thread is unwinding from a panic (with `std`; without it,
/// never): a reservation dropped then may be only partly written, the rest
/// of its bytes left from the buffer's last use — perhaps another stream's
/// message — so it is discarded, never sent.
#[inline]
pub(super) fn unwinding() -> bool {
    #[cfg(feature = "std")]
    return std::thread::panicking();
    #[cfg(not(feature = "std"))]
    return false;
}

impl Deref for WriteBuf<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: `data` points at `header + len` unfrozen bytes of the
        // writer's buffer (checked when reserving; `len` is 0 otherwise),
        // which nothing else reaches while this reservation borrows the writer.
        unsafe { core::slice::from_raw_parts(self.data.as_ptr().add(self.header), self.len) }
    }
}

impl DerefMut for WriteBuf<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`; `&mut self` makes this the only access.
        unsafe { core::slice::from_raw_parts_mut(self.data.as_ptr().add(self.header), self.len) }
    }
}

impl fmt::Debug for WriteBuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteBuf").field("len", &self.len).finish()
    }
}
