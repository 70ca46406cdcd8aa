//! The state both SPSC handles share, and the position arithmetic.
//!
//! Positions are free-running counts (wrapping): `head == tail` is empty, a
//! distance of `capacity` is full, for any capacity. Each handle steps its
//! own [`Cursor`] — its count and the index of the slot that count maps to —
//! so the per-message path neither divides nor maps counts to slots; the
//! shared core holds only the counts. The producer alone writes `tail`, the
//! consumer alone writes `head`; each publishes with `Release` and reads the
//! other's with `Acquire`, which hands the slot contents over. (Lamport,
//! "Specifying Concurrent Program Modules", 1983; the cached-index refinement
//! follows rtrb and folly's ProducerConsumerQueue.)

use core::mem::MaybeUninit;
use core::ptr::NonNull;

use crate::sync::{AtomicU8, AtomicUsize, CachePadded, Ordering, UnsafeCell};
use crate::wait::WaitCell;

/// One slot: initialised exactly for positions in `head..tail`.
pub(crate) type Slot<T> = UnsafeCell<MaybeUninit<T>>;

/// The producer handle is gone.
pub(crate) const TX_CLOSED: u8 = 0b01;
/// The consumer handle is gone.
pub(crate) const RX_CLOSED: u8 = 0b10;

/// The shared state of one channel. Lives in a heap box or in a caller's
/// [`Storage`](super::Storage); `release` knows which.
/// Where the slots are and how many, with the position arithmetic. Each
/// handle keeps its own copy, so the per-message path reads fields of the
/// handle (`&mut self`: kept in registers) rather than of the shared core.
pub(crate) struct Ring<T> {
    pub(crate) capacity: usize,
    pub(crate) slots: *const Slot<T>,
}

impl<T> Clone for Ring<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Ring<T> {}

/// A handle's position: its free-running count and the slot that count
/// maps to (`slot < capacity`), stepped together.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Cursor {
    pub(crate) count: usize,
    pub(crate) slot: usize,
}

impl<T> Ring<T> {
    /// The position after `at`.
    #[inline(always)]
    pub(crate) fn next(&self, at: Cursor) -> Cursor {
        let slot = at.slot + 1;
        Cursor {
            count: at.count.wrapping_add(1),
            slot: if slot == self.capacity { 0 } else { slot },
        }
    }

    /// `at` moved on by `n <= capacity`.
    #[inline(always)]
    pub(crate) fn advance(&self, at: Cursor, n: usize) -> Cursor {
        debug_assert!(n <= self.capacity && at.slot < self.capacity);
        let slot = at.slot + n;
        Cursor {
            count: at.count.wrapping_add(n),
            slot: if slot >= self.capacity {
                slot - self.capacity
            } else {
                slot
            },
        }
    }

    /// The slot index `n <= capacity` positions before slot index `slot`.
    #[inline]
    fn back(&self, slot: usize, n: usize) -> usize {
        debug_assert!(n <= self.capacity && slot < self.capacity);
        if slot >= n {
            slot - n
        } else {
            slot + self.capacity - n
        }
    }

    /// Items between the counts `head` and `tail`.
    #[inline(always)]
    pub(crate) fn distance(&self, head: usize, tail: usize) -> usize {
        tail.wrapping_sub(head)
    }

    /// Asks the cache for a slot ahead of `at` (see
    /// [`prefetch::ahead`](crate::prefetch::ahead)): `ready` slots from `at`
    /// on are the other side's no more (items published, for the consumer;
    /// slots released, for the producer); with `WRITE`, to write.
    #[inline(always)]
    pub(crate) fn prefetch<const WRITE: bool>(&self, at: Cursor, ready: usize) {
        crate::prefetch::ahead::<Slot<T>, WRITE>(self.slots, self.capacity, at.slot, ready);
    }

    /// The slot of position `at`.
    #[inline(always)]
    pub(crate) fn slot(&self, at: Cursor) -> &Slot<T> {
        debug_assert!(at.slot < self.capacity);
        // SAFETY: `slots` points at `capacity` slots that live as long as the
        // core (heap box or borrowed storage), and a cursor's slot index is
        // below `capacity`: it starts at 0, `next` wraps it, `back` and
        // `advance` take at most `capacity` steps (every caller of `advance`
        // passes a count bounded by free or ready slots, at most `capacity`).
        unsafe { &*self.slots.add(at.slot) }
    }
}

#[repr(C)]
pub(crate) struct Core<T> {
    /// Next position the producer writes; written by the producer only.
    pub(crate) tail: CachePadded<AtomicUsize>,
    /// Next position the consumer reads; written by the consumer only.
    pub(crate) head: CachePadded<AtomicUsize>,
    /// The consumer's waker, woken after every publish.
    pub(crate) rx_wait: CachePadded<WaitCell>,
    /// The producer's waker, woken after every release of a slot.
    pub(crate) tx_wait: CachePadded<WaitCell>,
    /// `TX_CLOSED | RX_CLOSED`: set once by the dropping handle (`AcqRel`, so a
    /// reader that sees the bit also sees everything its owner published).
    pub(crate) closed: AtomicU8,
    /// Live handles: 2, then 1, then the last one tears the channel down.
    pub(crate) handles: AtomicU8,
    /// The slots; each handle holds a copy.
    pub(crate) ring: Ring<T>,
    /// Frees the memory of the channel once its items are dropped.
    pub(crate) release: unsafe fn(NonNull<Core<T>>),
}

impl<T> Core<T> {
    crate::sync::const_unless_loom! {
        /// A fresh core over `capacity` slots at `slots`.
        pub(crate) fn new(
            capacity: usize,
            slots: *const Slot<T>,
            release: unsafe fn(NonNull<Core<T>>),
        ) -> Self {
            Self {
                tail: CachePadded::new(AtomicUsize::new(0)),
                head: CachePadded::new(AtomicUsize::new(0)),
                rx_wait: CachePadded::new(WaitCell::new()),
                tx_wait: CachePadded::new(WaitCell::new()),
                closed: AtomicU8::new(0),
                handles: AtomicU8::new(2),
                ring: Ring { capacity, slots },
                release,
            }
        }
    }

    /// Marks this side closed and wakes the other side.
    pub(crate) fn close(&self, side: u8) {
        self.closed.fetch_or(side, Ordering::AcqRel);
        self.rx_wait.wake();
        self.tx_wait.wake();
    }

    /// Whether `side` has closed.
    #[inline]
    pub(crate) fn is_closed(&self, side: u8) -> bool {
        self.closed.load(Ordering::Acquire) & side != 0
    }

    /// Drops one handle; the last one drops the items left and frees the channel.
    /// `at` is the dropping handle's own position (its published count).
    ///
    /// # Safety
    ///
    /// `core` must come from a live handle that is not used afterwards.
    pub(crate) unsafe fn drop_handle(core: NonNull<Core<T>>, side: u8, at: Cursor) {
        // SAFETY: the caller's handle keeps the core alive until here.
        let this = unsafe { core.as_ref() };
        this.close(side);
        if this.handles.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // The other handle is gone (the AcqRel above synchronised with its
        // decrement), so both indices are final and no one else looks.
        let head = this.head.load(Ordering::Acquire);
        let tail = this.tail.load(Ordering::Acquire);
        let left = this.ring.distance(head, tail);
        // The slot of `head`: the consumer's own, or `left` before the
        // producer's (its `at` is `tail`).
        let slot = if side == RX_CLOSED {
            debug_assert_eq!(at.count, head);
            at.slot
        } else {
            debug_assert_eq!(at.count, tail);
            this.ring.back(at.slot, left)
        };
        let mut pos = Cursor { count: head, slot };
        for _ in 0..left {
            // SAFETY: positions in `head..tail` hold initialised items, each
            // dropped once here.
            this.ring
                .slot(pos)
                .with_mut(|p| unsafe { (*p).assume_init_drop() });
            pos = this.ring.next(pos);
        }
        // SAFETY: the last handle is dropping and the items are gone.
        unsafe { (this.release)(core) };
    }
}
