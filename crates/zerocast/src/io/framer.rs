//! [`Framer`]: bytes in, [`Packet`]s out, for the length-prefixed wire format
//! of the [module docs](super).

use core::fmt;

use super::header::{decode_header, HEADER_LEN, MAX_FRAME_LEN};
use crate::pool::{Buffer, LocalPool, Packet};

/// Why a [`Framer`] could not go on. Each cause is its own variant.
///
/// # Examples
///
/// ```
/// use zerocast::io::{encode_header, FrameError, Framer};
///
/// let local = zerocast::pool::BufferPool::new(64, 2).register();
/// let mut framer = Framer::new(local, 8);
/// let header = encode_header(9).unwrap(); // a valid header, over this framer's maximum
/// framer.try_write_buf()?[..4].copy_from_slice(&header);
/// framer.commit(4)?;
/// assert_eq!(framer.next_frame(), Err(FrameError::TooLarge { len: 9, max: 8 }));
/// assert_eq!(framer.next_frame(), Err(FrameError::TooLarge { len: 9, max: 8 })); // it repeats
/// # Ok::<(), FrameError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// A well-formed header announced a payload above the framer's maximum.
    /// The stream cannot be resynchronised: this error repeats.
    TooLarge {
        /// The announced payload length.
        len: usize,
        /// The framer's maximum.
        max: usize,
    },
    /// A header's check byte was wrong: the stream is corrupt or out of
    /// step. This error repeats.
    CorruptHeader {
        /// The four header bytes as received.
        header: [u8; HEADER_LEN],
    },
    /// The stream ended (see [`Framer::finish`]) inside a frame.
    Truncated {
        /// Bytes of the unfinished frame that did arrive.
        pending: usize,
    },
    /// [`Framer::commit`] was given more bytes than the staging area it
    /// handed out; nothing was committed.
    CommitOutOfBounds {
        /// The bytes committed.
        len: usize,
        /// The bytes the staging area had.
        spare: usize,
    },
    /// No buffer was free for the staging area (try again, or use
    /// [`Framer::write_buf`], which waits).
    Exhausted,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FrameError::TooLarge { len, max } => {
                write!(f, "frame of {len} bytes exceeds the maximum of {max}")
            }
            FrameError::CorruptHeader { header } => {
                write!(f, "corrupt frame header {header:02x?}")
            }
            FrameError::Truncated { pending } => {
                write!(f, "stream ended {pending} bytes into a frame")
            }
            FrameError::CommitOutOfBounds { len, spare } => {
                write!(f, "committed {len} bytes into a staging area of {spare}")
            }
            FrameError::Exhausted => f.write_str("no buffer free for the framer"),
        }
    }
}

impl core::error::Error for FrameError {}

/// Frames a byte stream into [`Packet`]s without copying payloads (a frame
/// that would straddle two buffers is moved once, whole, to a fresh one).
///
/// The loop: [`write_buf`](Self::write_buf) (or
/// [`try_write_buf`](Self::try_write_buf)) gives a staging area to read
/// into, [`commit`](Self::commit) says how many bytes arrived, and
/// [`next_frame`](Self::next_frame) hands out every complete frame's payload.
/// At end of stream, [`finish`](Self::finish) reports a frame cut short.
/// Nothing here allocates, panics on input, or slices out of bounds.
///
/// # Examples
///
/// ```
/// use zerocast::io::{encode_header, Framer};
/// use zerocast::pool::BufferPool;
///
/// let local = BufferPool::new(64, 4).register();
/// let mut framer = Framer::new(local, 32);
/// let mut wire = encode_header(5).unwrap().to_vec();
/// wire.extend_from_slice(b"hello");
/// for chunk in wire.chunks(3) {
///     let staging = framer.try_write_buf()?;
///     staging[..chunk.len()].copy_from_slice(chunk);
///     framer.commit(chunk.len())?;
/// }
/// assert_eq!(&framer.next_frame()?.unwrap()[..], b"hello");
/// assert_eq!(framer.next_frame()?, None);
/// framer.finish()?;
/// # Ok::<(), zerocast::io::FrameError>(())
/// ```
pub struct Framer {
    local: LocalPool,
    /// The buffer being filled; its writable part starts at the first
    /// unframed byte.
    buf: Option<Buffer>,
    /// Bytes received into `buf` and not yet framed.
    filled: usize,
    max_frame: usize,
    /// A stream error, repeated from then on.
    failed: Option<FrameError>,
}

impl Framer {
    /// A framer drawing buffers from `local`, accepting payloads of up to
    /// `max_frame` bytes.
    ///
    /// # Panics
    ///
    /// If a frame of `max_frame` bytes plus its header does not fit in one
    /// buffer of the pool, or `max_frame` exceeds [`MAX_FRAME_LEN`].
    ///
    /// # Examples
    ///
    /// ```
    /// let local = zerocast::pool::BufferPool::new(1024, 4).register();
    /// let framer = zerocast::io::Framer::new(local, 1020);
    /// # drop(framer);
    /// ```
    #[track_caller]
    pub fn new(local: LocalPool, max_frame: usize) -> Self {
        let size = local.buffer_size();
        assert!(
            max_frame <= MAX_FRAME_LEN && max_frame + HEADER_LEN <= size,
            "Framer: a {max_frame}-byte frame and its header must fit a {size}-byte buffer"
        );
        Self {
            local,
            buf: None,
            filled: 0,
            max_frame,
            failed: None,
        }
    }

    /// The staging area: free bytes to read into, then [`commit`](Self::commit).
    /// Takes a fresh buffer when the current one cannot hold the pending
    /// frame.
    ///
    /// # Errors
    ///
    /// [`FrameError::Exhausted`] if a fresh buffer is needed and none is
    /// free (nothing changes; try again), or the stream error this framer
    /// already reported.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = zerocast::pool::BufferPool::new(16, 1).register();
    /// let mut framer = zerocast::io::Framer::new(local, 12);
    /// assert_eq!(framer.try_write_buf().unwrap().len(), 16);
    /// ```
    pub fn try_write_buf(&mut self) -> Result<&mut [u8], FrameError> {
        if self.needs_buffer()? {
            let fresh = self.local.try_acquire().ok_or(FrameError::Exhausted)?;
            self.install(fresh);
        }
        Ok(self.spare())
    }

    /// As [`try_write_buf`](Self::try_write_buf), waiting for a buffer when
    /// none is free.
    ///
    /// # Errors
    ///
    /// The stream error this framer already reported.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing changes until a buffer arrives.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let local = zerocast::pool::BufferPool::new(16, 1).register();
    /// let mut framer = zerocast::io::Framer::new(local, 12);
    /// assert_eq!(framer.write_buf().await.unwrap().len(), 16);
    /// # });
    /// ```
    pub async fn write_buf(&mut self) -> Result<&mut [u8], FrameError> {
        if self.needs_buffer()? {
            let fresh = self.local.acquire().await;
            self.install(fresh);
        }
        Ok(self.spare())
    }

    /// Marks `len` bytes of the staging area as received.
    ///
    /// # Errors
    ///
    /// [`FrameError::CommitOutOfBounds`] if `len` exceeds the staging area
    /// last handed out; nothing is committed then.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::io::FrameError;
    ///
    /// let local = zerocast::pool::BufferPool::new(16, 1).register();
    /// let mut framer = zerocast::io::Framer::new(local, 12);
    /// framer.try_write_buf()?;
    /// assert_eq!(
    ///     framer.commit(17),
    ///     Err(FrameError::CommitOutOfBounds { len: 17, spare: 16 })
    /// );
    /// framer.commit(16)?;
    /// # Ok::<(), FrameError>(())
    /// ```
    pub fn commit(&mut self, len: usize) -> Result<(), FrameError> {
        let spare = self.buf.as_ref().map_or(0, |buf| buf.len() - self.filled);
        if len > spare {
            return Err(FrameError::CommitOutOfBounds { len, spare });
        }
        self.filled += len;
        Ok(())
    }

    /// The next complete frame's payload, `Ok(None)` if more bytes are
    /// needed.
    ///
    /// # Errors
    ///
    /// [`FrameError::CorruptHeader`] or [`FrameError::TooLarge`] when the
    /// next header is bad; the framer then reports it on every call.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::io::{FrameError, Framer};
    ///
    /// let local = zerocast::pool::BufferPool::new(16, 1).register();
    /// let mut framer = Framer::new(local, 12);
    /// framer.try_write_buf()?[..4].copy_from_slice(&[0; 4]);
    /// framer.commit(4)?;
    /// assert_eq!(framer.next_frame(), Err(FrameError::CorruptHeader { header: [0; 4] }));
    /// # Ok::<(), FrameError>(())
    /// ```
    pub fn next_frame(&mut self) -> Result<Option<Packet>, FrameError> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        let Some(len) = self.pending_frame()? else {
            return Ok(None);
        };
        let total = HEADER_LEN + len;
        if self.filled < total {
            return Ok(None);
        }
        let Some(buf) = self.buf.as_mut() else {
            return Ok(None);
        };
        buf.skip(HEADER_LEN);
        let packet = buf.freeze(len);
        self.filled -= total;
        if buf.is_empty() {
            self.buf = None;
        }
        Ok(Some(packet))
    }

    /// Ends the stream: `Ok` if it ended between frames.
    ///
    /// # Errors
    ///
    /// [`FrameError::Truncated`] if part of a frame is pending, or the
    /// stream error this framer already reported.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::io::{FrameError, Framer};
    ///
    /// let local = zerocast::pool::BufferPool::new(16, 1).register();
    /// let mut framer = Framer::new(local, 12);
    /// framer.try_write_buf()?;
    /// framer.commit(3)?;
    /// assert_eq!(framer.finish(), Err(FrameError::Truncated { pending: 3 }));
    /// # Ok::<(), FrameError>(())
    /// ```
    pub fn finish(&mut self) -> Result<(), FrameError> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        match self.filled {
            0 => Ok(()),
            pending => Err(FrameError::Truncated { pending }),
        }
    }

    /// Bytes received and not yet handed out as frames.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = zerocast::pool::BufferPool::new(16, 1).register();
    /// assert_eq!(zerocast::io::Framer::new(local, 12).pending(), 0);
    /// ```
    pub fn pending(&self) -> usize {
        self.filled
    }

    /// The payload length of the pending frame, once its header is in.
    fn pending_frame(&mut self) -> Result<Option<usize>, FrameError> {
        let Some(buf) = self.buf.as_ref() else {
            return Ok(None);
        };
        let Some(&header) = buf[..self.filled].first_chunk::<HEADER_LEN>() else {
            return Ok(None);
        };
        let error = match decode_header(header) {
            Some(len) if len <= self.max_frame => return Ok(Some(len)),
            Some(len) => FrameError::TooLarge {
                len,
                max: self.max_frame,
            },
            None => FrameError::CorruptHeader { header },
        };
        self.failed = Some(error);
        Err(error)
    }

    /// Whether the current buffer cannot hold the pending frame (or there is
    /// none).
    fn needs_buffer(&mut self) -> Result<bool, FrameError> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        // A bad header is reported by `next_frame`; here it only means no
        // more room is needed.
        let wanted = match self.pending_frame() {
            Ok(Some(len)) => HEADER_LEN + len,
            Ok(None) => HEADER_LEN.max(self.filled + 1),
            Err(_) => return Ok(false),
        };
        Ok(match &self.buf {
            Some(buf) => buf.len() < wanted || buf.len() == self.filled,
            None => true,
        })
    }

    /// Moves the pending bytes to `fresh` and makes it the current buffer.
    fn install(&mut self, mut fresh: Buffer) {
        if let Some(old) = &self.buf {
            fresh[..self.filled].copy_from_slice(&old[..self.filled]);
        }
        self.buf = Some(fresh);
    }

    fn spare(&mut self) -> &mut [u8] {
        match &mut self.buf {
            Some(buf) => &mut buf[self.filled..],
            None => &mut [],
        }
    }
}

impl fmt::Debug for Framer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Framer")
            .field("pending", &self.filled)
            .field("max_frame", &self.max_frame)
            .field("failed", &self.failed)
            .finish()
    }
}
