//! The shared free list of a [`BufferPool`](super::BufferPool): free
//! buffer indices (a FIFO ring) and an intrusive FIFO queue of waiting futures, both behind
//! the pool's spin lock.

use alloc::boxed::Box;
use core::ptr;
use core::task::Waker;

use crate::sync::{AtomicUsize, Ordering};

/// A waiting [`Acquire`](super::Acquire)'s queue node. It lives inside the
/// pinned future; every field is read and written only with the pool's lock
/// held.
#[derive(Debug)]
pub(super) struct Node {
    prev: *mut Node,
    next: *mut Node,
    /// The waker to wake when a buffer is granted.
    pub(super) waker: Option<Waker>,
    /// A buffer handed to this waiter; it is the future's to take (or to pass
    /// on, if it is dropped first).
    pub(super) granted: Option<u32>,
    /// Linked into the queue.
    pub(super) queued: bool,
}

impl Node {
    pub(super) const fn new() -> Self {
        Self {
            prev: ptr::null_mut(),
            next: ptr::null_mut(),
            waker: None,
            granted: None,
            queued: false,
        }
    }
}

/// Free indices and waiters. Invariant: waiters are queued only while no
/// index is free; a buffer released while one waits goes to the longest
/// waiter, never to the list.
///
/// The free indices are a FIFO ring, not a stack: a buffer freed by one
/// thread (a flusher that just read it) is handed out again as late as
/// possible, by which time its lines have left that core's private caches,
/// so the next writer's stores do not each pull a line from another core.
/// Each thread's own cache (`LocalPool`) is LIFO, for warmth.
#[derive(Debug)]
pub(super) struct Free {
    /// Free buffer indices: `len` of them, oldest at `head`, wrapping.
    ring: Box<[u32]>,
    head: usize,
    len: usize,
    /// Oldest waiter (served first) and newest.
    first: *mut Node,
    last: *mut Node,
    /// Waiters linked now.
    queued: usize,
    /// The most buffers ever off the list at once.
    high_water: usize,
}

// SAFETY: the node pointers are dereferenced only with the lock held, and each
// points into a pinned future that unlinks itself (under the lock) before it
// is dropped; the wakers they hold are `Send`.
unsafe impl Send for Free {}

impl Free {
    pub(super) fn new(count: usize) -> Self {
        Self {
            ring: (0..count as u32).collect(),
            head: 0,
            len: count,
            first: ptr::null_mut(),
            last: ptr::null_mut(),
            queued: 0,
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
        if !self.first.is_null() {
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
        let node = self.first;
        if node.is_null() {
            debug_assert!(self.len + indices.len() <= self.ring.len());
            for &index in indices {
                let at = self.wrap(self.head + self.len);
                self.ring[at] = index;
                self.len += 1;
            }
            return (indices.len(), None);
        }
        // SAFETY: `node` is linked, so it is a live, pinned node (a future
        // unlinks its node before it goes away), and the lock is held.
        let waker = unsafe {
            self.unlink(node, waiting);
            (*node).granted = Some(indices[0]);
            (*node).waker.take()
        };
        (1, waker)
    }

    /// Appends `node` to the queue.
    ///
    /// # Safety
    ///
    /// `node` is valid, not queued, and stays at its address until it is
    /// unlinked (by [`unlink`](Self::unlink) or [`give`](Self::give)).
    pub(super) unsafe fn enqueue(&mut self, node: *mut Node, waiting: &AtomicUsize) {
        // SAFETY: valid by the caller; `last`, if any, is a linked node.
        unsafe {
            (*node).prev = self.last;
            (*node).next = ptr::null_mut();
            (*node).queued = true;
            match self.last.as_mut() {
                Some(last) => last.next = node,
                None => self.first = node,
            }
        }
        self.last = node;
        self.queued += 1;
        waiting.store(self.queued, Ordering::Relaxed);
    }

    /// Unlinks `node`.
    ///
    /// # Safety
    ///
    /// `node` is valid and queued in this list.
    pub(super) unsafe fn unlink(&mut self, node: *mut Node, waiting: &AtomicUsize) {
        // SAFETY: `node` and its neighbours are linked nodes, valid by the
        // caller and the enqueue contract.
        unsafe {
            debug_assert!((*node).queued);
            let (prev, next) = ((*node).prev, (*node).next);
            match prev.as_mut() {
                Some(prev) => prev.next = next,
                None => self.first = next,
            }
            match next.as_mut() {
                Some(next) => next.prev = prev,
                None => self.last = prev,
            }
            (*node).prev = ptr::null_mut();
            (*node).next = ptr::null_mut();
            (*node).queued = false;
        }
        self.queued -= 1;
        waiting.store(self.queued, Ordering::Relaxed);
    }
}
