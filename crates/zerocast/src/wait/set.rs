//! [`WakerSet`]: one [`WaitCell`] per subscriber, woken together.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::ptr;
use core::task::Waker;

use super::WaitCell;
use crate::sync::{AtomicPtr, AtomicUsize, CachePadded, Ordering};

/// Subscriber ids per chunk (and per word of a chunk's masks).
const WORD: usize = usize::BITS as usize;

/// Up to [`WORD`] slots with their masks; chunk `k` holds ids
/// `k * WORD .. k * WORD + cells.len()`.
struct Chunk {
    /// Bit `i`: subscriber `k * WORD + i` may be waiting.
    registered: CachePadded<AtomicUsize>,
    /// Bit `i`: id `k * WORD + i` belongs to a subscriber.
    claimed: AtomicUsize,
    cells: Box<[CachePadded<Member>]>,
    /// The next chunk, appended by [`WakerSet::reserve`] and freed with the set.
    next: AtomicPtr<Chunk>,
}

/// One subscriber's slot, on a cache line of its own: its waker, and a word
/// it publishes for its notifiers to read (see [`WakerSet::word`]).
struct Member {
    cell: WaitCell,
    word: AtomicUsize,
}

impl Chunk {
    /// A chunk of `len` slots (at most [`WORD`]), the first `claimed` of them taken.
    fn new(len: usize, claimed: usize) -> Self {
        let cells: Vec<_> = (0..len)
            .map(|_| {
                CachePadded::new(Member {
                    cell: WaitCell::new(),
                    word: AtomicUsize::new(0),
                })
            })
            .collect();
        Self {
            registered: CachePadded::new(AtomicUsize::new(0)),
            claimed: AtomicUsize::new(low_bits(claimed)),
            cells: cells.into_boxed_slice(),
            next: AtomicPtr::new(ptr::null_mut()),
        }
    }

    fn next(&self) -> Option<&Chunk> {
        // SAFETY: a non-null `next` points at a chunk that lives as long as the
        // set (chunks are freed only in `Drop`), published with Release.
        unsafe { self.next.load(Ordering::Acquire).as_ref() }
    }
}

/// A mask of the lowest `n` bits (`n <= WORD`).
fn low_bits(n: usize) -> usize {
    if n >= WORD {
        usize::MAX
    } else {
        (1 << n) - 1
    }
}

/// A waker slot per subscriber id, reserved up front, so registering on
/// `Pending` never allocates; [`wake_all`](Self::wake_all) wakes each
/// registered subscriber at most once.
///
/// A set made with [`new(n)`](Self::new) holds ids `0..n`. A channel whose
/// subscribers come and go takes ids with [`reserve`](Self::reserve) (which
/// allocates only when every slot is taken, a chunk of 64 at a time) and gives
/// them back with [`release`](Self::release). Slots live in chunks of 64 ids
/// with a bitmask of registered ids each, so `wake_all` skips idle subscribers:
/// with nobody waiting it costs one read-modify-write per chunk, and
/// registering id `i` walks `i / 64` chunk links (none for the first 64).
///
/// # Examples
///
/// ```
/// use zerocast::wait::WakerSet;
///
/// let set = WakerSet::new(4);
/// set.register(2, std::task::Waker::noop());
/// assert!(set.is_waiting(2));
/// set.wake_all();
/// assert!(!set.is_waiting(2));
///
/// let late = set.reserve(); // a subscriber that joins later
/// assert_eq!(late, 64); // ids 0..4 are held; the first chunk is full
/// set.release(late);
/// ```
pub struct WakerSet {
    first: Chunk,
}

impl WakerSet {
    /// Slots for subscribers `0..subscribers`, allocated and reserved now.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = zerocast::wait::WakerSet::new(3); // ids 0, 1 and 2
    /// set.register(2, std::task::Waker::noop());
    /// assert!(set.is_waiting(2));
    /// ```
    pub fn new(subscribers: usize) -> Self {
        let first = Chunk::new(subscribers.min(WORD), subscribers);
        let mut link = &first.next;
        let mut remaining = subscribers.saturating_sub(WORD);
        while remaining > 0 {
            let len = remaining.min(WORD);
            let chunk = Box::into_raw(Box::new(Chunk::new(len, len)));
            link.store(chunk, Ordering::Relaxed);
            // SAFETY: just allocated; owned by the set from here on.
            link = unsafe { &(*chunk).next };
            remaining -= len;
        }
        Self { first }
    }

    /// An empty set with room for `free` subscribers (at most 64) in its
    /// first chunk, for ids taken later with [`reserve`](Self::reserve): the
    /// set of a channel whose subscribers come and go. `wake_all` costs one
    /// read-modify-write while they all fit there.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::wait::WakerSet;
    ///
    /// let set = WakerSet::with_room(2);
    /// assert_eq!((set.reserve(), set.reserve()), (0, 1)); // in the first chunk
    /// assert_eq!(set.reserve(), 64); // the first chunk is full: a new one
    /// ```
    pub fn with_room(free: usize) -> Self {
        Self {
            first: Chunk::new(free.min(WORD), 0),
        }
    }

    /// Subscriber `id`'s word: a value of the subscriber's own (0 until it
    /// stores one), on its slot's cache line, that its notifiers read with
    /// [`for_each_word`](Self::for_each_word) — `broadcast` keeps there the
    /// position a receiver is reading. The subscriber stores 0 before its id
    /// is released.
    pub(crate) fn word(&self, id: usize) -> &AtomicUsize {
        &self.chunk(id).cells[id % WORD].word
    }

    /// Calls `f` with the word of every slot, reserved or not (a free slot's
    /// word is 0).
    pub(crate) fn for_each_word(&self, mut f: impl FnMut(&AtomicUsize)) {
        for chunk in self.chunks() {
            for member in chunk.cells.iter() {
                f(&member.word);
            }
        }
    }

    fn chunks(&self) -> impl Iterator<Item = &Chunk> {
        core::iter::successors(Some(&self.first), |c| c.next())
    }

    /// The chunk holding id `id`.
    fn chunk(&self, id: usize) -> &Chunk {
        self.chunks()
            .nth(id / WORD)
            .expect("subscriber id out of range")
    }

    /// Takes a free id for a new subscriber, allocating a chunk of 64 slots
    /// only when every slot is taken. Give it back with
    /// [`release`](Self::release).
    ///
    /// # Examples
    ///
    /// ```
    /// let set = zerocast::wait::WakerSet::with_room(1);
    /// let id = set.reserve();
    /// set.register(id, std::task::Waker::noop());
    /// assert!(set.is_waiting(id));
    /// set.release(id);
    /// ```
    pub fn reserve(&self) -> usize {
        let mut base = 0;
        let mut chunk = &self.first;
        loop {
            let full = low_bits(chunk.cells.len());
            let mut claimed = chunk.claimed.load(Ordering::Relaxed);
            while claimed != full {
                // Bits above the chunk's length are never set, so the lowest
                // clear bit is a free slot.
                let bit = (!claimed).trailing_zeros() as usize;
                match chunk.claimed.compare_exchange_weak(
                    claimed,
                    claimed | 1 << bit,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return base + bit,
                    Err(actual) => claimed = actual,
                }
            }
            if chunk.next.load(Ordering::Acquire).is_null() {
                let fresh = Box::into_raw(Box::new(Chunk::new(WORD, 0)));
                if chunk
                    .next
                    .compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
                {
                    // SAFETY: another thread appended first; ours was never shared.
                    drop(unsafe { Box::from_raw(fresh) });
                }
            }
            chunk = chunk.next().expect("a chunk was just appended");
            base += WORD;
        }
    }

    /// Gives id `id` back for a later [`reserve`](Self::reserve); the waker
    /// stored there is dropped, after a (spurious) wake-up if it was still
    /// registered.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = zerocast::wait::WakerSet::with_room(1);
    /// let id = set.reserve();
    /// set.release(id);
    /// assert_eq!(set.reserve(), id); // the id is free again
    /// ```
    pub fn release(&self, id: usize) {
        let chunk = self.chunk(id);
        let bit = 1 << (id % WORD);
        let registered = chunk.registered.fetch_and(!bit, Ordering::AcqRel) & bit != 0;
        let waker = chunk.cells[id % WORD].cell.take();
        chunk.claimed.fetch_and(!bit, Ordering::Release);
        if let (true, Some(waker)) = (registered, waker) {
            waker.wake();
        }
    }

    /// Registers `waker` for subscriber `id`; the caller then checks its
    /// condition again before returning `Pending`.
    ///
    /// # Panics
    ///
    /// If no slot `id` exists (a bug in the channel using it).
    ///
    /// # Examples
    ///
    /// ```
    /// let set = zerocast::wait::WakerSet::new(2);
    /// set.register(1, std::task::Waker::noop());
    /// assert!(set.is_waiting(1));
    /// assert!(!set.is_waiting(0));
    /// ```
    pub fn register(&self, id: usize, waker: &Waker) {
        let chunk = self.chunk(id);
        chunk.cells[id % WORD].cell.register(waker);
        // An RMW on the same word `wake_all` swaps: orders this registration
        // against every notification.
        chunk
            .registered
            .fetch_or(1 << (id % WORD), Ordering::AcqRel);
    }

    /// [`register`](Self::register) for the one handle that owns id `id`: a
    /// task that waits again with the same waker costs one read-modify-write
    /// (the mask's), and nothing is cloned.
    ///
    /// # Safety
    ///
    /// No other registration for `id` may run at the same time (the id
    /// belongs to one handle, which registers through `&mut self`).
    #[inline]
    pub(crate) unsafe fn register_owned(&self, id: usize, waker: &Waker) {
        let chunk = self.chunk(id);
        let cell = &chunk.cells[id % WORD].cell;
        // SAFETY: the caller's promise: no other registrant writes the slot.
        if !unsafe { cell.holds(waker) } {
            cell.register(waker);
        }
        chunk
            .registered
            .fetch_or(1 << (id % WORD), Ordering::AcqRel);
        if cell.is_waking() {
            // A notifier holds the slot to wake our stored waker; that
            // wake-up may be for a registration from before this poll, and a
            // notifier that backed off meanwhile counts on it: wake ourselves
            // (as `WaitCell::register` does when it meets WAKING).
            crate::sync::spin_hint();
            waker.wake_by_ref();
        }
    }

    /// [`register_owned`](Self::register_owned), then the heavy half of an
    /// asymmetric fence: for a subscriber whose notifier uses
    /// [`wake_all_fenced`](Self::wake_all_fenced). Check again after this.
    ///
    /// # Safety
    ///
    /// As [`register_owned`](Self::register_owned).
    #[cfg(target_has_atomic = "64")] // multicast's
    pub(crate) unsafe fn register_fenced(&self, id: usize, waker: &Waker) {
        // SAFETY: the caller's promise.
        unsafe { self.register_owned(id, waker) };
        super::fence::heavy();
    }

    /// [`wake_all`](Self::wake_all) for a notifier that put the light half
    /// of an asymmetric fence between its store and this call, and whose
    /// subscribers register with [`register_fenced`](Self::register_fenced):
    /// a plain load of each chunk's mask, and its swap only when a
    /// subscriber waits.
    #[cfg(target_has_atomic = "64")] // multicast's
    #[inline]
    pub(crate) fn wake_all_fenced(&self) {
        for chunk in self.chunks() {
            if chunk.registered.load(Ordering::Relaxed) != 0 {
                Self::wake_chunk_out_of_line(chunk);
            }
        }
    }

    /// [`wake_chunk`](Self::wake_chunk), kept out of the caller: a publisher
    /// inlines its check for waiters, not the wake-ups (with them inlined,
    /// `multicast`'s `try_publish` was too large to inline, and its position
    /// went through memory on every message).
    #[cfg(target_has_atomic = "64")] // multicast's
    #[cold]
    #[inline(never)]
    fn wake_chunk_out_of_line(chunk: &Chunk) {
        Self::wake_chunk(chunk);
    }

    /// Wakes every registered subscriber once and clears their registrations.
    ///
    /// Inlined: the first chunk's swap and the branch on what it held; the
    /// wake-ups and any further chunks are out of line.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = zerocast::wait::WakerSet::new(3);
    /// set.register(0, std::task::Waker::noop());
    /// set.register(2, std::task::Waker::noop());
    /// set.wake_all();
    /// assert!(!set.is_waiting(0) && !set.is_waiting(2));
    /// ```
    #[inline]
    pub fn wake_all(&self) {
        let bits = self.first.registered.swap(0, Ordering::AcqRel);
        if bits != 0 {
            Self::wake_bits(&self.first, bits);
        }
        if let Some(rest) = self.first.next() {
            Self::wake_rest(rest);
        }
    }

    /// [`wake_all`](Self::wake_all) from the second chunk on.
    #[cold]
    #[inline(never)]
    fn wake_rest(second: &Chunk) {
        for chunk in core::iter::successors(Some(second), |c| c.next()) {
            Self::wake_chunk(chunk);
        }
    }

    /// Wakes every subscriber of `chunk` whose bit is set, clearing them.
    #[inline]
    fn wake_chunk(chunk: &Chunk) {
        let bits = chunk.registered.swap(0, Ordering::AcqRel);
        if bits != 0 {
            Self::wake_bits(chunk, bits);
        }
    }

    /// Wakes the subscribers of `chunk` whose bits are in `bits` (just
    /// swapped out of its mask). Out of line: a sender whose receivers are
    /// busy reading (the common case under load) skips it.
    #[inline(never)]
    fn wake_bits(chunk: &Chunk, mut bits: usize) {
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            // The bit was set after the waiter stored its waker: no need for
            // `wake`'s check of the cell's state.
            chunk.cells[bit].cell.wake_registered();
        }
    }

    /// Wakes subscriber `id` if it is registered, clearing its registration.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = zerocast::wait::WakerSet::new(2);
    /// set.register(0, std::task::Waker::noop());
    /// set.register(1, std::task::Waker::noop());
    /// set.wake(1);
    /// assert!(set.is_waiting(0));
    /// assert!(!set.is_waiting(1));
    /// ```
    pub fn wake(&self, id: usize) {
        let chunk = self.chunk(id);
        let bit = 1 << (id % WORD);
        // The mask's RMW orders this against the registration, as in `wake_all`.
        if chunk.registered.fetch_and(!bit, Ordering::AcqRel) & bit != 0 {
            chunk.cells[id % WORD].cell.wake_registered();
        }
    }

    /// Whether subscriber `id` is registered and not woken yet (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let set = zerocast::wait::WakerSet::new(1);
    /// assert!(!set.is_waiting(0));
    /// set.register(0, std::task::Waker::noop());
    /// assert!(set.is_waiting(0));
    /// ```
    pub fn is_waiting(&self, id: usize) -> bool {
        self.chunk(id).registered.load(Ordering::Acquire) & 1 << (id % WORD) != 0
    }
}

impl Drop for WakerSet {
    fn drop(&mut self) {
        let mut next = self.first.next.load(Ordering::Relaxed);
        while !next.is_null() {
            // SAFETY: every chunk after the first was made by `Box::into_raw`
            // and is owned by the set alone; `&mut self` means no one else
            // reads it now.
            let chunk = unsafe { Box::from_raw(next) };
            next = chunk.next.load(Ordering::Relaxed);
        }
    }
}

// SAFETY: the chunks are owned by the set (raw pointers only for the lock-free
// append); everything in them is atomics and `WaitCell`s, which are Send+Sync.
unsafe impl Send for WakerSet {}
// SAFETY: as above; shared access is through atomics only.
unsafe impl Sync for WakerSet {}

impl fmt::Debug for WakerSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WakerSet")
            .field(
                "slots",
                &self.chunks().map(|c| c.cells.len()).sum::<usize>(),
            )
            .finish()
    }
}
