//! [`SlabPool`]: a per-core pool of fixed-size pages whose payloads cross
//! threads as [`SlabTicket`]s and come home through a bounded return queue.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::fmt;

use core::cell::{Cell, UnsafeCell};
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use super::block::Block;
use super::queue::ReturnQueue;

use crate::sync::{AtomicUsize, Ordering};

/// Why [`SlabPool::alloc`] could not place a payload.
///
/// # Examples
///
/// ```
/// use zerocast::pool::{SlabError, SlabPool};
///
/// let pool = SlabPool::new(0, 8, 1).unwrap();
/// let _held = pool.alloc(b"x").unwrap();
/// assert_eq!(pool.alloc(b"y").unwrap_err(), SlabError::Exhausted);
/// assert_eq!(
///     pool.alloc(&[0; 9]).unwrap_err(),
///     SlabError::Oversized { len: 9, page_size: 8 }
/// );
/// ```
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
    /// `pages * page_size` bytes. A page is touched only through the one
    /// ticket that holds it: written through a [`LocalTicket`], read through
    /// it or through the [`SlabTicket`] it became.
    bytes: Block,
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
/// A payload that stays on the owning thread need not pay for the trip:
/// [`alloc_local`](Self::alloc_local) lends a page as a [`LocalTicket`] that
/// the owner fills in place and that goes straight back onto the free list
/// when dropped (no atomic operation, no queue), or becomes a [`SlabTicket`]
/// with [`into_send`](LocalTicket::into_send) once it must cross threads. The
/// pool is owned by one thread at a time (`Send`, not `Sync`), so every method
/// takes `&self`. Free pages are lent first in, first out, as
/// [`ObjectPool`](super::ObjectPool)'s values are.
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
/// let pool = SlabPool::new(0, 64, 2).unwrap();
/// let ticket = pool.alloc(b"hello").unwrap();
/// let reader = std::thread::spawn(move || {
///     assert_eq!(ticket.as_slice(), b"hello");
///     // dropped here: the page goes home
/// });
/// reader.join().unwrap();
/// assert_eq!(pool.drain(), 1);
/// assert_eq!(pool.alloc(&[0; 65]).unwrap_err(), SlabError::Oversized { len: 65, page_size: 64 });
///
/// // Filled in place, used here, back on the free list when dropped.
/// let mut local = pool.alloc_local(5).unwrap();
/// local.copy_from_slice(b"local");
/// assert_eq!(&local[..], b"local");
/// drop(local);
/// assert_eq!(pool.available(), 2);
/// ```
pub struct SlabPool {
    shared: Arc<Shared>,
    /// Free pages, a ring taken at `head` and refilled at `tail` (first in,
    /// first out: a take does not wait on the return just before it). Its
    /// length is `pages` rounded up to a power of two, so the counts run free
    /// and `count & mask` is the position; it never holds more than `pages`
    /// entries: `tail - head <= pages`. The counts are 64-bit on every
    /// target (they never wrap) and double as the allocation and return
    /// counters: `head` pages were taken, `tail - pages` came back (two
    /// fewer increments per page lent than separate counters).
    free: Box<[Cell<u32>]>,
    head: Cell<u64>,
    tail: Cell<u64>,
    /// Each page's generation, odd while the page is out on a [`SlabTicket`]:
    /// a ticket's id is valid for its page's current generation while that
    /// is odd. A page lent as a [`LocalTicket`] keeps its even generation: it
    /// never leaves the owner, so no id names it until
    /// [`into_send`](LocalTicket::into_send) makes one.
    generation: Box<[Cell<u32>]>,
    counters: Counters,
}

/// The owner's counters (see [`SlabStats`]).
#[derive(Default)]
struct Counters {
    exhausted: Cell<u64>,
    rejected: Cell<u64>,
    heap_fallbacks: Cell<u64>,
}

/// Adds one to a counter.
fn bump(counter: &Cell<u64>) {
    counter.set(counter.get() + 1);
}

/// Counters of a [`SlabPool`].
///
/// # Examples
///
/// ```
/// let pool = zerocast::pool::SlabPool::new(0, 64, 2).unwrap();
/// let stats = pool.stats();
/// assert_eq!((stats.allocations, stats.returns, stats.exhausted), (0, 0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlabStats {
    /// Payloads placed in a page.
    pub allocations: u64,
    /// Pages that came home (drained, or a [`LocalTicket`] dropped) and were
    /// recycled.
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
    /// `pages` pages of `page_size` bytes for core `core_id`, allocated and
    /// committed now (every 4 KiB touched, so a page's first use takes no
    /// page fault).
    ///
    /// # Errors
    ///
    /// [`SlabError::BadSize`] when `pages` is zero or above `u32::MAX`, or the
    /// total size overflows.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::pool::{SlabError, SlabPool};
    ///
    /// let pool = SlabPool::new(0, 4096, 16)?;
    /// assert_eq!(pool.available(), 16);
    /// assert_eq!(SlabPool::new(0, 4096, 0).unwrap_err(), SlabError::BadSize);
    /// # Ok::<(), SlabError>(())
    /// ```
    pub fn new(core_id: u16, page_size: usize, pages: usize) -> Result<Self, SlabError> {
        if pages == 0 || pages > u32::MAX as usize {
            return Err(SlabError::BadSize);
        }
        let ring = pages
            .checked_next_power_of_two()
            .ok_or(SlabError::BadSize)?;
        let total = page_size.checked_mul(pages).ok_or(SlabError::BadSize)?;
        if total > isize::MAX as usize {
            return Err(SlabError::BadSize);
        }
        Ok(Self {
            shared: Arc::new(Shared {
                core_id,
                page_size,
                bytes: Block::zeroed(total),
                returns: ReturnQueue::new(pages),
                lost: AtomicUsize::new(0),
            }),
            // Handed out in page order at first.
            free: (0..ring).map(|i| Cell::new(i as u32)).collect(),
            head: Cell::new(0),
            tail: Cell::new(pages as u64),
            generation: (0..pages).map(|_| Cell::new(0)).collect(),
            counters: Counters::default(),
        })
    }

    /// Lends a free page holding `len` bytes, to be filled in place and used on
    /// this thread; see [`LocalTicket`]. The bytes are whatever the page held
    /// last (zeroes at first): write before you read.
    ///
    /// # Errors
    ///
    /// [`SlabError::Oversized`] when `len` is larger than a page,
    /// [`SlabError::Exhausted`] when every page is in use.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 1024, 4).unwrap();
    /// let mut page = pool.alloc_local(3).unwrap();
    /// page.copy_from_slice(b"abc");
    /// let ticket = page.into_send(); // now it may cross threads
    /// assert_eq!(ticket.as_slice(), b"abc");
    /// ```
    pub fn alloc_local(&self, len: usize) -> Result<LocalTicket<'_>, SlabError> {
        let page_size = self.shared.page_size;
        if len > page_size {
            return Err(SlabError::Oversized { len, page_size });
        }
        let head = self.head.get();
        if head == self.tail.get() {
            bump(&self.counters.exhausted);
            return Err(SlabError::Exhausted);
        }
        self.head.set(head + 1);
        // SAFETY: `head & mask` is `< free.len()`.
        let page = unsafe { self.free.get_unchecked(self.position(head)) }.get();
        debug_assert!(
            self.generation[page as usize].get() % 2 == 0,
            "a free page's generation is even"
        );
        // SAFETY: `page < pages` and `len <= page_size`, so the page's first
        // `len` bytes lie inside the `pages * page_size` bytes of the pool.
        let data = unsafe {
            NonNull::new_unchecked(UnsafeCell::raw_get(
                self.shared.bytes.as_ptr().add(page as usize * page_size),
            ))
        };
        Ok(LocalTicket {
            pool: self,
            page,
            data,
            len,
        })
    }

    /// Copies `payload` into a free page.
    ///
    /// # Errors
    ///
    /// [`SlabError::Oversized`] when it is larger than a page (use
    /// [`alloc_or_heap`](Self::alloc_or_heap) for an explicit, counted
    /// fallback), [`SlabError::Exhausted`] when every page is in use.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::pool::{SlabError, SlabPool};
    ///
    /// let pool = SlabPool::new(0, 8, 1)?;
    /// let ticket = pool.alloc(b"payload")?;
    /// let reader = std::thread::spawn(move || ticket.as_slice().to_vec()); // read on another thread
    /// assert_eq!(reader.join().unwrap(), b"payload");
    /// assert_eq!(
    ///     pool.alloc(b"nine byte").unwrap_err(),
    ///     SlabError::Oversized { len: 9, page_size: 8 }
    /// );
    /// # Ok::<(), SlabError>(())
    /// ```
    pub fn alloc(&self, payload: &[u8]) -> Result<SlabTicket, SlabError> {
        let mut page = self.alloc_local(payload.len())?;
        page.copy_from_slice(payload);
        Ok(page.into_send())
    }

    /// Recycles every page sent home since the last call; returns how many.
    /// Never allocates.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 64, 2).unwrap();
    /// let ticket = pool.alloc(b"x").unwrap();
    /// std::thread::spawn(move || drop(ticket)).join().unwrap(); // sent home
    /// assert_eq!(pool.available(), 1);
    /// assert_eq!(pool.drain(), 1);
    /// assert_eq!(pool.available(), 2);
    /// ```
    pub fn drain(&self) -> usize {
        let mut recycled = 0;
        // SAFETY: the pool is not `Sync` and nothing below runs user code, so
        // this is the queue's only popper.
        while let Some(id) = unsafe { self.shared.returns.pop() } {
            let (page, generation) = ((id & 0xffff_ffff) as usize, (id >> 32) as u32);
            match self.generation.get(page) {
                // An odd generation, the page's own: it is out, on the ticket
                // with this id, and now home; no id names it any more.
                Some(current) if generation % 2 == 1 && current.get() == generation => {
                    current.set(generation.wrapping_add(1));
                    self.recycle(page as u32);
                    recycled += 1;
                }
                _ => bump(&self.counters.rejected),
            }
        }
        recycled
    }

    /// Puts `page` (`< pages`, out until now, its generation even) back on
    /// the free list.
    fn recycle(&self, page: u32) {
        let tail = self.tail.get();
        debug_assert!(self.available() < self.pages());
        // SAFETY: `tail & mask` is `< free.len()`; the page was out, so the
        // ring holds fewer than `pages` entries and this one overwrites none.
        unsafe { self.free.get_unchecked(self.position(tail)) }.set(page);
        self.tail.set(tail + 1);
    }

    /// The ring position of a count: `count & (free.len() - 1)` (the length
    /// is a power of two).
    #[inline]
    fn position(&self, count: u64) -> usize {
        count as usize & (self.free.len() - 1)
    }

    /// How many pages the pool has.
    fn pages(&self) -> usize {
        self.generation.len()
    }

    /// The core this pool belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(3, 64, 1).unwrap();
    /// assert_eq!(pool.core_id(), 3);
    /// ```
    pub fn core_id(&self) -> u16 {
        self.shared.core_id
    }

    /// The page size in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 64, 1).unwrap();
    /// assert_eq!(pool.page_size(), 64);
    /// ```
    pub fn page_size(&self) -> usize {
        self.shared.page_size
    }

    /// Free pages now (returned pages count once drained).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 64, 2).unwrap();
    /// let _page = pool.alloc_local(8).unwrap();
    /// assert_eq!(pool.available(), 1);
    /// ```
    pub fn available(&self) -> usize {
        (self.tail.get() - self.head.get()) as usize
    }

    /// Pages out on tickets, or returned and not yet drained.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 64, 2).unwrap();
    /// let page = pool.alloc_local(8).unwrap();
    /// assert_eq!(pool.in_use(), 1);
    /// drop(page); // a local ticket comes straight back
    /// assert_eq!(pool.in_use(), 0);
    /// ```
    pub fn in_use(&self) -> usize {
        self.pages() - self.available()
    }

    /// `in_use / pages`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 64, 4).unwrap();
    /// let _page = pool.alloc_local(8).unwrap();
    /// assert_eq!(pool.utilisation(), 0.25);
    /// ```
    pub fn utilisation(&self) -> f64 {
        self.in_use() as f64 / self.pages() as f64
    }

    /// The counters.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 64, 1).unwrap();
    /// let ticket = pool.alloc(b"x").unwrap();
    /// assert!(pool.alloc(b"y").is_err());
    /// drop(ticket);
    /// pool.drain();
    /// let stats = pool.stats();
    /// assert_eq!((stats.allocations, stats.exhausted, stats.returns), (1, 1, 1));
    /// ```
    pub fn stats(&self) -> SlabStats {
        let c = &self.counters;
        SlabStats {
            allocations: self.head.get(),
            returns: self.tail.get() - self.pages() as u64,
            exhausted: c.exhausted.get(),
            rejected: c.rejected.get(),
            lost: self.shared.lost.load(Ordering::Relaxed) as u64,
            heap_fallbacks: c.heap_fallbacks.get(),
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

/// A page of a [`SlabPool`] lent to its owning thread by
/// [`alloc_local`](SlabPool::alloc_local): derefs to the page's `len` bytes
/// (read and write), and goes straight back onto the pool's free list when
/// dropped — no atomic operation, no queue. It borrows the pool, so it cannot
/// outlive it, and cannot leave the thread (`!Send`); [`into_send`](Self::into_send)
/// turns it into a [`SlabTicket`] that can.
///
/// # Examples
///
/// ```
/// let pool = zerocast::pool::SlabPool::new(0, 256, 4).unwrap();
/// let mut page = pool.alloc_local(5).unwrap();
/// page.copy_from_slice(b"hello"); // filled in place
/// assert_eq!(&page[..], b"hello");
/// drop(page); // straight back to the free list
/// assert_eq!(pool.available(), 4);
/// ```
pub struct LocalTicket<'a> {
    pool: &'a SlabPool,
    page: u32,
    /// The page's first byte (inside the pool's bytes, which outlive `'a`).
    data: NonNull<u8>,
    len: usize,
}

impl LocalTicket<'_> {
    /// The page, now a [`SlabTicket`]: `Send`, readable on any thread, sent
    /// home through the return queue when dropped (and recycled by
    /// [`SlabPool::drain`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 64, 1).unwrap();
    /// let mut page = pool.alloc_local(2).unwrap();
    /// page.copy_from_slice(b"ok");
    /// let ticket = page.into_send();
    /// assert_eq!(std::thread::spawn(move || ticket.as_slice() == b"ok").join().unwrap(), true);
    /// ```
    pub fn into_send(self) -> SlabTicket {
        let this = core::mem::ManuallyDrop::new(self);
        let generation = &this.pool.generation[this.page as usize];
        // Odd: out on a ticket that may cross threads, named by this id.
        generation.set(generation.get().wrapping_add(1));
        let generation = generation.get();
        SlabTicket {
            shared: this.pool.shared.clone(),
            id: u64::from(generation) << 32 | u64::from(this.page),
            len: this.len,
        }
    }
}

impl Deref for LocalTicket<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: `data` is the page's first byte and `len <= page_size`, all
        // inside the pool's bytes, kept alive by the borrowed pool. The page
        // is out on this ticket alone (taken off the free list, not yet given
        // back), and only a ticket touches a page that is out; the bytes are
        // initialised (zeroed at `new`).
        unsafe { core::slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}

impl DerefMut for LocalTicket<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique.
        unsafe { core::slice::from_raw_parts_mut(self.data.as_ptr(), self.len) }
    }
}

impl Drop for LocalTicket<'_> {
    fn drop(&mut self) {
        self.pool.recycle(self.page);
    }
}

impl fmt::Debug for LocalTicket<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalTicket")
            .field("page", &self.page)
            .field("len", &self.len)
            .finish()
    }
}

/// A payload in a [`SlabPool`] page: reads that page, on any thread, and sends
/// it home when dropped. `Send`, not `Clone`: one holder per page.
///
/// # Examples
///
/// ```
/// let pool = zerocast::pool::SlabPool::new(0, 256, 4).unwrap();
/// let ticket = pool.alloc(b"for another core").unwrap();
/// let len = std::thread::spawn(move || ticket.len()).join().unwrap(); // dropped there: sent home
/// assert_eq!(len, 16);
/// assert_eq!(pool.drain(), 1);
/// ```
pub struct SlabTicket {
    shared: Arc<Shared>,
    /// `generation << 32 | page`.
    id: u64,
    len: usize,
}

impl SlabTicket {
    /// The payload.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 64, 1).unwrap();
    /// assert_eq!(pool.alloc(b"abc").unwrap().as_slice(), b"abc");
    /// ```
    pub fn as_slice(&self) -> &[u8] {
        let start = self.id as u32 as usize * self.shared.page_size;
        let page = UnsafeCell::raw_get(self.shared.bytes[start..start + self.len].as_ptr());
        // SAFETY: the page is out on this ticket alone: it is written only
        // through a `LocalTicket` that held it before this ticket (moved here
        // with the ticket), and again only after this ticket's drop sent it
        // home (release/acquire through the queue), so no write races these
        // reads. `UnsafeCell<u8>` has the layout of `u8`.
        unsafe { core::slice::from_raw_parts(page, self.len) }
    }

    /// The payload's length.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 64, 1).unwrap();
    /// assert_eq!(pool.alloc(b"abc").unwrap().len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the payload is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 64, 1).unwrap();
    /// assert!(pool.alloc(b"").unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The core whose pool holds the page.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(5, 64, 1).unwrap();
    /// assert_eq!(pool.alloc(b"x").unwrap().core_id(), 5);
    /// ```
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
///
/// # Examples
///
/// ```
/// use zerocast::pool::{Payload, SlabPool};
///
/// let pool = SlabPool::new(0, 8, 1).unwrap();
/// assert!(matches!(pool.alloc_or_heap(b"small").unwrap(), Payload::Slab(_)));
/// assert!(matches!(pool.alloc_or_heap(b"larger than a page").unwrap(), Payload::Heap(_)));
/// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SlabPool::new(0, 4, 1).unwrap();
    /// assert_eq!(pool.alloc_or_heap(b"fits").unwrap().as_slice(), b"fits");
    /// assert_eq!(pool.alloc_or_heap(b"too long").unwrap().as_slice(), b"too long");
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::pool::{Payload, SlabPool};
    ///
    /// let pool = SlabPool::new(0, 4, 1).unwrap();
    /// let big = pool.alloc_or_heap(b"too long for a page").unwrap();
    /// assert!(matches!(big, Payload::Heap(_)));
    /// assert_eq!(pool.stats().heap_fallbacks, 1);
    /// ```
    pub fn alloc_or_heap(&self, payload: &[u8]) -> Result<Payload, SlabError> {
        match self.alloc(payload) {
            Ok(t) => Ok(Payload::Slab(t)),
            Err(SlabError::Oversized { .. }) => {
                bump(&self.counters.heap_fallbacks);
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
        let pool = SlabPool::new(3, 8, 2).unwrap();
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
        let pool = SlabPool::new(0, 4, 2).unwrap();
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
    fn local_loans_leave_the_generation_alone_and_stale_ids_stay_rejected() {
        let pool = SlabPool::new(0, 4, 1).unwrap();
        let sent = pool.alloc(b"a").unwrap();
        let stale = sent.id;
        assert_eq!(stale >> 32, 1, "out on a ticket: odd");
        drop(sent);
        assert_eq!(pool.drain(), 1);
        for _ in 0..3 {
            drop(pool.alloc_local(4).unwrap());
            assert_eq!(pool.generation[0].get(), 2, "a local loan names no id");
        }
        pool.shared.returns.push(stale).unwrap();
        assert_eq!(
            pool.drain(),
            0,
            "the old ticket's id does not free the page"
        );
        let resent = pool.alloc_local(1).unwrap().into_send();
        assert_eq!(resent.id >> 32, 3, "a fresh odd generation");
        let id = resent.id;
        drop(resent);
        assert_eq!(pool.drain(), 1);
        pool.shared.returns.push(id).unwrap();
        assert_eq!(pool.drain(), 0, "a repeated return is rejected");
        assert_eq!((pool.stats().rejected, pool.available()), (2, 1));
    }

    #[test]
    fn generations_wrap_and_a_ticket_from_before_the_wrap_is_rejected() {
        let pool = SlabPool::new(0, 4, 1).unwrap();
        pool.generation[0].set(u32::MAX - 1);
        let old = pool.alloc(b"a").unwrap(); // generation u32::MAX (odd: out)
        let stale_id = old.id;
        drop(old);
        assert_eq!(pool.drain(), 1); // generation 0: free
        let wrapped = pool.alloc(b"b").unwrap(); // generation 1
        assert_eq!(wrapped.id >> 32, 1);
        pool.shared.returns.push(stale_id).unwrap();
        assert_eq!(pool.drain(), 0, "the pre-wrap id does not free the page");
        assert_eq!(pool.stats().rejected, 1);
        drop(wrapped);
        assert_eq!(pool.drain(), 1);
    }

    #[test]
    fn oversized_payloads_fall_back_to_the_heap_only_when_asked_and_counted() {
        let pool = SlabPool::new(0, 4, 1).unwrap();
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
        let pool = SlabPool::new(1, 16, 4).unwrap();
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
    fn local_tickets_go_straight_home_and_convert_to_send_tickets() {
        let pool = SlabPool::new(2, 8, 2).unwrap();
        let mut a = pool.alloc_local(8).unwrap();
        a.copy_from_slice(b"abcdefgh");
        let b = pool.alloc_local(0).unwrap();
        assert_eq!(pool.alloc_local(1).unwrap_err(), SlabError::Exhausted);
        assert!(matches!(
            pool.alloc_local(9),
            Err(SlabError::Oversized { len: 9, .. })
        ));
        assert!(b.is_empty());
        drop(b);
        assert_eq!(pool.available(), 1, "back without a drain");
        let ticket = a.into_send();
        assert_eq!((ticket.as_slice(), ticket.core_id()), (&b"abcdefgh"[..], 2));
        let id = ticket.id;
        assert_eq!(pool.available(), 1, "the converted page stays out");
        drop(ticket);
        assert_eq!(pool.drain(), 1);
        // Pages come back first in, first out: `b`'s page, then `a`'s, lent
        // again locally; the old ticket's id is now stale.
        let other = pool.alloc_local(8).unwrap();
        let again = pool.alloc_local(8).unwrap();
        assert_eq!(&again[..], b"abcdefgh", "the page's previous bytes");
        pool.shared.returns.push(id).unwrap();
        assert_eq!(pool.drain(), 0);
        drop((other, again));
        let stats = pool.stats();
        assert_eq!(
            (stats.allocations, stats.returns, stats.rejected),
            (4, 4, 1)
        );
        assert_eq!(pool.available(), 2);
    }

    #[test]
    fn a_one_page_pool_cycles_its_page() {
        let pool = SlabPool::new(0, 4, 1).unwrap();
        for i in 0..10u8 {
            let t = pool.alloc(&[i]).unwrap();
            assert_eq!(pool.alloc(&[i]).unwrap_err(), SlabError::Exhausted);
            drop(t);
            assert_eq!(pool.drain(), 1);
        }
        assert_eq!(pool.stats().lost, 0);
    }
}
