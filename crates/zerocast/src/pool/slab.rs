//! [`SlabPool`]: a per-core pool of fixed-size pages whose payloads cross
//! threads as [`SlabTicket`]s and come home through a bounded return queue.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::queue::ReturnQueue;
use core::cell::UnsafeCell;

use crate::sync::{AtomicUsize, Ordering};

/// Why [`SlabPool::alloc`] could not place a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlabError {
    /// Every page is in use (drain the return queue, or fall back).
    Exhausted,
    /// The payload is larger than a page.
    Oversized {
        /// The payload's length.
        len: usize,
        /// The page size.
        page_size: usize,
    },
    /// `page_size * pages` does not fit in memory, or `pages` is zero or
    /// above `u32::MAX`.
    BadSize,
}

impl fmt::Display for SlabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlabError::Exhausted => f.write_str("slab pool exhausted"),
            SlabError::Oversized { len, page_size } => {
                write!(
                    f,
                    "payload of {len} bytes exceeds the {page_size}-byte page"
                )
            }
            SlabError::BadSize => f.write_str("slab pool size out of range"),
        }
    }
}

impl core::error::Error for SlabError {}

/// What the pages' owner and every ticket share.
struct Shared {
    core_id: u16,
    page_size: usize,
    /// `pages * page_size` bytes. A page is written only by the owner while it
    /// is free, and read only through the one ticket that holds it.
    bytes: Box<[UnsafeCell<u8>]>,
    /// Page ids (`generation << 32 | page`) sent home by dropped tickets.
    returns: ReturnQueue,
    /// Tickets whose return found the queue full (impossible by construction:
    /// the queue holds every page; counted, never silent).
    lost: AtomicUsize,
}

// SAFETY: the byte cells are shared under the ownership protocol above; every
// hand-over goes through the return queue's release/acquire handshake.
unsafe impl Sync for Shared {}
// SAFETY: as above.
unsafe impl Send for Shared {}

/// A per-core pool of `pages` fixed-size pages, all allocated by
/// [`new`](Self::new). [`alloc`](Self::alloc) copies a payload into a free
/// page and returns a [`SlabTicket`] — `Send`, not `Clone` — that reads exactly
/// that page on any thread and, when dropped, sends the page id home through
/// the pool's bounded return queue. The owner calls [`drain`](Self::drain)
/// each tick to recycle returned pages; nothing allocates after `new`.
///
/// Ids carry a generation, so a stale or repeated return is detected and
/// rejected (counted in [`SlabStats::rejected`]). The return queue holds as
/// many ids as there are pages, and each page is out on at most one ticket, so
/// a return never finds it full; were it ever to, the page would be counted in
/// [`SlabStats::lost`], not leaked silently.
///
/// # Examples
///
/// ```
/// use zerocast::pool::{SlabError, SlabPool};
///
/// let mut pool = SlabPool::new(0, 64, 2).unwrap();
/// let ticket = pool.alloc(b"hello").unwrap();
/// let reader = std::thread::spawn(move || {
///     assert_eq!(ticket.as_slice(), b"hello");
///     // dropped here: the page goes home
/// });
/// reader.join().unwrap();
/// assert_eq!(pool.drain(), 1);
/// assert_eq!(pool.alloc(&[0; 65]).unwrap_err(), SlabError::Oversized { len: 65, page_size: 64 });
/// ```
pub struct SlabPool {
    shared: Arc<Shared>,
    /// Free pages (a stack; capacity reserved for every page).
    free: Vec<u32>,
    /// Each page's current generation; a ticket is valid for its page's
    /// current generation while the page is out.
    generation: Box<[u32]>,
    out: Box<[bool]>,
    stats: SlabStats,
}

/// Counters of a [`SlabPool`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlabStats {
    /// Payloads placed in a page.
    pub allocations: u64,
    /// Pages that came home and were recycled.
    pub returns: u64,
    /// `alloc` calls that found every page in use.
    pub exhausted: u64,
    /// Returns rejected as stale or repeated.
    pub rejected: u64,
    /// Returns that found the queue full (see [`SlabPool`]).
    pub lost: u64,
    /// Oversized payloads copied to the heap by
    /// [`alloc_or_heap`](SlabPool::alloc_or_heap).
    pub heap_fallbacks: u64,
}

impl SlabPool {
    /// `pages` pages of `page_size` bytes for core `core_id`, allocated now.
    ///
    /// # Errors
    ///
    /// [`SlabError::BadSize`] when `pages` is zero or above `u32::MAX`, or the
    /// total size overflows.
    pub fn new(core_id: u16, page_size: usize, pages: usize) -> Result<Self, SlabError> {
        if pages == 0 || pages > u32::MAX as usize {
            return Err(SlabError::BadSize);
        }
        let total = page_size.checked_mul(pages).ok_or(SlabError::BadSize)?;
        if total > isize::MAX as usize {
            return Err(SlabError::BadSize);
        }
        Ok(Self {
            shared: Arc::new(Shared {
                core_id,
                page_size,
                bytes: super::zeroed_cells(total),
                returns: ReturnQueue::new(pages),
                lost: AtomicUsize::new(0),
            }),
            free: (0..pages as u32).rev().collect(),
            generation: vec![0; pages].into_boxed_slice(),
            out: vec![false; pages].into_boxed_slice(),
            stats: SlabStats::default(),
        })
    }

    /// Copies `payload` into a free page.
    ///
    /// # Errors
    ///
    /// [`SlabError::Oversized`] when it is larger than a page (use
    /// [`alloc_or_heap`](Self::alloc_or_heap) for an explicit, counted
    /// fallback), [`SlabError::Exhausted`] when every page is in use.
    pub fn alloc(&mut self, payload: &[u8]) -> Result<SlabTicket, SlabError> {
        let page_size = self.shared.page_size;
        if payload.len() > page_size {
            return Err(SlabError::Oversized {
                len: payload.len(),
                page_size,
            });
        }
        let Some(page) = self.free.pop() else {
            self.stats.exhausted += 1;
            return Err(SlabError::Exhausted);
        };
        let start = page as usize * page_size;
        let cells = &self.shared.bytes[start..start + payload.len()];
        // SAFETY: the page was free: no ticket reads it, and only this owner
        // (`&mut self`) writes pages; `UnsafeCell<u8>` has the layout of `u8`
        // and permits the write; `payload` cannot overlap the pool's memory.
        unsafe {
            core::ptr::copy_nonoverlapping(
                payload.as_ptr(),
                UnsafeCell::raw_get(cells.as_ptr()),
                payload.len(),
            );
        }
        let generation = self.generation[page as usize].wrapping_add(1);
        self.generation[page as usize] = generation;
        self.out[page as usize] = true;
        self.stats.allocations += 1;
        Ok(SlabTicket {
            shared: self.shared.clone(),
            id: u64::from(generation) << 32 | u64::from(page),
            len: payload.len(),
        })
    }

    /// Recycles every page sent home since the last call; returns how many.
    /// Never allocates.
    pub fn drain(&mut self) -> usize {
        let mut recycled = 0;
        // SAFETY: `&mut self`: this owner is the queue's only popper.
        while let Some(id) = unsafe { self.shared.returns.pop() } {
            let (page, generation) = ((id & 0xffff_ffff) as usize, (id >> 32) as u32);
            if page < self.out.len() && self.out[page] && self.generation[page] == generation {
                self.out[page] = false;
                self.free.push(page as u32);
                self.stats.returns += 1;
                recycled += 1;
            } else {
                self.stats.rejected += 1;
            }
        }
        recycled
    }

    /// The core this pool belongs to.
    pub fn core_id(&self) -> u16 {
        self.shared.core_id
    }

    /// The page size in bytes.
    pub fn page_size(&self) -> usize {
        self.shared.page_size
    }

    /// Free pages now (returned pages count once drained).
    pub fn available(&self) -> usize {
        self.free.len()
    }

    /// Pages out on tickets, or returned and not yet drained.
    pub fn in_use(&self) -> usize {
        self.out.len() - self.free.len()
    }

    /// `in_use / pages`.
    pub fn utilisation(&self) -> f64 {
        self.in_use() as f64 / self.out.len() as f64
    }

    /// The counters.
    pub fn stats(&self) -> SlabStats {
        SlabStats {
            lost: self.shared.lost.load(Ordering::Relaxed) as u64,
            ..self.stats
        }
    }
}

impl fmt::Debug for SlabPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlabPool")
            .field("core_id", &self.core_id())
            .field("page_size", &self.page_size())
            .field("available", &self.available())
            .field("stats", &self.stats())
            .finish()
    }
}

/// A payload in a [`SlabPool`] page: reads that page, on any thread, and sends
/// it home when dropped. `Send`, not `Clone`: one holder per page.
pub struct SlabTicket {
    shared: Arc<Shared>,
    /// `generation << 32 | page`.
    id: u64,
    len: usize,
}

impl SlabTicket {
    /// The payload.
    pub fn as_slice(&self) -> &[u8] {
        let page = (self.id & 0xffff_ffff) as usize;
        let start = page * self.shared.page_size;
        let cells = &self.shared.bytes[start..start + self.len];
        // SAFETY: the page is out on this ticket alone: the owner writes it
        // only after the ticket's drop sent it home (release/acquire through
        // the queue), so no write races these reads. `UnsafeCell<u8>` has the
        // layout of `u8`.
        unsafe { core::slice::from_raw_parts(cells.as_ptr() as *const u8, self.len) }
    }

    /// The payload's length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The core whose pool holds the page.
    pub fn core_id(&self) -> u16 {
        self.shared.core_id
    }
}

impl Drop for SlabTicket {
    fn drop(&mut self) {
        if self.shared.returns.push(self.id).is_err() {
            self.shared.lost.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl fmt::Debug for SlabTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlabTicket")
            .field("core_id", &self.core_id())
            .field("page", &(self.id & 0xffff_ffff))
            .field("len", &self.len)
            .finish()
    }
}

/// A payload in a slab page, or — when it did not fit — on the heap, so a
/// caller always knows which it got.
#[derive(Debug)]
pub enum Payload {
    /// In a page of the pool.
    Slab(SlabTicket),
    /// Too large for a page: copied to the heap (counted in
    /// [`SlabStats::heap_fallbacks`]).
    Heap(Box<[u8]>),
}

impl Payload {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Slab(t) => t.as_slice(),
            Payload::Heap(b) => b,
        }
    }
}

impl SlabPool {
    /// As [`alloc`](Self::alloc), but an oversized payload is copied to the
    /// heap instead (an allocation, on purpose and counted).
    ///
    /// # Errors
    ///
    /// [`SlabError::Exhausted`] when it fits a page but every page is in use.
    pub fn alloc_or_heap(&mut self, payload: &[u8]) -> Result<Payload, SlabError> {
        match self.alloc(payload) {
            Ok(t) => Ok(Payload::Slab(t)),
            Err(SlabError::Oversized { .. }) => {
                self.stats.heap_fallbacks += 1;
                Ok(Payload::Heap(payload.into()))
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(all(test, not(zerocast_loom)))]
mod tests {
    use super::*;

    #[test]
    fn exhausted_and_oversized_are_told_apart_and_drain_recycles() {
        let mut pool = SlabPool::new(3, 8, 2).unwrap();
        assert_eq!(SlabPool::new(0, 8, 0).unwrap_err(), SlabError::BadSize);
        assert_eq!(
            SlabPool::new(0, usize::MAX, 2).unwrap_err(),
            SlabError::BadSize
        );
        let a = pool.alloc(b"abc").unwrap();
        let b = pool.alloc(b"").unwrap();
        assert_eq!(pool.alloc(b"x").unwrap_err(), SlabError::Exhausted);
        assert_eq!(
            pool.alloc(&[0; 9]).unwrap_err(),
            SlabError::Oversized {
                len: 9,
                page_size: 8
            }
        );
        assert_eq!(
            (a.as_slice(), b.is_empty(), a.core_id()),
            (&b"abc"[..], true, 3)
        );
        assert_eq!(pool.drain(), 0, "nothing returned yet");
        drop(a);
        assert_eq!(pool.available(), 0, "returned pages count once drained");
        assert_eq!(pool.drain(), 1);
        let c = pool.alloc(b"12345678").unwrap();
        assert_eq!(c.as_slice(), b"12345678");
        drop((b, c));
        assert_eq!(pool.drain(), 2);
        let stats = pool.stats();
        assert_eq!(
            (stats.allocations, stats.returns, stats.exhausted),
            (3, 3, 1)
        );
        assert_eq!((stats.rejected, stats.lost), (0, 0));
        assert_eq!(pool.utilisation(), 0.0);
    }

    #[test]
    fn stale_repeated_and_foreign_ids_are_rejected() {
        let mut pool = SlabPool::new(0, 4, 2).unwrap();
        let t = pool.alloc(b"a").unwrap();
        let id = t.id;
        drop(t);
        assert_eq!(pool.drain(), 1);
        // The same id again (a double return), an old generation, a page
        // that does not exist: each rejected and counted, none recycled twice.
        for forged in [id, id - (1 << 32), 7] {
            pool.shared.returns.push(forged).unwrap();
            assert_eq!(pool.drain(), 0);
        }
        assert_eq!(pool.stats().rejected, 3);
        assert_eq!(pool.available(), 2);
    }

    #[test]
    fn generations_wrap_and_a_ticket_from_before_the_wrap_is_rejected() {
        let mut pool = SlabPool::new(0, 4, 1).unwrap();
        pool.generation[0] = u32::MAX - 1;
        let old = pool.alloc(b"a").unwrap(); // generation u32::MAX
        let stale_id = old.id;
        drop(old);
        assert_eq!(pool.drain(), 1);
        let wrapped = pool.alloc(b"b").unwrap(); // generation 0
        assert_eq!(wrapped.id >> 32, 0);
        pool.shared.returns.push(stale_id).unwrap();
        assert_eq!(pool.drain(), 0, "the pre-wrap id does not free the page");
        assert_eq!(pool.stats().rejected, 1);
        drop(wrapped);
        assert_eq!(pool.drain(), 1);
    }

    #[test]
    fn oversized_payloads_fall_back_to_the_heap_only_when_asked_and_counted() {
        let mut pool = SlabPool::new(0, 4, 1).unwrap();
        let big = pool.alloc_or_heap(b"too long").unwrap();
        assert!(matches!(big, Payload::Heap(_)));
        assert_eq!(big.as_slice(), b"too long");
        let small = pool.alloc_or_heap(b"ok").unwrap();
        assert!(matches!(small, Payload::Slab(_)));
        assert_eq!(pool.alloc_or_heap(b"x").unwrap_err(), SlabError::Exhausted);
        assert_eq!(pool.stats().heap_fallbacks, 1);
    }

    #[test]
    fn tickets_read_and_return_from_other_threads() {
        let mut pool = SlabPool::new(1, 16, 4).unwrap();
        let rounds = if cfg!(miri) { 20 } else { 2_000 };
        for round in 0..rounds {
            let tickets: std::vec::Vec<_> = (0..4u8)
                .map(|i| pool.alloc(&[round as u8 ^ i; 16]).unwrap())
                .collect();
            std::thread::scope(|s| {
                for (i, t) in tickets.into_iter().enumerate() {
                    s.spawn(move || assert_eq!(t.as_slice(), &[round as u8 ^ i as u8; 16]));
                }
            });
            assert_eq!(pool.drain(), 4);
        }
        assert_eq!(pool.stats().returns, 4 * rounds);
    }

    #[test]
    fn a_one_page_pool_cycles_its_page() {
        let mut pool = SlabPool::new(0, 4, 1).unwrap();
        for i in 0..10u8 {
            let t = pool.alloc(&[i]).unwrap();
            assert_eq!(pool.alloc(&[i]).unwrap_err(), SlabError::Exhausted);
            drop(t);
            assert_eq!(pool.drain(), 1);
        }
        assert_eq!(pool.stats().lost, 0);
    }
}
