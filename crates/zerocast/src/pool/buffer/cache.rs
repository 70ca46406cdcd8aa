//! [`Cache`]: a thread's free buffers, first in, first out.

use alloc::boxed::Box;

/// The indices of a thread's free buffers: a ring taken from at the front
/// (the entry kept longest) and returned to at the back. A take and the
/// return just before it touch different counters, so neither waits on the
/// other's bookkeeping; a full cache spills its oldest entries.
///
/// Up to `capacity` entries, in a ring of `capacity.next_power_of_two()`
/// slots; `head` and `tail` run free (wrapping), the ring position of a count
/// is the count masked. Invariant: `tail - head <= capacity <= slots.len()`,
/// `slots.len()` is a power of two.
pub(super) struct Cache {
    slots: Box<[u32]>,
    head: usize,
    tail: usize,
    capacity: usize,
}

impl Cache {
    /// An empty cache for up to `capacity` (at least 1) buffers.
    pub(super) fn new(capacity: usize) -> Self {
        debug_assert!(capacity >= 1);
        Self {
            slots: alloc::vec![0; capacity.next_power_of_two()].into_boxed_slice(),
            head: 0,
            tail: 0,
            capacity,
        }
    }

    /// Entries held.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.tail.wrapping_sub(self.head)
    }

    /// The most entries it holds.
    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The slot of count `count`.
    #[inline]
    fn slot(&mut self, count: usize) -> &mut u32 {
        let mask = self.slots.len() - 1;
        // SAFETY: `slots.len()` is a power of two, so the masked count is
        // below it.
        unsafe { self.slots.get_unchecked_mut(count & mask) }
    }

    /// Takes the entry kept longest.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<u32> {
        if self.head == self.tail {
            return None;
        }
        let index = *self.slot(self.head);
        self.head = self.head.wrapping_add(1);
        Some(index)
    }

    /// Appends `index` if there is room; returns false if full.
    #[inline]
    pub(super) fn try_push(&mut self, index: u32) -> bool {
        if self.len() == self.capacity {
            return false;
        }
        *self.slot(self.tail) = index;
        self.tail = self.tail.wrapping_add(1);
        true
    }

    /// Fills the (empty) cache: `fill` writes up to `max` entries (capped at
    /// the capacity) at the front of the slice it is given and returns how
    /// many it wrote.
    pub(super) fn refill(&mut self, max: usize, fill: impl FnOnce(&mut [u32]) -> usize) -> usize {
        debug_assert_eq!(self.len(), 0);
        let max = max.min(self.capacity);
        let got = fill(&mut self.slots[..max]).min(max);
        self.head = 0;
        self.tail = got;
        got
    }

    /// Takes the `n` entries kept longest (or all, if fewer) out, handing
    /// them to `out` in at most two slices, oldest first.
    pub(super) fn drain_oldest(&mut self, n: usize, mut out: impl FnMut(&[u32])) {
        let n = n.min(self.len());
        let start = self.head & (self.slots.len() - 1);
        let first = n.min(self.slots.len() - start);
        out(&self.slots[start..start + first]);
        if n > first {
            out(&self.slots[..n - first]);
        }
        self.head = self.head.wrapping_add(n);
    }
}

#[cfg(all(test, not(zerocast_loom)))]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn first_in_first_out_across_the_wrap_within_capacity() {
        // Capacity 3 in 4 slots: the counts wrap around the ring.
        let mut cache = Cache::new(3);
        let mut model = std::collections::VecDeque::new();
        for i in 0..50u32 {
            assert_eq!(cache.try_push(i), model.len() < 3);
            if model.len() < 3 {
                model.push_back(i);
            }
            if i % 3 == 0 {
                assert_eq!(cache.pop(), model.pop_front());
            }
            assert_eq!(cache.len(), model.len());
        }
        while let Some(i) = cache.pop() {
            assert_eq!(Some(i), model.pop_front());
        }
        assert!(model.is_empty());
    }

    #[test]
    fn drains_the_oldest_in_order_even_when_they_wrap() {
        let mut cache = Cache::new(4);
        for i in 0..4 {
            assert!(cache.try_push(i));
        }
        assert_eq!(
            (cache.pop(), cache.pop(), cache.pop()),
            (Some(0), Some(1), Some(2))
        );
        for i in 4..7 {
            assert!(cache.try_push(i));
        }
        assert!(!cache.try_push(7), "full at its capacity");
        let mut out = Vec::new();
        cache.drain_oldest(3, |s| out.extend_from_slice(s));
        assert_eq!(out, [3, 4, 5], "the oldest three, across the ring's end");
        assert_eq!((cache.len(), cache.pop(), cache.pop()), (1, Some(6), None));
    }

    #[test]
    fn refills_an_empty_cache_up_to_its_capacity() {
        let mut cache = Cache::new(3);
        assert!(cache.try_push(9) && cache.pop() == Some(9));
        let got = cache.refill(8, |slots| {
            assert_eq!(slots.len(), 3, "capped at the capacity");
            slots.copy_from_slice(&[1, 2, 3]);
            3
        });
        assert_eq!((got, cache.pop(), cache.len()), (3, Some(1), 2));
    }
}
