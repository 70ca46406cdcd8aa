//! Bytes in and out of pooled buffers (feature `alloc`): [`Writer`]s pack
//! messages into [`BufferPool`](crate::pool::BufferPool) buffers and hand
//! them, a segment per buffer, to one [`WriteFlusher`] that writes many per
//! call ([`WriteBatch`] writes a run of messages with the writer's
//! position held in registers); a [`SharedWriter`] packs the messages of
//! many threads and tasks into the same buffers; [`Framer`] turns a byte
//! stream back into [`Packet`](crate::pool::Packet)s.
//!
//! A [`Writer`] belongs to one thread and touches no shared state per
//! message: the fast path, where each thread's messages may go in buffers of
//! their own. A [`SharedWriter`] is for messages of several threads that
//! should share buffers (and so packets and writes): it takes a spin lock
//! to reserve and to commit.
//!
//! # Wire format
//!
//! Every frame is a 4-byte header followed by its payload:
//!
//! | bytes | meaning |
//! |---|---|
//! | 0..3 | payload length, unsigned 24-bit **little-endian** (0 to 16 MiB − 1) |
//! | 3 | check byte: `0xA5 ^ b0 ^ b1 ^ b2` |
//! | 4.. | payload |
//!
//! The check byte lets a reader tell a corrupt or desynchronised stream
//! ([`FrameError::CorruptHeader`]) from a well-formed frame that is merely
//! too large for it ([`FrameError::TooLarge`]). [`encode_header`] writes a
//! header.
//!
//! # Examples
//!
//! Frames from a writer, through the flusher into a byte sink, and back
//! through a framer:
//!
//! ```
//! use zerocast::io::{Framer, WriteFlusher};
//! use zerocast::pool::BufferPool;
//!
//! let pool = BufferPool::new(256, 8);
//! let (mut flusher, queue) = WriteFlusher::new(1, 8);
//! let mut writer = queue.writer(&pool.register())?;
//! for word in ["zero", "copy"] {
//!     writer.try_reserve_frame(word.len())?.copy_from_slice(word.as_bytes());
//! }
//! writer.try_flush()?;
//! let mut wire = Vec::new();
//! flusher.try_write_to(&mut wire)?; // one write for both frames
//!
//! let mut framer = Framer::new(pool.register(), 252);
//! framer.try_write_buf()?[..wire.len()].copy_from_slice(&wire);
//! framer.commit(wire.len())?;
//! assert_eq!(&framer.next_frame()?.unwrap()[..], b"zero");
//! assert_eq!(&framer.next_frame()?.unwrap()[..], b"copy");
//! framer.finish()?; // the stream ended between frames
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch;
mod flusher;
mod framer;
mod header;
mod shared;
mod writer;

pub use batch::WriteBatch;
pub use flusher::{FlushQueue, WriteFlusher};
pub use framer::{FrameError, Framer};
pub use header::{encode_header, HEADER_LEN, MAX_FRAME_LEN};
pub use shared::{SharedWriteBuf, SharedWriter};
pub use writer::{WriteBuf, WriteError, Writer};

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod shared_tests;
#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests;

#[cfg(all(test, zerocast_loom))]
mod loom;
