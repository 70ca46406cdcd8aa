//! [`BufferPool`]: fixed-size byte buffers, all allocated at construction,
//! handed out through per-thread [`LocalPool`] caches and shared as
//! refcounted [`Packet`]s.
//!
//! # Design
//!
//! - **Memory.** `count` buffers of `buffer_size` bytes in one allocation made
//!   by [`BufferPool::new`], starting on a page and committed there and then:
//!   with a `buffer_size` that is a multiple of 64, no two buffers share a
//!   cache line. Nothing allocates after [`BufferPool::register`].
//! - **Shared free list.** A ring of free buffer indices and a FIFO queue of
//!   waiting [`Acquire`] futures behind one spin lock. The lock is taken once
//!   per *batch* of buffers (refill or spill of a thread's cache), and by
//!   waiters; never while running user code.
//! - **Per-thread cache.** A [`LocalPool`] (made by [`BufferPool::register`],
//!   which allocates its state once) keeps up to `cache` free buffers. The
//!   buffer the thread let go of last, if no other thread read it (it made
//!   no packet that left the thread), is handed out first: its lines are
//!   still in this core's caches, and a release then an acquire touch that
//!   one entry. The rest go first in, first out (an acquire and a
//!   release touch different counters, so neither waits on the other), and
//!   buffers other threads read go to the back, to be reused as late as
//!   possible. Acquire and release
//!   use the cache and touch no shared atomic; an empty cache is refilled
//!   with half its capacity in one lock, a full one spills its older half.
//!   A cached buffer already counts 1 in the thread's per-buffer counts, as
//!   the [`Buffer`] taken from it will, so taking one and releasing one no
//!   packet was made of (the buffer's only reference) touch no count; counts
//!   change only as buffers move between the cache and the shared list (in
//!   batches) and as packets are made.
//!   A thread's cache takes back only buffers that thread took off the shared
//!   list; a buffer freed on another thread (a consumer's) goes straight back
//!   to the shared list, so consumers never hoard. While a task waits for a
//!   buffer, every release skips the cache and goes to the longest waiter.
//!   Buffers already in a thread's cache (at most a quarter of the pool) are
//!   not seen by a waiter until that thread releases, spills
//!   ([`LocalPool::spill`]) or drops its last handle.
//! - **Refcounts.** A buffer is *owned* by a number of units (`owners`, one
//!   atomic per buffer): each thread holding [`Packet`]s of it counts one unit,
//!   with a plain per-thread count for its packets, so cloning and dropping a
//!   [`Packet`] costs about what an `Rc` does; each [`SendPacket`] in flight is
//!   one more unit. The unit that brings `owners` to zero returns the buffer.
//!   A [`Packet`] is `!Send` because its count is per-thread; [`Packet::send`]
//!   turns it into a [`SendPacket`], which is `Send`, and
//!   [`SendPacket::receive`] turns it back on the receiving thread.
//! - **Waiting.** [`LocalPool::acquire`] queues a node that lives inside the
//!   pinned future itself (no allocation); a returned buffer is handed
//!   straight to the longest waiter (FIFO) and its waker woken after the lock
//!   is released. Dropping the future unlinks it, and a buffer granted to a
//!   future that is dropped before it saw it goes to the next waiter.

mod acquire;
mod cache;
mod free;
mod local;
mod packet;

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::fmt;
use core::ptr::NonNull;

use super::block::Block;
use crate::lock::SpinLock;
use crate::sync::{AtomicUsize, Ordering};

pub use acquire::Acquire;
pub(crate) use acquire::Hold;
pub use local::{Buffer, LocalPool};
pub use packet::{Packet, SendPacket};

use free::Free;

/// A pool of `count` byte buffers of `buffer_size` bytes each, allocated once
/// and committed then (every page touched, so a buffer's first use takes no
/// page fault).
///
/// Cloning a `BufferPool` clones a handle to the same buffers. Buffers are
/// acquired through a per-thread [`LocalPool`] made by
/// [`register`](Self::register).
///
/// # Examples
///
/// ```
/// use zerocast::pool::BufferPool;
///
/// let pool = BufferPool::new(1024, 8);
/// let local = pool.register();
/// let mut buf = local.try_acquire().expect("8 buffers are free");
/// buf[..5].copy_from_slice(b"hello");
/// let hello = buf.freeze(5);
/// assert_eq!(&hello[..], b"hello");
/// assert_eq!(pool.stats().buffers, 8);
/// ```
#[derive(Clone)]
pub struct BufferPool {
    shared: Arc<Shared>,
}

/// Configures a [`BufferPool`]: `BufferPool::builder(size, count)`.
///
/// # Examples
///
/// ```
/// let pool = zerocast::pool::BufferPool::builder(4096, 64).cache(16).build();
/// assert_eq!(pool.buffer_size(), 4096);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BufferPoolBuilder {
    buffer_size: usize,
    count: usize,
    cache: usize,
}

/// A snapshot of a [`BufferPool`]'s counters.
///
/// # Examples
///
/// ```
/// let pool = zerocast::pool::BufferPool::new(256, 4);
/// let local = pool.register();
/// let buf = local.try_acquire().unwrap();
/// let stats = pool.stats();
/// assert_eq!(stats.buffers, 4);
/// assert!(stats.out >= 1); // this thread's cache may hold more than the one in use
/// drop(buf);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BufferPoolStats {
    /// Buffers in the pool.
    pub buffers: usize,
    /// Buffers on the shared free list (not counting per-thread caches).
    pub shared_free: usize,
    /// Buffers off the shared free list: cached by a thread or in use.
    pub out: usize,
    /// The most buffers that were ever off the shared free list at once.
    pub high_water: usize,
    /// Futures waiting for a buffer now.
    pub waiting: usize,
    /// Acquires that had to wait, since construction.
    pub waits: usize,
}

/// What every handle, buffer and packet of one pool shares.
struct Shared {
    buffer_size: usize,
    cache: usize,
    /// `count * buffer_size` bytes. A buffer's bytes are written only through
    /// the one [`Buffer`] that holds it, beyond the part it has frozen into
    /// packets, and read only through packets of frozen parts.
    bytes: Block,
    /// Per buffer: the owning units (threads holding packets of it, plus
    /// `SendPacket`s in flight). One while the buffer is free, so that the
    /// thread that acquires it holds the one unit without writing here.
    owners: Box<[AtomicUsize]>,
    /// Per buffer: the id of the [`LocalPool`] that last took it from the
    /// shared list. Only that thread's cache takes it back; any other thread
    /// returns it to the shared list, so a thread that only frees buffers
    /// (a consumer) never hoards them.
    takers: Box<[AtomicUsize]>,
    /// The next [`LocalPool`] id.
    next_id: AtomicUsize,
    /// Free indices and waiters.
    free: SpinLock<Free>,
    /// Waiters queued now: read without the lock by releasing threads, which
    /// then skip their cache. Written under the lock.
    waiting: AtomicUsize,
    /// Acquires that had to wait (metric).
    waits: AtomicUsize,
}

// SAFETY: the byte cells are shared under the ownership protocol above (a
// buffer is written by one holder, and handed between threads through the
// free list's lock or the owners count's release/acquire); everything else is
// atomics or behind the lock.
unsafe impl Sync for Shared {}
// SAFETY: as above.
unsafe impl Send for Shared {}

impl BufferPool {
    /// A pool of `count` buffers of `buffer_size` bytes, with a per-thread
    /// cache of up to 32 buffers.
    ///
    /// # Panics
    ///
    /// If `buffer_size` or `count` is zero, `count` exceeds `u32::MAX`, or
    /// the total does not fit in memory.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(2048, 16);
    /// assert_eq!(pool.stats().shared_free, 16);
    /// ```
    #[track_caller]
    pub fn new(buffer_size: usize, count: usize) -> Self {
        Self::builder(buffer_size, count).build()
    }

    /// A builder for a pool of `count` buffers of `buffer_size` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::builder(512, 4).cache(2).build();
    /// assert_eq!(pool.stats().buffers, 4);
    /// ```
    pub fn builder(buffer_size: usize, count: usize) -> BufferPoolBuilder {
        BufferPoolBuilder {
            buffer_size,
            count,
            cache: 32,
        }
    }

    /// This thread's handle: a cache of free buffers and the per-buffer
    /// packet counts, allocated here, once. Call it once per thread (or per
    /// task set) and clone the [`LocalPool`] within the thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::new(64, 4);
    /// let local = pool.register();
    /// assert!(local.try_acquire().is_some());
    /// ```
    pub fn register(&self) -> LocalPool {
        LocalPool::new(self.shared.clone())
    }

    /// The size of every buffer, in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(zerocast::pool::BufferPool::new(64, 4).buffer_size(), 64);
    /// ```
    pub fn buffer_size(&self) -> usize {
        self.shared.buffer_size
    }

    /// A snapshot of the counters (takes the free list's lock).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::builder(64, 4).cache(2).build();
    /// let local = pool.register();
    /// let held = local.try_acquire().unwrap();
    /// let stats = pool.stats();
    /// assert_eq!(stats.out, 1); // a cache of 2 refills with 1 buffer at a time
    /// assert_eq!(stats.shared_free + stats.out, stats.buffers);
    /// drop(held);
    /// ```
    pub fn stats(&self) -> BufferPoolStats {
        self.shared.stats()
    }
}

// Buffers held by one owner unit rather than by a thread: for the
// shared-buffer writer (`io::SharedWriter`), which any thread may fill.
impl BufferPool {
    /// A free buffer off the shared list (none from any thread's cache),
    /// held by one owner unit: a [`SendPacket`] of no bytes. When that unit
    /// and every packet of the buffer are gone, it goes back to the list.
    pub(crate) fn try_hold(&self) -> Option<SendPacket> {
        let mut one = [0];
        let got = self.shared.free.with(|free| free.take_batch(&mut one));
        (got == 1).then(|| self.unit(one[0]))
    }

    /// As [`try_hold`](Self::try_hold), waiting (without allocating) in the
    /// pool's FIFO queue.
    pub(crate) fn hold(&self) -> Hold<'_> {
        Hold::new(self)
    }

    /// Free buffer `index`, just taken off the shared list, as one unit.
    fn unit(&self, index: u32) -> SendPacket {
        self.shared.mark_taken(index, NO_TAKER);
        SendPacket::unit(self.shared.clone(), index)
    }
}

/// The taker of a buffer held by a unit rather than taken by a thread's
/// handle: no handle's id (ids count up from zero).
const NO_TAKER: usize = usize::MAX;

impl fmt::Debug for BufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferPool")
            .field("buffer_size", &self.shared.buffer_size)
            .field("stats", &self.stats())
            .finish()
    }
}

impl BufferPoolBuilder {
    /// How many free buffers each [`LocalPool`] may keep (default 32). An
    /// empty cache refills with half of this, a full one spills half. Capped
    /// at a quarter of the pool (at least 1), so one thread cannot take the
    /// whole pool into its cache.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::builder(64, 64).cache(8).build();
    /// # drop(pool);
    /// ```
    pub fn cache(mut self, cache: usize) -> Self {
        self.cache = cache;
        self
    }

    /// Allocates every buffer.
    ///
    /// # Panics
    ///
    /// If `buffer_size` or `count` is zero, `count` exceeds `u32::MAX`, or
    /// the total does not fit in memory.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::BufferPool::builder(64, 2).build();
    /// assert_eq!(pool.stats().shared_free, 2);
    /// ```
    #[track_caller]
    pub fn build(self) -> BufferPool {
        let Self {
            buffer_size,
            count,
            cache,
        } = self;
        assert!(
            buffer_size > 0 && count > 0 && u32::try_from(count).is_ok(),
            "BufferPool: buffer_size and count must be non-zero, count at most u32::MAX"
        );
        assert!(
            u32::try_from(buffer_size).is_ok(),
            "BufferPool: buffer_size must be at most u32::MAX"
        );
        let total = buffer_size
            .checked_mul(count)
            .filter(|&t| t <= isize::MAX as usize)
            .expect("BufferPool: buffer_size * count overflows");
        BufferPool {
            shared: Arc::new(Shared {
                buffer_size,
                cache: cache.min(count / 4).max(1),
                bytes: Block::zeroed(total),
                owners: (0..count).map(|_| AtomicUsize::new(1)).collect(),
                takers: (0..count).map(|_| AtomicUsize::new(NO_TAKER)).collect(),
                next_id: AtomicUsize::new(0),
                free: SpinLock::new(Free::new(count)),
                waiting: AtomicUsize::new(0),
                waits: AtomicUsize::new(0),
            }),
        }
    }
}

impl Shared {
    /// A pointer to the first byte of the pool's memory, valid (for reads
    /// and, by a buffer's holder, writes: the bytes are `UnsafeCell`s) for
    /// all of it while the pool lives.
    fn base(&self) -> NonNull<u8> {
        NonNull::from(&*self.bytes).cast::<u8>()
    }

    /// Gives up one owner unit of buffer `index`. Returns true if it was the
    /// last: the buffer is then free (its count left at one for the next
    /// holder) and the caller must recycle it.
    #[inline]
    fn unown(&self, index: u32) -> bool {
        let owners = &self.owners[index as usize];
        // Acquire pairs with the AcqRel decrements of the other units, so
        // their reads of the buffer happen before it is written again. A count
        // of one is the caller's unit alone: no one else can add one.
        if owners.load(Ordering::Acquire) == 1 {
            return true;
        }
        if owners.fetch_sub(1, Ordering::AcqRel) == 1 {
            owners.store(1, Ordering::Relaxed);
            return true;
        }
        false
    }

    /// A waiter is queued: a released buffer should go to it, not to a
    /// thread's cache. A hint, read without the lock.
    #[inline]
    fn has_waiters(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) != 0
    }

    /// Takes up to `out.len()` free indices into `out` for the handle
    /// `taker`, unless a waiter is queued (waiters are served first).
    /// Returns how many.
    fn take_batch(&self, out: &mut [u32], taker: usize) -> usize {
        let got = self.free.with(|free| free.take_batch(out));
        for &index in &out[..got] {
            self.mark_taken(index, taker);
        }
        got
    }

    /// Records that handle `taker` took buffer `index` off the shared list.
    /// Relaxed: read only by threads that later hold a unit of the buffer,
    /// handed to them with release/acquire.
    #[inline]
    fn mark_taken(&self, index: u32, taker: usize) {
        self.takers[index as usize].store(taker, Ordering::Relaxed);
    }

    /// Whether handle `id` took buffer `index` off the shared list last.
    #[inline]
    fn taken_by(&self, index: u32, id: usize) -> bool {
        self.takers[index as usize].load(Ordering::Relaxed) == id
    }

    /// Returns `index` (now without owners): to the longest waiter, or to the
    /// free list.
    fn release(&self, index: u32) {
        self.release_batch(&[index]);
    }

    /// Returns `indices` (all without owners): each to the longest waiter
    /// while there are waiters, the rest to the free list. Wakers run after
    /// the lock is released.
    fn release_batch(&self, mut indices: &[u32]) {
        while !indices.is_empty() {
            let (taken, waker) = self.free.with(|free| free.give(indices, &self.waiting));
            indices = &indices[taken..];
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    fn stats(&self) -> BufferPoolStats {
        let (shared_free, high_water) = self.free.with(|free| (free.len(), free.high_water()));
        let buffers = self.owners.len();
        BufferPoolStats {
            buffers,
            shared_free,
            out: buffers - shared_free,
            high_water,
            waiting: self.waiting.load(Ordering::Relaxed),
            waits: self.waits.load(Ordering::Relaxed),
        }
    }
}

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests;

#[cfg(all(test, zerocast_loom))]
mod loom;
