//! [`Cache`]: a thread's free buffers: the one it let go of last, then the
//! rest first in, first out.

use alloc::boxed::Box;
use core::ptr::NonNull;

/// A free buffer: its index and its first byte.
pub(super) type Entry = (u32, NonNull<u8>);

/// A thread's free buffers.
///
/// - **The warm entry**: a buffer this thread wrote and let go of without
///   sharing it ([`keep_warm`](Self::keep_warm)) waits here, and the next take
///   hands it out first. Its lines are still in this core's caches, and an
///   acquire that follows a release reads the entry the release wrote, not
///   a counter, then a ring slot, then the buffer.
/// - **The ring**, first in, first out: taken from at the front (the entry
///   kept longest), returned to at the back. A take and the return just
///   before it touch different counters, so neither waits on the other's
///   bookkeeping; buffers that other threads have read go here
///   ([`try_push`](Self::try_push)), to be reused as late as possible.
///
/// The ring always leaves one place for the warm entry, so keeping a warm
/// entry needs no check of the ring (a release reads only the entry the
/// acquire before it cleared). A full cache spills its oldest entries (the
/// warm one last).
///
/// Each entry is a buffer's index and, beside it, its first byte: a take
/// hands out the pointer as it was stored, so a store into the buffer just
/// taken does not wait for the index to be multiplied into an address (a
/// store whose address comes late holds up the loads after it).
///
/// Up to `capacity` entries, warm one included, in a ring of
/// `capacity.next_power_of_two()` slots; `head` and `tail` run free
/// (wrapping), the ring position of a count is the count masked. Invariants
/// (between calls): `tail - head < capacity <= slots.len() == data.len()`,
/// `slots.len()` is a power of two, and the `data` of each held entry is the
/// first byte of the buffer its index names.
pub(super) struct Cache {
    warm: Option<Entry>,
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
            warm: None,
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
        self.ring_len() + usize::from(self.warm.is_some())
    }

    /// Entries in the ring.
    #[inline]
    fn ring_len(&self) -> usize {
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

    /// Takes the warm entry if there is one, else the ring's oldest.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<Entry> {
        if let Some(entry) = self.warm.take() {
            return Some(entry);
        }
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

    /// Keeps `entry`, a buffer this thread wrote and no other thread has
    /// seen, as the warm entry if that is empty (the next take hands it
    /// out; the ring left room for it), else at the back of the ring.
    /// Returns false if full.
    #[inline]
    pub(super) fn keep_warm(&mut self, entry: Entry) -> bool {
        if self.warm.is_some() {
            return self.try_push(entry);
        }
        self.warm = Some(entry);
        true
    }

    /// Appends `entry` at the back of the ring if the ring still has room
    /// after it for a warm entry; returns false otherwise.
    #[inline]
    pub(super) fn try_push(&mut self, (index, data): Entry) -> bool {
        if self.ring_len() + 2 > self.capacity {
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

    /// Refills the (empty) cache and takes the first entry: `fill` writes
    /// up to `max` indices (capped at the capacity) at the front of the
    /// slice it is given and returns how many it wrote; `data_of` gives each
    /// one's first byte. `None` if `fill` wrote none.
    pub(super) fn refill(
        &mut self,
        max: usize,
        fill: impl FnOnce(&mut [u32]) -> usize,
        data_of: impl Fn(u32) -> NonNull<u8>,
    ) -> Option<Entry> {
        debug_assert_eq!(self.len(), 0);
        let max = max.min(self.capacity);
        let got = fill(&mut self.slots[..max]).min(max);
        for (data, &index) in self.data.iter_mut().zip(&self.slots[..got]) {
            *data = data_of(index);
        }
        self.head = 0;
        self.tail = got;
        // Taking one leaves at most `capacity - 1` in the ring.
        self.pop()
    }

    /// Takes the `n` oldest entries (or all, if fewer) out — the ring's,
    /// oldest first, then the warm one — handing their indices to `out` in
    /// at most three slices.
    pub(super) fn drain_oldest(&mut self, n: usize, mut out: impl FnMut(&[u32])) {
        let from_ring = n.min(self.ring_len());
        let start = self.at(self.head);
        let first = from_ring.min(self.slots.len() - start);
        out(&self.slots[start..start + first]);
        if from_ring > first {
            out(&self.slots[..from_ring - first]);
        }
        self.head = self.head.wrapping_add(from_ring);
        if n > from_ring {
            if let Some((index, _)) = self.warm.take() {
                out(&[index]);
            }
        }
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
        cache.try_push((index, data(index)))
    }

    fn keep(cache: &mut Cache, index: u32) -> bool {
        cache.keep_warm((index, data(index)))
    }

    /// Pops an entry, checking it kept its index's first byte.
    fn pop(cache: &mut Cache) -> Option<u32> {
        let (index, at) = cache.pop()?;
        assert_eq!(at, data(index), "entry {index} lost its pointer");
        Some(index)
    }

    fn drain(cache: &mut Cache, n: usize) -> Vec<u32> {
        let mut out = Vec::new();
        cache.drain_oldest(n, |s| out.extend_from_slice(s));
        out
    }

    #[test]
    fn first_in_first_out_across_the_wrap_within_capacity() {
        // Capacity 4: the ring holds up to 3 (one place is kept for a warm
        // entry) in 4 slots, so the counts wrap around it.
        let mut cache = Cache::new(4);
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
        for i in 0..3 {
            assert!(push(&mut cache, i));
        }
        assert!(!push(&mut cache, 3), "the ring is full at 3");
        assert_eq!((pop(&mut cache), pop(&mut cache)), (Some(0), Some(1)));
        assert!(push(&mut cache, 3) && push(&mut cache, 4));
        assert!(keep(&mut cache, 9));
        assert!(!push(&mut cache, 5) && !keep(&mut cache, 5), "full");
        assert_eq!(
            drain(&mut cache, 3),
            [2, 3, 4],
            "the oldest three, across the ring's end"
        );
        assert_eq!(
            (cache.len(), pop(&mut cache), pop(&mut cache)),
            (1, Some(9), None)
        );
    }

    #[test]
    fn the_warm_entry_goes_out_first_and_is_spilled_last() {
        let mut cache = Cache::new(3);
        assert!(push(&mut cache, 1) && push(&mut cache, 2));
        assert!(!push(&mut cache, 3), "the last place is the warm entry's");
        assert!(keep(&mut cache, 9), "the warm entry is empty");
        assert!(!keep(&mut cache, 8), "full");
        assert_eq!((cache.len(), pop(&mut cache)), (3, Some(9)));
        assert!(keep(&mut cache, 8));
        assert_eq!(drain(&mut cache, 1), [1], "the ring's entries are older");
        assert!(keep(&mut cache, 7), "a second one goes to the ring");
        assert_eq!(cache.len(), 3);
        assert_eq!(
            drain(&mut cache, usize::MAX),
            [2, 7, 8],
            "the warm one last"
        );
        assert_eq!((cache.len(), pop(&mut cache)), (0, None));
    }

    #[test]
    fn a_cache_of_one_keeps_only_a_warm_entry() {
        let mut cache = Cache::new(1);
        assert!(!push(&mut cache, 1), "the one place is the warm entry's");
        assert!(keep(&mut cache, 2) && !keep(&mut cache, 3));
        assert_eq!(
            (cache.len(), pop(&mut cache), pop(&mut cache)),
            (1, Some(2), None)
        );
        let first = cache.refill(
            4,
            |slots| {
                assert_eq!(slots.len(), 1, "capped at the capacity");
                slots[0] = 5;
                1
            },
            data,
        );
        assert_eq!((first.map(|e| e.0), cache.len()), (Some(5), 0));
    }

    #[test]
    fn refills_an_empty_cache_up_to_its_capacity() {
        let mut cache = Cache::new(3);
        assert!(keep(&mut cache, 9) && pop(&mut cache) == Some(9));
        let first = cache.refill(
            8,
            |slots| {
                assert_eq!(slots.len(), 3, "capped at the capacity");
                slots.copy_from_slice(&[1, 2, 3]);
                3
            },
            data,
        );
        assert_eq!((first, cache.len()), (Some((1, data(1))), 2));
        assert_eq!(
            (pop(&mut cache), pop(&mut cache), pop(&mut cache)),
            (Some(2), Some(3), None)
        );
        assert_eq!(cache.refill(8, |_| 0, data), None, "nothing to refill with");
    }
}
