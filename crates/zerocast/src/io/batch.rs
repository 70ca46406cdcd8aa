//! A run of writes with the writer's position in the caller's registers.
//!
//! A [`Writer`] keeps how far its buffer is filled in itself, and each
//! reservation reads it and each commit writes it back: in a loop of small
//! messages that load waits on the previous message's store, message after
//! message. A [`WriteBatch`] copies the position out once, into a value the
//! compiler keeps in registers for the loop, and writes it back when it
//! drops or when a write has to take the writer's own path (a fresh buffer,
//! a size-based flush, an error). The bytes and their order are those of the
//! same writes made one reservation at a time.

use core::fmt;

use super::header::{encode_header, HEADER_LEN};
use super::writer::{copy_small, WriteError, Writer};

/// Writes whole messages (copied from slices) into a [`Writer`]'s buffer,
/// holding the writer's position locally: from [`Writer::batch`]. It
/// borrows the writer; dropping it gives the position back.
///
/// For a loop of small messages: on this project's Intel host, 16-byte
/// messages from one writer thread to a flusher thread (`zerocast-bench`'s
/// `io/writer-flusher/16B`, row `zerocast-batch`) cost 1.75 ns each through
/// a batch against 3.23 through [`Writer::try_reserve`] and
/// [`WriteBuf::copy_from_slice`](super::WriteBuf::copy_from_slice) in the
/// run at commit 6015c8f (`scripts/bench-readme.sh`; 1.7 against 2.7-2.8
/// in two alternating processes of `--quick --filter io/writer --rounds 3`).
///
/// # Examples
///
/// ```
/// use zerocast::io::WriteFlusher;
/// use zerocast::pool::BufferPool;
///
/// let (mut flusher, queue) = WriteFlusher::new(1, 4);
/// let mut writer = queue.writer(&BufferPool::new(64, 2).register())?;
/// let mut batch = writer.batch();
/// for word in [&b"one "[..], b"two ", b"three"] {
///     batch.try_write(word)?;
/// }
/// batch.try_flush()?;
/// drop(batch);
/// let mut out = Vec::new();
/// flusher.try_write_to(&mut out)?;
/// assert_eq!(out, b"one two three");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WriteBatch<'w> {
    writer: &'w mut Writer,
    view: View,
}

/// The writer's position as a batch holds it.
#[derive(Clone, Copy)]
pub(super) struct View {
    /// The current buffer's first byte (dangling when there is none).
    pub(super) data: *mut u8,
    /// Bytes of the buffer filled: the next write starts here.
    pub(super) at: usize,
    /// How many more bytes a write may take without the writer's own path:
    /// fewer than this fit the buffer and stay below the size-based flush
    /// mark (0 when there is no buffer).
    pub(super) room: usize,
}

impl Writer {
    /// Starts a run of writes that holds this writer's position in the
    /// caller's registers (see [`WriteBatch`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
    /// writer.batch().try_write(b"hello")?;
    /// assert_eq!(writer.unflushed(), 5);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    pub fn batch(&mut self) -> WriteBatch<'_> {
        let view = self.view();
        WriteBatch { writer: self, view }
    }
}

impl WriteBatch<'_> {
    /// Copies `bytes` in as one message, taking a fresh buffer if the
    /// current one is too full: as [`Writer::try_reserve`] followed by
    /// [`WriteBuf::copy_from_slice`](super::WriteBuf::copy_from_slice).
    ///
    /// # Errors
    ///
    /// As [`Writer::try_reserve`]: [`WriteError::TooLarge`],
    /// [`WriteError::Backlog`], [`WriteError::Exhausted`] (nothing is
    /// written; try again) or [`WriteError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::io::{WriteError, WriteFlusher};
    ///
    /// let (_flusher, queue) = WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(8, 1).register())?;
    /// let mut batch = writer.batch();
    /// batch.try_write(b"12345")?;
    /// assert_eq!(batch.try_write(&[0; 9]), Err(WriteError::TooLarge { len: 9, max: 8 }));
    /// assert_eq!(batch.try_write(b"6789"), Err(WriteError::Exhausted)); // needs a second buffer
    /// # Ok::<(), WriteError>(())
    /// ```
    #[inline(always)]
    pub fn try_write(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        let len = bytes.len();
        if len < self.view.room {
            // SAFETY: the `len < room` bytes from `at` are inside the
            // current buffer, unfrozen, and only this writer (borrowed by
            // the batch) writes them; `bytes` is a shared borrow, so it
            // cannot overlap them.
            unsafe { copy_small(bytes.as_ptr(), self.view.data.add(self.view.at), len) };
            self.view.at += len;
            self.view.room -= len;
            return Ok(());
        }
        self.slow(bytes, false)
    }

    /// Writes `payload` as one frame of the [wire format](super): its
    /// 4-byte header, then its bytes; as [`Writer::try_reserve_frame`]
    /// followed by [`WriteBuf::copy_from_slice`](super::WriteBuf::copy_from_slice).
    ///
    /// # Errors
    ///
    /// As [`Writer::try_reserve_frame`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
    /// writer.batch().try_write_frame(b"hi")?;
    /// assert_eq!(writer.unflushed(), zerocast::io::HEADER_LEN + 2);
    /// # Ok::<(), zerocast::io::WriteError>(())
    /// ```
    #[inline(always)]
    pub fn try_write_frame(&mut self, payload: &[u8]) -> Result<(), WriteError> {
        let len = payload.len();
        match encode_header(len) {
            Some(header) if len < self.view.room.saturating_sub(HEADER_LEN) => {
                // SAFETY: as in `try_write`, for `HEADER_LEN + len < room`
                // bytes from `at`.
                unsafe {
                    let at = self.view.data.add(self.view.at);
                    at.cast::<[u8; HEADER_LEN]>().write_unaligned(header);
                    copy_small(payload.as_ptr(), at.add(HEADER_LEN), len);
                }
                self.view.at += HEADER_LEN + len;
                self.view.room -= HEADER_LEN + len;
                Ok(())
            }
            _ => self.slow(payload, true),
        }
    }

    /// Hands what was written so far to the flusher: as
    /// [`Writer::try_flush`].
    ///
    /// # Errors
    ///
    /// As [`Writer::try_flush`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    /// let mut writer = queue.writer(&zerocast::pool::BufferPool::new(64, 1).register())?;
    /// let mut batch = writer.batch();
    /// batch.try_write(b"abc")?;
    /// batch.try_flush()?;
    /// drop(batch);
    /// let mut out = Vec::new();
    /// flusher.try_write_to(&mut out)?;
    /// assert_eq!(out, b"abc");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_flush(&mut self) -> Result<(), WriteError> {
        let (result, view) = flush(self.writer, self.view.at);
        self.view = view;
        result
    }

    /// The write that did not fit the fast path, through the writer's own.
    #[inline(always)]
    fn slow(&mut self, bytes: &[u8], frame: bool) -> Result<(), WriteError> {
        let (result, view) = write(self.writer, self.view.at, bytes, frame);
        self.view = view;
        result
    }
}

// The two ways out to the writer take and return the position by value, so
// the batch's own address never leaves the caller's function and its fields
// can stay in registers.

/// Gives the position back, writes `bytes` the writer's way, takes the
/// position again.
#[cold]
#[inline(never)]
fn write(
    writer: &mut Writer,
    at: usize,
    bytes: &[u8],
    frame: bool,
) -> (Result<(), WriteError>, View) {
    writer.set_filled(at);
    let reserved = if frame {
        writer.try_reserve_frame(bytes.len())
    } else {
        writer.try_reserve(bytes.len())
    };
    let result = reserved.map(|mut buf| buf.copy_from_slice(bytes));
    (result, writer.view())
}

/// Gives the position back, flushes, takes the position again.
#[inline(never)]
fn flush(writer: &mut Writer, at: usize) -> (Result<(), WriteError>, View) {
    writer.set_filled(at);
    let result = writer.try_flush();
    (result, writer.view())
}

impl Drop for WriteBatch<'_> {
    fn drop(&mut self) {
        self.writer.set_filled(self.view.at);
    }
}

impl fmt::Debug for WriteBatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteBatch")
            .field("filled", &self.view.at)
            .finish_non_exhaustive()
    }
}
