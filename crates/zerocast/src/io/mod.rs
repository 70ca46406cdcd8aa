//! Bytes in and out of pooled buffers (feature `alloc`): [`Writer`]s pack
//! messages into [`BufferPool`](crate::pool::BufferPool) buffers and hand
//! them, a segment per buffer, to one [`WriteFlusher`] that writes many per
//! call ([`WriteBatch`] writes a run of messages with the writer's
//! position held in registers); [`Framer`] turns a byte stream back into
//! [`Packet`](crate::pool::Packet)s.
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

mod batch;
mod flusher;
mod framer;
mod header;
mod writer;

pub use batch::WriteBatch;
pub use flusher::{FlushQueue, WriteFlusher};
pub use framer::{FrameError, Framer};
pub use header::{encode_header, HEADER_LEN, MAX_FRAME_LEN};
pub use writer::{WriteBuf, WriteError, Writer};

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests;

#[cfg(all(test, zerocast_loom))]
mod loom;
