//! The shared free list of a [`BufferPool`](super::BufferPool): free
//! buffer indices (a FIFO ring) and an intrusive FIFO queue of waiting futures, both behind
//! the pool's spin lock.

use alloc::boxed::Box;
use core::task::Waker;

use super::super::waiters::WaitList;
use crate::sync::AtomicUsize;

/// Free indices and waiters. Invariant: waiters are queued only while no
/// index is free; a buffer released while one waits goes to the longest
/// waiter, never to the list.
///
/// The free indices are a FIFO ring, not a stack: a buffer freed by one
/// thread (a flusher that just read it) is handed out again as late as
/// possible, by which time its lines have left that core's private caches,
/// so the next writer's stores do not each pull a line from another core.
/// Each thread's own cache (`LocalPool`, see `cache`) is first in, first
/// out as well, so that an acquire and the release before it touch different
/// counters.
#[derive(Debug)]
pub(super) struct Free {
    /// Free buffer indices: `len` of them, oldest at `head`, wrapping.
    ring: Box<[u32]>,
    head: usize,
    len: usize,
    /// Waiting futures, served first.
    pub(super) waiters: WaitList,
    /// The most buffers ever off the list at once.
    high_water: usize,
}

impl Free {
    pub(super) fn new(count: usize) -> Self {
        Self {
            ring: (0..count as u32).collect(),
            head: 0,
            len: count,
            waiters: WaitList::new(),
            high_water: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn high_water(&self) -> usize {
        self.high_water
    }

    /// Moves up to `out.len()` free indices into `out`, none if a waiter is
    /// queued (it is served first). Returns how many.
    pub(super) fn take_batch(&mut self, out: &mut [u32]) -> usize {
        if !self.waiters.is_empty() {
            return 0;
        }
        let n = out.len().min(self.len);
        for slot in &mut out[..n] {
            *slot = self.ring[self.head];
            self.head = self.wrap(self.head + 1);
        }
        self.len -= n;
        self.high_water = self.high_water.max(self.ring.len() - self.len);
        n
    }

    #[inline]
    fn wrap(&self, at: usize) -> usize {
        if at >= self.ring.len() {
            at - self.ring.len()
        } else {
            at
        }
    }

    /// Hands `indices[0]` to the longest waiter if there is one (returning its
    /// waker to wake once the lock is released), or pushes all of `indices`.
    /// Returns how many indices were consumed.
    pub(super) fn give(
        &mut self,
        indices: &[u32],
        waiting: &AtomicUsize,
    ) -> (usize, Option<Waker>) {
        if let Some(waker) = self.waiters.grant(indices[0], waiting) {
            return (1, waker);
        }
        debug_assert!(self.len + indices.len() <= self.ring.len());
        for &index in indices {
            let at = self.wrap(self.head + self.len);
            self.ring[at] = index;
            self.len += 1;
        }
        (indices.len(), None)
    }
}
