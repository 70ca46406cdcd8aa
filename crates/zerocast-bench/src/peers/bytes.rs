//! The writer → flusher scenarios' floor: the messages' bytes moving from
//! the writer's core to the flusher's, with almost nothing else.
//!
//! One ring of bytes. The writer copies each message in at its position and
//! publishes that position only when told to (the scenarios do it once per
//! batch of messages, as they flush the other writers); the flusher hands
//! everything published to the sink in at most two slices and releases it
//! with one store. No buffers, no segments, no reference counts, no
//! per-message check beyond room. Not a writer anyone could use (one thread
//! each side, messages must tile the ring): a writer that packs messages
//! into shared buffers moves the same bytes and more, so it does not go under
//! this row by much. The copy in is a `memcpy` of a run-time length, as
//! zerocast's `WriteBuf::copy_from_slice` does for messages over 32 bytes;
//! below that zerocast copies inline and can read under this row.

use std::cell::UnsafeCell;
use std::io::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::blocking::FloorPosition;

/// The ring both halves share.
#[derive(Debug)]
struct ByteRing {
    /// Bytes the writer has published (free-running).
    tail: FloorPosition,
    /// Bytes the flusher has released (free-running).
    head: FloorPosition,
    lines: Box<[Line]>,
}

/// A cache line of the ring, so that the ring starts on a line as
/// zerocast's pools do (a byte allocation is only 16-aligned).
#[derive(Debug)]
#[repr(C, align(64))]
struct Line(UnsafeCell<[u8; 64]>);

// SAFETY: the writer writes only bytes in `tail..head + len` (by the head
// it loaded with acquire), which the flusher has released and does not read;
// the flusher reads only bytes in `head..tail` (by the tail it loaded with
// acquire), which the writer published and does not write until the head
// passes them.
unsafe impl Sync for ByteRing {}

impl ByteRing {
    /// The first byte: the lines are contiguous, each a `[u8; 64]` in an
    /// `UnsafeCell` (which has the layout of what it holds).
    fn base(&self) -> *mut u8 {
        // `Line` is `repr(C)` around its cell, so a pointer to the first
        // line is one to its cell.
        UnsafeCell::raw_get(self.lines.as_ptr().cast::<UnsafeCell<[u8; 64]>>()).cast::<u8>()
    }

    /// The ring's size in bytes.
    fn len(&self) -> usize {
        self.lines.len() * 64
    }
}

/// The writing half of [`channel`].
#[derive(Debug)]
pub struct ByteFloorWriter {
    ring: Arc<ByteRing>,
    /// Bytes written, published or not.
    tail: usize,
    /// The flusher's position as last loaded.
    head: usize,
}

/// The flushing half of [`channel`].
#[derive(Debug)]
pub struct ByteFloorFlusher {
    ring: Arc<ByteRing>,
    head: usize,
}

/// A ring of `len` bytes (a multiple of 64) and its two halves.
pub fn channel(len: usize) -> (ByteFloorWriter, ByteFloorFlusher) {
    assert_eq!(len % 64, 0, "the ring is whole cache lines");
    let ring = Arc::new(ByteRing {
        tail: FloorPosition::default(),
        head: FloorPosition::default(),
        lines: (0..len / 64)
            .map(|_| Line(UnsafeCell::new([0; 64])))
            .collect(),
    });
    let writer = ByteFloorWriter {
        ring: ring.clone(),
        tail: 0,
        head: 0,
    };
    (writer, ByteFloorFlusher { ring, head: 0 })
}

impl ByteFloorWriter {
    /// Copies `message` in, waiting (publishing first, then yielding) while
    /// the flusher has not released room for it.
    ///
    /// # Panics
    ///
    /// If `message` would run past the end of the ring: messages must tile
    /// it (a length that divides the ring's, every time).
    #[inline(always)]
    pub fn write(&mut self, message: &[u8]) {
        let ring = &*self.ring;
        let len = ring.len();
        let room = |w: &Self| len - w.tail.wrapping_sub(w.head);
        if room(self) < message.len() {
            // Everything written is published before waiting, once.
            ring.tail.0.store(self.tail, Ordering::Release);
            loop {
                self.head = ring.head.0.load(Ordering::Acquire);
                if room(self) >= message.len() {
                    break;
                }
                std::thread::yield_now();
            }
        }
        let at = self.tail % len;
        assert!(at + message.len() <= len, "messages must tile the ring");
        // SAFETY: `at..at + message.len()` is inside the ring (checked
        // above) and among the bytes the flusher released (room, by the head
        // loaded with acquire); only this half writes.
        unsafe {
            std::ptr::copy_nonoverlapping(message.as_ptr(), ring.base().add(at), message.len());
        }
        self.tail = self.tail.wrapping_add(message.len());
    }

    /// Makes everything written so far visible to the flusher.
    #[inline(always)]
    pub fn publish(&mut self) {
        self.ring.tail.0.store(self.tail, Ordering::Release);
    }
}

impl ByteFloorFlusher {
    /// Writes everything published and not yet flushed to `sink` (two
    /// slices where it wraps), then releases it; returns the bytes, 0 if
    /// none were waiting.
    ///
    /// # Errors
    ///
    /// The sink's; nothing is released then.
    pub fn write_to(&mut self, sink: &mut impl Write) -> io::Result<usize> {
        let ring = &*self.ring;
        let tail = ring.tail.0.load(Ordering::Acquire);
        let waiting = tail.wrapping_sub(self.head);
        if waiting == 0 {
            return Ok(0);
        }
        let len = ring.len();
        let start = self.head % len;
        let first = waiting.min(len - start);
        // SAFETY: the `waiting` bytes from `head` were published (the tail
        // loaded with acquire is past them), lie inside the ring in these
        // two ranges, and the writer does not touch them until the release
        // store of the head below.
        let (a, b) = unsafe {
            (
                std::slice::from_raw_parts(ring.base().add(start).cast_const(), first),
                std::slice::from_raw_parts(ring.base().cast_const(), waiting - first),
            )
        };
        sink.write_all(a)?;
        sink.write_all(b)?;
        self.head = tail;
        ring.head.0.store(tail, Ordering::Release);
        Ok(waiting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_arrive_in_order_across_the_wrap_and_only_once_published() {
        let (mut writer, mut flusher) = channel(64);
        let mut out = Vec::new();
        writer.write(&0u32.to_le_bytes());
        assert_eq!(flusher.write_to(&mut out).unwrap(), 0, "not published yet");
        for i in 1..15u32 {
            writer.write(&i.to_le_bytes());
        }
        writer.publish();
        assert_eq!(flusher.write_to(&mut out).unwrap(), 60);
        // 60..64 and 0..4: the flusher hands these over as two slices.
        writer.write(&15u32.to_le_bytes());
        writer.write(&16u32.to_le_bytes());
        writer.publish();
        assert_eq!(flusher.write_to(&mut out).unwrap(), 8);
        let seen: Vec<u32> = out
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(seen, (0..17).collect::<Vec<_>>());
    }

    #[test]
    fn a_writer_waits_for_room_on_another_thread() {
        let (mut writer, mut flusher) = channel(64);
        let t = std::thread::spawn(move || {
            for i in 0..1000u32 {
                writer.write(&i.to_le_bytes());
                if i % 3 == 0 {
                    writer.publish();
                }
            }
            writer.publish();
        });
        let mut out = Vec::new();
        while out.len() < 4000 {
            flusher.write_to(&mut out).unwrap();
        }
        t.join().unwrap();
        let seen: Vec<u32> = out
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(seen, (0..1000).collect::<Vec<_>>());
    }
}
