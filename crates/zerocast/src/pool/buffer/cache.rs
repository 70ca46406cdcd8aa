//! [`Cache`]: a thread's free buffers, first in, first out.

use alloc::boxed::Box;
use core::ptr::NonNull;

/// A thread's free buffers: a ring taken from at the front (the entry kept
/// longest) and returned to at the back. A take and the return just before
/// it touch different counters, so neither waits on the other's
/// bookkeeping; a full cache spills its oldest entries.
///
/// Each entry is a buffer's index and, beside it, its first byte: a take
/// hands out the pointer as it was stored, so a store into the buffer just
/// taken does not wait for the index to be multiplied into an address (a
/// store whose address comes late holds up the loads after it).
///
/// Up to `capacity` entries, in a ring of `capacity.next_power_of_two()`
/// slots; `head` and `tail` run free (wrapping), the ring position of a count
/// is the count masked. Invariants: `tail - head <= capacity <= slots.len()
/// == data.len()`, `slots.len()` is a power of two, and the `data` of each
/// held entry is the first byte of the buffer its `slots` entry names.
pub(super) struct Cache {
    slots: Box<[u32]>,
    data: Box<[NonNull<u8>]>,
    head: usize,
    tail: usize,
    capacity: usize,
}

impl Cache {
    /// An empty cache for up to `capacity` (at least 1) buffers.
    pub(super) fn new(capacity: usize) -> Self {
        debug_assert!(capacity >= 1);
        let slots = capacity.next_power_of_two();
        Self {
            slots: alloc::vec![0; slots].into_boxed_slice(),
            data: alloc::vec![NonNull::dangling(); slots].into_boxed_slice(),
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

    /// The ring position of count `count`.
    #[inline]
    fn at(&self, count: usize) -> usize {
        count & (self.slots.len() - 1)
    }

    /// Takes the entry kept longest: its index and first byte.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<(u32, NonNull<u8>)> {
        if self.head == self.tail {
            return None;
        }
        let at = self.at(self.head);
        // SAFETY: `slots.len()` (== `data.len()`) is a power of two, so the
        // masked count is below it.
        let entry = unsafe { (*self.slots.get_unchecked(at), *self.data.get_unchecked(at)) };
        self.head = self.head.wrapping_add(1);
        Some(entry)
    }

    /// Appends buffer `index`, whose first byte is `data`, if there is room;
    /// returns false if full.
    #[inline]
    pub(super) fn try_push(&mut self, index: u32, data: NonNull<u8>) -> bool {
        if self.len() == self.capacity {
            return false;
        }
        let at = self.at(self.tail);
        // SAFETY: as in `pop`.
        unsafe {
            *self.slots.get_unchecked_mut(at) = index;
            *self.data.get_unchecked_mut(at) = data;
        }
        self.tail = self.tail.wrapping_add(1);
        true
    }

    /// Fills the (empty) cache: `fill` writes up to `max` indices (capped at
    /// the capacity) at the front of the slice it is given and returns how
    /// many it wrote; `data_of` gives each one's first byte. Returns how many
    /// entries it holds now.
    pub(super) fn refill(
        &mut self,
        max: usize,
        fill: impl FnOnce(&mut [u32]) -> usize,
        data_of: impl Fn(u32) -> NonNull<u8>,
    ) -> usize {
        debug_assert_eq!(self.len(), 0);
        let max = max.min(self.capacity);
        let got = fill(&mut self.slots[..max]).min(max);
        for (data, &index) in self.data.iter_mut().zip(&self.slots[..got]) {
            *data = data_of(index);
        }
        self.head = 0;
        self.tail = got;
        got
    }

    /// Takes the `n` entries kept longest (or all, if fewer) out, handing
    /// their indices to `out` in at most two slices, oldest first.
    pub(super) fn drain_oldest(&mut self, n: usize, mut out: impl FnMut(&[u32])) {
        let n = n.min(self.len());
        let start = self.at(self.head);
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

    /// Stand-in buffers: buffer `i`'s first byte is `BYTES[i]`.
    static BYTES: [u8; 64] = [0; 64];

    fn data(index: u32) -> NonNull<u8> {
        NonNull::from(&BYTES[index as usize])
    }

    fn push(cache: &mut Cache, index: u32) -> bool {
        cache.try_push(index, data(index))
    }

    /// Pops an entry, checking it kept its index's first byte.
    fn pop(cache: &mut Cache) -> Option<u32> {
        let (index, at) = cache.pop()?;
        assert_eq!(at, data(index), "entry {index} lost its pointer");
        Some(index)
    }

    #[test]
    fn first_in_first_out_across_the_wrap_within_capacity() {
        // Capacity 3 in 4 slots: the counts wrap around the ring.
        let mut cache = Cache::new(3);
        let mut model = std::collections::VecDeque::new();
        for i in 0..50u32 {
            assert_eq!(push(&mut cache, i), model.len() < 3);
            if model.len() < 3 {
                model.push_back(i);
            }
            if i % 3 == 0 {
                assert_eq!(pop(&mut cache), model.pop_front());
            }
            assert_eq!(cache.len(), model.len());
        }
        while let Some(i) = pop(&mut cache) {
            assert_eq!(Some(i), model.pop_front());
        }
        assert!(model.is_empty());
    }

    #[test]
    fn drains_the_oldest_in_order_even_when_they_wrap() {
        let mut cache = Cache::new(4);
        for i in 0..4 {
            assert!(push(&mut cache, i));
        }
        assert_eq!(
            (pop(&mut cache), pop(&mut cache), pop(&mut cache)),
            (Some(0), Some(1), Some(2))
        );
        for i in 4..7 {
            assert!(push(&mut cache, i));
        }
        assert!(!push(&mut cache, 7), "full at its capacity");
        let mut out = Vec::new();
        cache.drain_oldest(3, |s| out.extend_from_slice(s));
        assert_eq!(out, [3, 4, 5], "the oldest three, across the ring's end");
        assert_eq!(
            (cache.len(), pop(&mut cache), pop(&mut cache)),
            (1, Some(6), None)
        );
    }

    #[test]
    fn refills_an_empty_cache_up_to_its_capacity() {
        let mut cache = Cache::new(3);
        assert!(push(&mut cache, 9) && pop(&mut cache) == Some(9));
        let got = cache.refill(
            8,
            |slots| {
                assert_eq!(slots.len(), 3, "capped at the capacity");
                slots.copy_from_slice(&[1, 2, 3]);
                3
            },
            data,
        );
        assert_eq!((got, pop(&mut cache), cache.len()), (3, Some(1), 2));
        assert_eq!((pop(&mut cache), pop(&mut cache)), (Some(2), Some(3)));
    }
}
