//! [`WakerSet`]: one [`WaitCell`] per subscriber, woken together.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::task::Waker;

use super::WaitCell;
use crate::sync::{AtomicUsize, CachePadded, Ordering};

/// Subscriber ids per word of the registration mask.
const WORD: usize = usize::BITS as usize;

/// A waker slot per subscriber id, reserved up front, so registering on
/// `Pending` is O(1) and never allocates; [`wake_all`](Self::wake_all) wakes
/// each registered subscriber at most once.
///
/// A bitmask of registered ids lets `wake_all` skip idle subscribers: with
/// nobody waiting it costs one read-modify-write per word of ids (64 on 64-bit
/// targets).
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
/// ```
pub struct WakerSet {
    cells: Box<[CachePadded<WaitCell>]>,
    /// Bit `i % WORD` of word `i / WORD`: subscriber `i` may be waiting.
    registered: Box<[CachePadded<AtomicUsize>]>,
}

impl WakerSet {
    /// Slots for subscribers `0..subscribers`, allocated now.
    pub fn new(subscribers: usize) -> Self {
        let cells: Vec<_> = (0..subscribers)
            .map(|_| CachePadded::new(WaitCell::new()))
            .collect();
        let registered: Vec<_> = (0..subscribers.div_ceil(WORD))
            .map(|_| CachePadded::new(AtomicUsize::new(0)))
            .collect();
        Self {
            cells: cells.into_boxed_slice(),
            registered: registered.into_boxed_slice(),
        }
    }

    /// How many subscriber slots there are.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether there are no slots.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Registers `waker` for subscriber `id`; the caller then checks its
    /// condition again before returning `Pending`.
    ///
    /// # Panics
    ///
    /// If `id` is not below [`len`](Self::len) (a bug in the channel using it).
    pub fn register(&self, id: usize, waker: &Waker) {
        self.cells[id].register(waker);
        // An RMW on the same word `wake_all` swaps: orders this registration
        // against every notification.
        self.registered[id / WORD].fetch_or(1 << (id % WORD), Ordering::AcqRel);
    }

    /// Wakes every registered subscriber once and clears their registrations.
    #[inline]
    pub fn wake_all(&self) {
        for (w, word) in self.registered.iter().enumerate() {
            let mut bits = word.swap(0, Ordering::AcqRel);
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.cells[w * WORD + bit].wake();
            }
        }
    }

    /// Wakes subscriber `id` if it is registered.
    pub fn wake(&self, id: usize) {
        self.cells[id].wake();
    }

    /// Whether subscriber `id` has a waker stored (a snapshot).
    pub fn is_waiting(&self, id: usize) -> bool {
        self.cells[id].is_waiting()
    }
}

impl fmt::Debug for WakerSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WakerSet")
            .field("subscribers", &self.cells.len())
            .finish()
    }
}
