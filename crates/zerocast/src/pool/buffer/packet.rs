//! [`Packet`], a refcounted slice of a pooled buffer, and [`SendPacket`], the
//! form in which it crosses threads.

use alloc::sync::Arc;
use core::fmt;
use core::mem::ManuallyDrop;
use core::ops::Deref;
use core::ptr::NonNull;

use super::local::LocalRef;
use super::{LocalPool, Shared};
use crate::sync::Ordering;

/// A read-only, refcounted slice of a pooled buffer. Several packets can
/// share one buffer; the buffer goes back to the pool when the last of them
/// (and the [`Buffer`](super::Buffer) that wrote it) is dropped.
///
/// Cloning costs one non-atomic increment (less than an `Rc` clone): the count is this
/// thread's, so `Packet` is `!Send`. To move one to another thread, use
/// [`send`](Self::send) and [`SendPacket::receive`].
///
/// # Examples
///
/// ```
/// let local = zerocast::pool::BufferPool::new(64, 1).register();
/// let mut buf = local.try_acquire().unwrap();
/// buf[..11].copy_from_slice(b"hello world");
/// let mut packet = buf.freeze(11);
/// let hello = packet.split_to(5);
/// packet.advance(1);
/// assert_eq!((&hello[..], &packet[..]), (&b"hello"[..], &b"world"[..]));
/// ```
pub struct Packet {
    /// Valid while this packet lives: it is counted in `local`'s counts.
    local: LocalRef,
    /// The buffer's first byte.
    data: NonNull<u8>,
    index: u32,
    offset: u32,
    len: u32,
}

/// A [`Packet`] on its way to another thread: `Send` and `Sync`, readable
/// anywhere. [`receive`](Self::receive) turns it back into a `Packet` on the
/// thread that gets it; dropping it anywhere releases its share of the
/// buffer.
///
/// # Examples
///
/// ```
/// let pool = zerocast::pool::BufferPool::new(64, 1);
/// let local = pool.register();
/// let mut buf = local.try_acquire().unwrap();
/// buf[..4].copy_from_slice(b"ping");
/// let sent = buf.freeze(4).send();
/// let there = std::thread::spawn(move || {
///     let local = pool.register();
///     let packet = sent.receive(&local).unwrap();
///     packet.to_vec()
/// });
/// assert_eq!(there.join().unwrap(), b"ping");
/// ```
pub struct SendPacket {
    shared: Arc<Shared>,
    index: u32,
    offset: u32,
    len: u32,
}

impl Packet {
    #[inline]
    pub(super) fn from_parts(
        local: LocalRef,
        data: NonNull<u8>,
        index: u32,
        offset: u32,
        len: u32,
    ) -> Self {
        Self {
            local,
            data,
            index,
            offset,
            len,
        }
    }

    /// The first `at` bytes as a new packet; `self` keeps the rest.
    ///
    /// # Panics
    ///
    /// If `at > self.len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let local = zerocast::pool::BufferPool::new(8, 1).register();
    /// # let mut buf = local.try_acquire().unwrap();
    /// # buf[..4].copy_from_slice(b"abcd");
    /// let mut p = buf.freeze(4);
    /// assert_eq!(&p.split_to(1)[..], b"a");
    /// assert_eq!(&p[..], b"bcd");
    /// ```
    #[track_caller]
    pub fn split_to(&mut self, at: usize) -> Packet {
        self.check(at);
        let head = self.share(self.offset, at as u32);
        self.offset += at as u32;
        self.len -= at as u32;
        head
    }

    /// The bytes from `at` on as a new packet; `self` keeps the first `at`.
    ///
    /// # Panics
    ///
    /// If `at > self.len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let local = zerocast::pool::BufferPool::new(8, 1).register();
    /// # let mut buf = local.try_acquire().unwrap();
    /// # buf[..4].copy_from_slice(b"abcd");
    /// let mut p = buf.freeze(4);
    /// assert_eq!(&p.split_off(3)[..], b"d");
    /// assert_eq!(&p[..], b"abc");
    /// ```
    #[track_caller]
    pub fn split_off(&mut self, at: usize) -> Packet {
        self.check(at);
        let tail = self.share(self.offset + at as u32, self.len - at as u32);
        self.len = at as u32;
        tail
    }

    /// Drops the first `n` bytes from this packet's view.
    ///
    /// # Panics
    ///
    /// If `n > self.len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let local = zerocast::pool::BufferPool::new(8, 1).register();
    /// # let mut buf = local.try_acquire().unwrap();
    /// # buf[..4].copy_from_slice(b"abcd");
    /// let mut p = buf.freeze(4);
    /// p.advance(2);
    /// assert_eq!(&p[..], b"cd");
    /// ```
    #[track_caller]
    pub fn advance(&mut self, n: usize) {
        self.check(n);
        self.offset += n as u32;
        self.len -= n as u32;
    }

    /// Keeps the first `len` bytes (no effect if the packet is shorter).
    ///
    /// # Examples
    ///
    /// ```
    /// # let local = zerocast::pool::BufferPool::new(8, 1).register();
    /// # let mut buf = local.try_acquire().unwrap();
    /// # buf[..4].copy_from_slice(b"abcd");
    /// let mut p = buf.freeze(4);
    /// p.truncate(1);
    /// assert_eq!(&p[..], b"a");
    /// ```
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len as u32);
    }

    /// This packet in a `Send` form for another thread. If this is the
    /// thread's last reference to the buffer, its share moves with it (no
    /// atomic); otherwise the buffer gains one owner (one atomic add).
    ///
    /// # Examples
    ///
    /// ```
    /// # let local = zerocast::pool::BufferPool::new(8, 1).register();
    /// # let mut buf = local.try_acquire().unwrap();
    /// # buf[0] = 1;
    /// let sent = buf.freeze(1).send();
    /// assert_eq!(&sent[..], &[1]);
    /// ```
    pub fn send(self) -> SendPacket {
        let this = ManuallyDrop::new(self);
        let local = this.local;
        let unit_moves = local.send_ref(this.index);
        if !unit_moves {
            // Relaxed: the caller holds a unit, as with `Arc::clone`.
            local.shared.owners[this.index as usize].fetch_add(1, Ordering::Relaxed);
        }
        let shared = local.shared.clone();
        if unit_moves && local.count_gone() {
            // SAFETY: this packet was the last handle or counted reference of
            // `local`, and it is gone (`this` is never used again).
            unsafe { local.free() };
        }
        SendPacket {
            shared,
            index: this.index,
            offset: this.offset,
            len: this.len,
        }
    }

    #[track_caller]
    fn check(&self, at: usize) {
        assert!(
            at <= self.len as usize,
            "Packet: index {at} out of range for length {}",
            self.len
        );
    }

    fn share(&self, offset: u32, len: u32) -> Packet {
        self.local.add_ref(self.index);
        Packet::from_parts(self.local, self.data, self.index, offset, len)
    }
}

#[cfg(feature = "bytes")]
impl Packet {
    /// This packet as a [`bytes::Bytes`], without copying: the `Bytes` owns
    /// a [`SendPacket`] (so it may go to any thread), and the buffer returns
    /// to the pool when the last clone of it drops. `bytes` allocates one
    /// small owner box per conversion (its design), so keep conversions off
    /// the hottest paths. Feature `bytes`.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = zerocast::pool::BufferPool::new(8, 1).register();
    /// let mut buf = local.try_acquire().unwrap();
    /// buf[..2].copy_from_slice(b"hi");
    /// let bytes: bytes::Bytes = buf.freeze(2).into_bytes();
    /// assert_eq!(&bytes[..], b"hi");
    /// ```
    pub fn into_bytes(self) -> bytes::Bytes {
        self.send().into()
    }
}

#[cfg(feature = "bytes")]
impl From<SendPacket> for bytes::Bytes {
    /// Wraps the packet without copying; see [`Packet::into_bytes`].
    fn from(packet: SendPacket) -> Self {
        bytes::Bytes::from_owner(packet)
    }
}

impl Deref for Packet {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: `data` is valid for the whole buffer while `local` keeps the
        // pool alive, and `offset + len` is within it; a packet's bytes were
        // frozen before it was made and are never written while any packet of
        // the buffer lives; `UnsafeCell<u8>` has the layout of `u8`.
        unsafe {
            core::slice::from_raw_parts(
                self.data.as_ptr().add(self.offset as usize),
                self.len as usize,
            )
        }
    }
}

impl AsRef<[u8]> for Packet {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl Clone for Packet {
    #[inline]
    fn clone(&self) -> Self {
        self.share(self.offset, self.len)
    }
}

impl Drop for Packet {
    #[inline]
    fn drop(&mut self) {
        if self.local.drop_ref(self.index) {
            // SAFETY: this was the last handle or counted reference, and
            // `self` is gone after this.
            unsafe { self.local.free() };
        }
    }
}

impl fmt::Debug for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packet")
            .field("index", &self.index)
            .field("offset", &self.offset)
            .field("len", &self.len)
            .finish()
    }
}

impl PartialEq for Packet {
    fn eq(&self, other: &Self) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Packet {}

impl SendPacket {
    /// This packet as a [`Packet`] of the receiving thread's `local` handle,
    /// or `Err(self)` if `local` belongs to another pool.
    ///
    /// # Errors
    ///
    /// `Err(self)` when `local` is not a handle of this packet's pool.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::pool::BufferPool;
    ///
    /// let pool = BufferPool::new(8, 1);
    /// let local = pool.register();
    /// let sent = local.try_acquire().unwrap().freeze(0).send();
    /// let other = BufferPool::new(8, 1).register();
    /// let sent = sent.receive(&other).unwrap_err();
    /// assert!(sent.receive(&local).is_ok());
    /// ```
    pub fn receive(self, local: &LocalPool) -> Result<Packet, SendPacket> {
        let local = &local.local;
        if !Arc::ptr_eq(&self.shared, &local.shared) {
            return Err(self);
        }
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again; its `Arc` is moved
        // out exactly once, here (and dropped: `local` holds another).
        drop(unsafe { core::ptr::read(&this.shared) });
        if local.receive_ref(this.index) {
            // This thread already holds a unit, so this never reaches zero.
            // Release: the last unit's Acquire load then sees this thread's
            // reads of the buffer as done.
            local.shared.owners[this.index as usize].fetch_sub(1, Ordering::Release);
        }
        Ok(Packet::from_parts(
            *local,
            local.buffer_ptr(this.index),
            this.index,
            this.offset,
            this.len,
        ))
    }
}

// The crate's shared-buffer writer (`io::SharedWriter`) holds the buffer it
// fills as a `SendPacket` of no bytes (one owner unit, so the buffer stays
// out of the pool; see `BufferPool::hold`), writes the bytes after the ones
// handed out through `buffer_data`, and makes packets of them once they are
// written.
impl SendPacket {
    /// Free buffer `index`, just taken off the shared list (its owner
    /// count is one), held by that unit.
    pub(super) fn unit(shared: Arc<Shared>, index: u32) -> SendPacket {
        SendPacket {
            shared,
            index,
            offset: 0,
            len: 0,
        }
    }

    /// The first byte of this packet's buffer, with the provenance of the
    /// pool's memory (whose bytes are `UnsafeCell`s): for a holder that
    /// writes bytes no packet covers.
    pub(crate) fn buffer_data(&self) -> NonNull<u8> {
        let start = self.index as usize * self.shared.buffer_size;
        // SAFETY: `start` is the offset of buffer `index` within the pool's
        // memory, which `base` covers.
        unsafe { self.shared.base().add(start) }
    }

    /// The size of this packet's buffer.
    pub(crate) fn buffer_size(&self) -> usize {
        self.shared.buffer_size
    }

    /// Bytes `offset..offset + len` of this packet's buffer, with an owner
    /// unit of their own.
    ///
    /// # Safety
    ///
    /// Those bytes are within the buffer, written, and not written again
    /// while any packet of them lives.
    pub(crate) unsafe fn share(&self, offset: usize, len: usize) -> SendPacket {
        debug_assert!(offset + len <= self.shared.buffer_size);
        // Relaxed: this packet holds a unit, as with `Arc::clone`.
        self.shared.owners[self.index as usize].fetch_add(1, Ordering::Relaxed);
        SendPacket {
            shared: self.shared.clone(),
            index: self.index,
            offset: offset as u32,
            len: len as u32,
        }
    }
}

impl Deref for SendPacket {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        let start = self.index as usize * self.shared.buffer_size + self.offset as usize;
        // SAFETY: as for `Packet`: `offset + len` is within the buffer, whose
        // bytes there were frozen before the packet was made, and no one
        // writes them while it lives; `base` covers the whole pool.
        unsafe {
            core::slice::from_raw_parts(self.shared.base().as_ptr().add(start), self.len as usize)
        }
    }
}

impl AsRef<[u8]> for SendPacket {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl Drop for SendPacket {
    fn drop(&mut self) {
        if self.shared.unown(self.index) {
            self.shared.release(self.index);
        }
    }
}

impl fmt::Debug for SendPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendPacket")
            .field("index", &self.index)
            .field("offset", &self.offset)
            .field("len", &self.len)
            .finish()
    }
}
