//! [`ReturnQueue`]: a bounded multi-producer queue of page ids, for tickets
//! dropped on any thread to send their page home.
//!
//! Each cell carries a sequence number (the bounded MPMC design of Dmitry
//! Vyukov): producers claim a position with a compare-and-swap on the tail and
//! publish by bumping the cell's sequence; the single consumer reads in order.
//! A push onto a full queue reports it and leaves every queued id untouched.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::sync::{AtomicUsize, CachePadded, Ordering, UnsafeCell};

struct Cell {
    /// `pos` when free for the push at `pos`; `pos + 1` once it holds that
    /// push's id, ready for the pop at `pos`.
    seq: AtomicUsize,
    id: UnsafeCell<u64>,
}

/// A bounded queue of `u64` ids: many pushers, one popper (the owner behind
/// `&mut`). Never allocates after construction.
pub(crate) struct ReturnQueue {
    cells: Box<[Cell]>,
    mask: usize,
    tail: CachePadded<AtomicUsize>,
    head: CachePadded<AtomicUsize>,
}

// SAFETY: a cell's `id` is written only by the pusher that claimed its
// position and read only by the popper after the sequence handshake.
unsafe impl Sync for ReturnQueue {}
// SAFETY: as above; ids are plain integers.
unsafe impl Send for ReturnQueue {}

/// The queue had no room; the id was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Full;

impl ReturnQueue {
    /// A queue for at least `capacity` ids (rounded up to a power of two, and
    /// at least 2: with one cell, "holds the id of position p" and "free for
    /// position p + 1" would be the same sequence number).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(2).next_power_of_two();
        let cells: Vec<_> = (0..capacity)
            .map(|i| Cell {
                seq: AtomicUsize::new(i),
                id: UnsafeCell::new(0),
            })
            .collect();
        Self {
            cells: cells.into_boxed_slice(),
            mask: capacity - 1,
            tail: CachePadded::new(AtomicUsize::new(0)),
            head: CachePadded::new(AtomicUsize::new(0)),
        }
    }

    /// Queues `id`, from any thread.
    pub(crate) fn push(&self, id: u64) -> Result<(), Full> {
        let mut pos = self.tail.load(Ordering::Relaxed);
        loop {
            let cell = &self.cells[pos & self.mask];
            let seq = cell.seq.load(Ordering::Acquire);
            let diff = seq.wrapping_sub(pos) as isize;
            if diff == 0 {
                match self.tail.compare_exchange_weak(
                    pos,
                    pos.wrapping_add(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the CAS made position `pos` ours alone, and
                        // the popper does not read the cell until `seq` says so.
                        cell.id.with_mut(|p| unsafe { *p = id });
                        cell.seq.store(pos.wrapping_add(1), Ordering::Release);
                        return Ok(());
                    }
                    Err(actual) => pos = actual,
                }
            } else if diff < 0 {
                // The cell still holds the id pushed a lap ago: full.
                return Err(Full);
            } else {
                pos = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Takes the oldest id, if one is ready.
    ///
    /// # Safety
    ///
    /// One popper at a time: the caller holds exclusive access to the queue's
    /// consuming side (the slab pool's owner, behind `&mut`).
    pub(crate) unsafe fn pop(&self) -> Option<u64> {
        let pos = self.head.load(Ordering::Relaxed);
        let cell = &self.cells[pos & self.mask];
        let seq = cell.seq.load(Ordering::Acquire);
        if seq != pos.wrapping_add(1) {
            return None;
        }
        // SAFETY: `seq == pos + 1` (Acquire): the pusher's write is visible and
        // finished; only this popper reads position `pos`.
        let id = cell.id.with(|p| unsafe { *p });
        self.head.store(pos.wrapping_add(1), Ordering::Relaxed);
        // Free the cell for the push a lap later.
        cell.seq
            .store(pos.wrapping_add(self.mask + 1), Ordering::Release);
        Some(id)
    }
}
