//! [`LocalPool`], a thread's handle on a [`BufferPool`], and
//! [`Buffer`], an acquired buffer being written.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::cell::{Cell, UnsafeCell};
use core::fmt;
use core::num::NonZeroU32;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use super::cache::{Cache, Entry};
use super::{Acquire, BufferPool, Packet, Shared};
use crate::sync::Ordering;

/// A thread's handle on a [`BufferPool`]: a cache of free buffers and this
/// thread's packet counts, both allocated by
/// [`BufferPool::register`](super::BufferPool::register).
///
/// `!Send`: it is one thread's state. Clone it to share it between tasks of
/// the same thread; buffers and packets keep it alive (without a reference
/// count of their own: each is counted in this thread's per-buffer counts,
/// which it updates anyway). When the last clone, buffer and packet are gone,
/// cached buffers go back to the shared list.
///
/// # Examples
///
/// ```
/// # futures_executor::block_on(async {
/// let pool = zerocast::pool::BufferPool::new(256, 2);
/// let local = pool.register();
/// let mut buf = local.acquire().await;
/// buf[..2].copy_from_slice(b"hi");
/// let packet = buf.freeze(2);
/// assert_eq!(&packet[..], b"hi");
/// # });
/// ```
pub struct LocalPool {
    pub(super) local: LocalRef,
}

/// A pointer to one thread's [`Local`], which lives while a [`LocalPool`]
/// handle of it exists or this thread counts a reference to any buffer: every
/// [`Buffer`] and [`Packet`] holding a `LocalRef` is one such reference, so the
/// pointer stays valid for as long as it is held. The last handle or counted
/// reference to go frees the `Local` (see [`Local::drop_handle`] and
/// [`Local::count_gone`]).
#[derive(Clone, Copy)]
pub(super) struct LocalRef(NonNull<Local>);

impl LocalRef {
    fn new(local: Local) -> Self {
        Self(NonNull::from(Box::leak(Box::new(local))))
    }

    /// Frees the `Local`.
    ///
    /// # Safety
    ///
    /// No handle and no counted reference of it remains (the caller was told
    /// so by `drop_handle`, `drop_ref` or `count_gone`), and nothing uses
    /// any copy of this pointer afterwards.
    ///
    /// Out of line: it runs once per thread state, and kept out of the
    /// callers it lets their common paths inline.
    #[cold]
    #[inline(never)]
    pub(super) unsafe fn free(self) {
        // SAFETY: made by `Box::leak` in `new`, freed once (the caller's
        // contract).
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

impl Deref for LocalRef {
    type Target = Local;

    #[inline]
    fn deref(&self) -> &Local {
        // SAFETY: whoever holds a `LocalRef` is a handle or a counted
        // reference, which keeps the `Local` alive (see the type's docs).
        unsafe { self.0.as_ref() }
    }
}

/// `Local::outstanding` while handles exist.
const LIVE: usize = usize::MAX;

/// The bits of a per-thread count that count references.
const COUNT: u32 = !SHARED;
/// Set in a per-thread count once a packet of the buffer left this thread
/// with a unit of its own, or arrived from another thread: the thread's unit
/// may then not be the only one, nor the buffer this thread's to cache.
const SHARED: u32 = 1 << 31;

/// One thread's state.
pub(super) struct Local {
    pub(super) shared: Arc<Shared>,
    /// This handle's id, unique in its pool.
    id: usize,
    /// Per buffer: this thread's [`Buffer`]s and [`Packet`]s of it (the
    /// [`COUNT`] bits; non-zero means this thread holds one owner unit of the
    /// buffer), and the [`SHARED`] flag. A buffer in this thread's cache
    /// counts 1, as the [`Buffer`] taken from it will: taking a buffer from
    /// the cache and putting it back touch no count.
    counts: Box<[Cell<u32>]>,
    /// The pool's first byte and buffer size, kept here so that an acquire
    /// does not go through the pool.
    base: NonNull<u8>,
    /// Non-zero (the pool checks), which lets the compiler drop bounds
    /// checks on a fresh buffer's first byte.
    buffer_size: NonZeroU32,
    /// Free buffers kept by this thread, each counting 1 in `counts`.
    /// Reached only through `cache()`, which no method holds across a call
    /// out of this module.
    cache: UnsafeCell<Cache>,
    /// [`LocalPool`] handles of this state.
    handles: Cell<usize>,
    /// [`LIVE`] while handles exist; then the number of buffers outside the
    /// cache this thread still counts references to (each goes once, for
    /// good: without a handle nothing can be acquired or received here).
    outstanding: Cell<usize>,
}

impl LocalPool {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        let count = shared.owners.len();
        let cache = Cache::new(shared.cache);
        Self {
            local: LocalRef::new(Local {
                id: shared.next_id.fetch_add(1, Ordering::Relaxed),
                base: shared.base(),
                buffer_size: NonZeroU32::new(shared.buffer_size as u32)
                    .expect("the pool's buffer size is checked non-zero and at most u32::MAX"),
                shared,
                counts: (0..count).map(|_| Cell::new(0)).collect(),
                cache: UnsafeCell::new(cache),
                handles: Cell::new(1),
                outstanding: Cell::new(LIVE),
            }),
        }
    }

    /// A free buffer, or `None` if none is free (or waiters are queued ahead
    /// of this call). From this thread's cache when it has one; otherwise
    /// the cache is refilled with a batch in one lock. The buffer this
    /// thread let go of last comes first, if no other thread read it.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let local = pool.register();
    /// let held = local.try_acquire().unwrap();
    /// assert!(local.try_acquire().is_none());
    /// drop(held);
    /// assert!(local.try_acquire().is_some());
    /// ```
    ///
    /// A buffer released on this thread is the next one handed out, still
    /// warm in this core's caches:
    ///
    /// ```
    /// let local = zerocast::pool::BufferPool::new(64, 16).register();
    /// let first = local.try_acquire().unwrap().as_ptr(); // released here
    /// assert_eq!(local.try_acquire().unwrap().as_ptr(), first);
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<Buffer> {
        let (index, data) = match self.local.pop_cached() {
            Some(entry) => entry,
            None => self.local.refill()?,
        };
        Some(self.adopt(index, data))
    }

    /// Waits for a free buffer. Waiters are served in FIFO order; waiting
    /// allocates nothing (the queue node lives in the future).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a buffer granted to a future dropped before it completes
    /// goes to the next waiter (or back to the pool).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let pool = zerocast::pool::BufferPool::new(64, 1);
    /// let local = pool.register();
    /// let buf = local.acquire().await;
    /// assert_eq!(buf.remaining(), 64);
    /// # });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire::new(self)
    }

    /// Returns this thread's cached free buffers to the shared list, where
    /// other threads (and waiters) can get them.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::builder(64, 16).cache(4).build();
    /// let local = pool.register();
    /// drop(local.try_acquire()); // the cache now holds 2 buffers
    /// assert_eq!(local.cached(), 2);
    /// local.spill();
    /// assert_eq!(pool.stats().shared_free, 16);
    /// ```
    pub fn spill(&self) {
        self.local.spill_all();
    }

    /// Free buffers in this thread's cache.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = zerocast::pool::BufferPool::new(64, 8).register();
    /// assert_eq!(local.cached(), 0);
    /// ```
    pub fn cached(&self) -> usize {
        self.local.cache().len()
    }

    /// The size of every buffer of the pool, in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = zerocast::pool::BufferPool::new(64, 8).register();
    /// assert_eq!(local.buffer_size(), 64);
    /// ```
    #[inline]
    pub fn buffer_size(&self) -> usize {
        self.local.buffer_size.get() as usize
    }

    /// The pool this handle draws from.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = zerocast::pool::BufferPool::new(64, 8).register();
    /// assert_eq!(local.pool().buffer_size(), 64);
    /// ```
    pub fn pool(&self) -> BufferPool {
        BufferPool {
            shared: self.local.shared.clone(),
        }
    }

    /// Takes a buffer straight off the shared list (a waiter's grant) as
    /// this thread's.
    pub(super) fn adopt_taken(&self, index: u32) -> Buffer {
        self.local.shared.mark_taken(index, self.local.id);
        debug_assert_eq!(self.local.count_cell(index).get(), 0);
        self.local.count_cell(index).set(1);
        self.adopt(index, self.local.buffer_ptr(index))
    }

    /// Takes a free buffer (owner unit already 1) that this thread already
    /// counts (it came from the cache) as this thread's; `data` is its first
    /// byte.
    #[inline]
    fn adopt(&self, index: u32, data: NonNull<u8>) -> Buffer {
        debug_assert_eq!(self.local.count_cell(index).get(), 1);
        debug_assert_eq!(data, self.local.buffer_ptr(index));
        Buffer {
            data,
            size: self.local.buffer_size.get(),
            local: self.local,
            index,
            frozen: 0,
            packets: false,
        }
    }
}

impl Clone for LocalPool {
    fn clone(&self) -> Self {
        self.local.handles.set(self.local.handles.get() + 1);
        Self { local: self.local }
    }
}

impl Drop for LocalPool {
    fn drop(&mut self) {
        if self.local.drop_handle() {
            // SAFETY: no handle and no counted reference is left.
            unsafe { self.local.free() };
        }
    }
}

impl fmt::Debug for LocalPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalPool")
            .field("cached", &self.cached())
            .finish_non_exhaustive()
    }
}

impl Local {
    #[allow(clippy::mut_from_ref)]
    #[inline]
    fn cache(&self) -> &mut Cache {
        // SAFETY: `Local` is `!Sync` (reached through an `Rc`), and no caller
        // keeps this reference across a call that could reach `cache()` again.
        unsafe { &mut *self.cache.get() }
    }

    /// The first byte of buffer `index`.
    #[inline]
    pub(super) fn buffer_ptr(&self, index: u32) -> NonNull<u8> {
        debug_assert!((index as usize) < self.counts.len());
        // SAFETY: `index` is a buffer of this pool (indices come only from its
        // free list), so the offset stays within the one allocation `base`
        // points into, whose provenance covers all of it.
        unsafe {
            self.base
                .add(index as usize * self.buffer_size.get() as usize)
        }
    }

    /// This thread's count of buffer `index`.
    #[inline]
    fn count_cell(&self, index: u32) -> &Cell<u32> {
        debug_assert!((index as usize) < self.counts.len());
        // SAFETY: `index` is a buffer of this pool (indices come only from
        // its free list, and a packet is received only into a handle of its
        // own pool), and `counts` has one cell per buffer.
        unsafe { self.counts.get_unchecked(index as usize) }
    }

    /// A cached free buffer.
    #[inline]
    fn pop_cached(&self) -> Option<Entry> {
        self.cache().pop()
    }

    /// Refills the (empty) cache with up to half its capacity and takes one.
    #[cold]
    fn refill(&self) -> Option<Entry> {
        let cache = self.cache();
        let half = (cache.capacity() / 2).max(1);
        cache.refill(
            half,
            |slots| {
                let got = self.shared.take_batch(slots, self.id);
                for &index in &slots[..got] {
                    self.count_cell(index).set(1);
                }
                got
            },
            |index| self.buffer_ptr(index),
        )
    }

    fn spill_all(&self) {
        self.spill(usize::MAX);
    }

    /// Returns the `n` oldest cached buffers to the shared list; this
    /// thread counts them no more.
    fn spill(&self, n: usize) {
        self.cache().drain_oldest(n, |indices| {
            for &index in indices {
                self.count_cell(index).set(0);
            }
            self.shared.release_batch(indices);
        });
    }

    /// One more buffer or packet of `index` on this thread.
    #[inline]
    pub(super) fn add_ref(&self, index: u32) {
        let cell = self.count_cell(index);
        cell.set(cell.get() + 1);
    }

    /// A packet of `index` leaves this thread. Returns true if this thread's
    /// owner unit goes with it (it was the thread's last reference); false if
    /// the caller must add a unit for it.
    ///
    /// When the unit goes, the caller then calls [`count_gone`](Self::count_gone).
    #[inline]
    pub(super) fn send_ref(&self, index: u32) -> bool {
        let cell = self.count_cell(index);
        let count = cell.get();
        if count & COUNT == 1 {
            cell.set(0);
            true
        } else {
            cell.set((count - 1) | SHARED);
            false
        }
    }

    /// A packet of `index` arrives on this thread with its own unit. Returns
    /// true if this thread already holds a unit, so the caller must give the
    /// packet's up.
    #[inline]
    pub(super) fn receive_ref(&self, index: u32) -> bool {
        let cell = self.count_cell(index);
        let count = cell.get();
        cell.set((count + 1) | SHARED);
        count & COUNT != 0
    }

    /// One fewer; the last gives up this thread's owner unit, and the last
    /// unit recycles the buffer. Returns true if the caller must now free this
    /// `Local` (see [`count_gone`](Self::count_gone)).
    ///
    /// Inlined for the common cases — not the last reference, or the last of
    /// a buffer never shared (see [`drop_sole`](Self::drop_sole)); the rest is
    /// [`drop_last`](Self::drop_last).
    #[inline]
    #[must_use]
    pub(super) fn drop_ref(&self, index: u32) -> bool {
        let cell = self.count_cell(index);
        let count = cell.get() - 1;
        if count & COUNT != 0 {
            cell.set(count);
            return false;
        }
        if count & SHARED != 0 {
            cell.set(0);
            return self.drop_last(index, true);
        }
        self.drop_sole(index)
    }

    /// Drops the only reference to `index` on this thread (its count is 1)
    /// of a buffer this thread took and never shared: it holds the buffer's
    /// only unit (still one), so the buffer is free now, and the cache's
    /// (or a waiter's). Same return as [`drop_ref`](Self::drop_ref).
    #[inline]
    #[must_use]
    fn drop_sole(&self, index: u32) -> bool {
        debug_assert_eq!(self.count_cell(index).get(), 1);
        if self.cache_try_push_unwaited(index, self.buffer_ptr(index)) {
            return self.count_gone();
        }
        self.count_cell(index).set(0);
        self.drop_last(index, false)
    }

    /// [`drop_sole`](Self::drop_sole)'s common case, inlined into a
    /// [`Buffer`]'s drop when no packet of it was made: while a handle lives
    /// (so this `Local` stays) and nobody waits, the buffer goes into the
    /// cache if it has room. Returns false, having changed nothing, otherwise.
    /// `data` is the buffer's first byte.
    #[inline]
    fn try_cache_sole(&self, index: u32, data: NonNull<u8>) -> bool {
        if self.outstanding.get() != LIVE {
            return false;
        }
        self.cache_try_push_unwaited(index, data)
    }

    /// Keeps free buffer `index` (first byte `data`), which this thread
    /// counts 1 already (its only [`Buffer`] is going), if nobody waits and
    /// the cache has room: as the cache's warm entry, the next one handed
    /// out, since no other thread has read it.
    #[inline]
    fn cache_try_push_unwaited(&self, index: u32, data: NonNull<u8>) -> bool {
        debug_assert_eq!(self.count_cell(index).get(), 1);
        debug_assert_eq!(data, self.buffer_ptr(index));
        !self.shared.has_waiters() && self.cache().keep_warm((index, data))
    }

    /// The rest of [`drop_ref`](Self::drop_ref) and
    /// [`drop_sole`](Self::drop_sole) for this thread's last reference to
    /// `index` (its count already zero): a buffer once shared gives up this
    /// thread's unit (and the last unit recycles it); one never shared goes
    /// to a waiter, or into a full cache after a spill.
    #[cold]
    #[inline(never)]
    #[must_use]
    fn drop_last(&self, index: u32, shared: bool) -> bool {
        if !shared {
            if self.shared.has_waiters() {
                self.shared.release(index);
            } else {
                self.cache_push(index);
            }
        } else if self.shared.unown(index) {
            self.recycle(index);
        }
        self.count_gone()
    }

    /// This thread's count of a buffer fell to zero. Returns true if that
    /// was the last thing keeping this `Local` (no handle is left): the
    /// caller must then free it.
    #[inline]
    #[must_use]
    pub(super) fn count_gone(&self) -> bool {
        let outstanding = self.outstanding.get();
        if outstanding == LIVE {
            return false;
        }
        self.outstanding.set(outstanding - 1);
        outstanding == 1
    }

    /// A [`LocalPool`] handle is gone. Returns true if it was the last and
    /// no buffer is counted either: the caller must then free this `Local`.
    #[must_use]
    fn drop_handle(&self) -> bool {
        let handles = self.handles.get() - 1;
        self.handles.set(handles);
        if handles > 0 {
            return false;
        }
        // Cached buffers count 1 each and are no one's to wait for.
        let counted = self.counts.iter().filter(|c| c.get() & COUNT != 0).count();
        let outstanding = counted - self.cache().len();
        self.outstanding.set(outstanding);
        outstanding == 0
    }

    /// A buffer without owners, once shared: to a waiter if one is queued,
    /// or if this thread did not take it, to the shared list; else to the
    /// cache.
    fn recycle(&self, index: u32) {
        if self.shared.has_waiters() || !self.shared.taken_by(index, self.id) {
            self.shared.release(index);
        } else {
            self.cache_push(index);
        }
    }

    /// Keeps free buffer `index` (this thread counts it 0: it comes from
    /// the last reference's drop) at the back of the cache's ring, to be
    /// reused late (another thread may have read it), spilling the older
    /// half of the cache first if the ring is full. (A cache of one has no
    /// ring: the buffer becomes its warm entry, once spilled.)
    fn cache_push(&self, index: u32) {
        debug_assert_eq!(self.count_cell(index).get(), 0);
        let entry = (index, self.buffer_ptr(index));
        if !self.cache().try_push(entry) {
            self.spill((self.cache().len() / 2).max(1));
            // Room now: the spill took at least one entry from the ring, or
            // (a cache of one) the warm entry.
            let kept = self.cache().try_push(entry) || self.cache().keep_warm(entry);
            debug_assert!(kept);
        }
        self.count_cell(index).set(1);
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        self.spill_all();
        debug_assert!(self.counts.iter().all(|c| c.get() == 0));
    }
}

/// An acquired buffer, writable beyond the part already frozen into
/// [`Packet`]s. Dereferences to that writable part.
///
/// `!Send`, not `Clone`: one writer. When it and every packet of it are
/// gone, the buffer goes back to the pool.
///
/// # Examples
///
/// ```
/// let local = zerocast::pool::BufferPool::new(16, 1).register();
/// let mut buf = local.try_acquire().unwrap();
/// buf[..3].copy_from_slice(b"abc");
/// let abc = buf.freeze(3);
/// buf[..2].copy_from_slice(b"de");
/// let de = buf.freeze(2);
/// assert_eq!((&abc[..], &de[..]), (&b"abc"[..], &b"de"[..]));
/// assert_eq!(buf.remaining(), 11);
/// ```
pub struct Buffer {
    /// Valid while this buffer lives: it is counted in `local`'s counts.
    local: LocalRef,
    /// The buffer's first byte (kept here so that reads and writes need no
    /// trip through the pool).
    data: NonNull<u8>,
    index: u32,
    /// Bytes `..frozen` belong to packets and are never written again.
    frozen: u32,
    /// The buffer's size.
    size: u32,
    /// Whether a packet of this buffer was made. Until one is, this `Buffer`
    /// is the buffer's only reference anywhere: its count on this thread is
    /// 1 and it was never shared.
    packets: bool,
}

impl Buffer {
    /// Bytes still writable.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = zerocast::pool::BufferPool::new(16, 1).register();
    /// assert_eq!(local.try_acquire().unwrap().remaining(), 16);
    /// ```
    #[inline]
    pub fn remaining(&self) -> usize {
        (self.size - self.frozen) as usize
    }

    /// The first `len` writable bytes as a [`Packet`]; the writable part then
    /// starts after them.
    ///
    /// # Panics
    ///
    /// If `len > self.remaining()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = zerocast::pool::BufferPool::new(16, 1).register();
    /// let mut buf = local.try_acquire().unwrap();
    /// buf[0] = 7;
    /// assert_eq!(&buf.freeze(1)[..], &[7]);
    /// ```
    #[track_caller]
    #[inline]
    pub fn freeze(&mut self, len: usize) -> Packet {
        let offset = self.frozen;
        self.skip(len);
        self.packets = true;
        self.local.add_ref(self.index);
        Packet::from_parts(self.local, self.data, self.index, offset, len as u32)
    }

    /// Discards the first `len` writable bytes (they are never handed out).
    ///
    /// # Panics
    ///
    /// If `len > self.remaining()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = zerocast::pool::BufferPool::new(16, 1).register();
    /// let mut buf = local.try_acquire().unwrap();
    /// buf.skip(4);
    /// assert_eq!(buf.remaining(), 12);
    /// ```
    #[track_caller]
    #[inline]
    pub fn skip(&mut self, len: usize) {
        assert!(
            len <= self.remaining(),
            "Buffer: {len} bytes asked, {} remain",
            self.remaining()
        );
        self.frozen += len as u32;
    }
}

impl Buffer {
    /// As [`skip`](Self::skip), without the check, for a caller that knows
    /// the bytes are there.
    ///
    /// # Safety
    ///
    /// `len <= self.remaining()`: `frozen <= size` is what keeps the
    /// writable part (`deref`) inside the buffer.
    #[inline]
    pub(crate) unsafe fn skip_unchecked(&mut self, len: usize) {
        debug_assert!(len <= self.remaining());
        self.frozen += len as u32;
    }

    /// The first byte not yet frozen, as a pointer with the provenance of
    /// the whole buffer (no reference made on the way): for a writer that
    /// fills the part it reserved while the `Buffer` stays put.
    #[inline]
    pub(crate) fn unfrozen_ptr(&self) -> NonNull<u8> {
        // SAFETY: `frozen <= size`, so the offset stays within (or one past)
        // the buffer, inside the pool's one allocation.
        unsafe { self.data.add(self.frozen as usize) }
    }

    /// Bytes frozen so far (the writable part starts here).
    #[inline]
    pub(crate) fn frozen(&self) -> usize {
        self.frozen as usize
    }

    /// A packet of the frozen bytes `offset..offset + len`.
    ///
    /// # Panics
    ///
    /// If those bytes are not all frozen.
    #[inline]
    pub(crate) fn frozen_packet(&mut self, offset: usize, len: usize) -> Packet {
        assert!(
            offset + len <= self.frozen as usize,
            "Buffer: bytes not frozen"
        );
        self.packets = true;
        self.local.add_ref(self.index);
        Packet::from_parts(self.local, self.data, self.index, offset as u32, len as u32)
    }
}

impl Deref for Buffer {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: `data` is valid for the buffer's `size` bytes while `local`
        // keeps the pool alive (and this buffer, counted, keeps `local`), and `frozen <= size`; bytes `frozen..` are
        // reached only through this `Buffer` (packets cover `..frozen`, and
        // the buffer is out of the pool); `UnsafeCell<u8>` has the layout of
        // `u8`.
        unsafe {
            core::slice::from_raw_parts(
                self.data.as_ptr().add(self.frozen as usize),
                self.remaining(),
            )
        }
    }
}

impl DerefMut for Buffer {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access;
        // the bytes are `UnsafeCell`s, so writing through `data` is allowed.
        unsafe {
            core::slice::from_raw_parts_mut(
                self.data.as_ptr().add(self.frozen as usize),
                self.remaining(),
            )
        }
    }
}

impl Buffer {
    /// The rest of `drop`: a buffer with packets, or one that does not go
    /// straight into the cache. Takes the fields, not the `Buffer`, so that
    /// the inlined common case need not keep a copy of it in memory.
    #[cold]
    #[inline(never)]
    fn drop_slow(local: LocalRef, index: u32, packets: bool) {
        let last = if packets {
            local.drop_ref(index)
        } else {
            local.drop_sole(index)
        };
        if last {
            // SAFETY: this was the last handle or counted reference, and the
            // `Buffer` it was is gone after this.
            unsafe { local.free() };
        }
    }
}

impl Drop for Buffer {
    #[inline]
    fn drop(&mut self) {
        if self.packets || !self.local.try_cache_sole(self.index, self.data) {
            Self::drop_slow(self.local, self.index, self.packets);
        }
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buffer")
            .field("index", &self.index)
            .field("remaining", &self.remaining())
            .finish()
    }
}
