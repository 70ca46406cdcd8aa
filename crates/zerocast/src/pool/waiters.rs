//! [`WaitList`]: an intrusive FIFO queue of waiting futures for the pools that
//! hand items (buffer or value indices) straight to their longest waiter,
//! and for [`SharedWriter`](crate::io::SharedWriter)'s tasks waiting for the
//! flusher. Each [`Node`] lives inside its pinned future, so waiting
//! allocates nothing; every access happens with the owner's lock held.

use core::ptr;
use core::task::Waker;

use crate::sync::{AtomicUsize, Ordering};

/// A waiting future's queue node. It lives inside the pinned future; every
/// field is read and written only with the owner's lock held.
#[derive(Debug)]
pub(crate) struct Node {
    prev: *mut Node,
    next: *mut Node,
    /// The waker to wake when an item is granted.
    pub(crate) waker: Option<Waker>,
    /// An item handed to this waiter; it is the future's to take (or to pass
    /// on, if it is dropped first).
    pub(crate) granted: Option<u32>,
    /// Linked into the queue.
    pub(crate) queued: bool,
}

impl Node {
    pub(crate) const fn new() -> Self {
        Self {
            prev: ptr::null_mut(),
            next: ptr::null_mut(),
            waker: None,
            granted: None,
            queued: false,
        }
    }
}

/// The queue: oldest waiter first. `waiting` (given to each call) mirrors
/// its length for readers outside the lock (a pool that releases without
/// the lock pairs it with `SeqCst` fences; see `SharedObjectPool`).
#[derive(Debug)]
pub(crate) struct WaitList {
    first: *mut Node,
    last: *mut Node,
    len: usize,
}

// SAFETY: the node pointers are dereferenced only with the owning pool's lock
// held, and each points into a pinned future that unlinks itself (under the
// lock) before it is dropped; the wakers they hold are `Send`.
unsafe impl Send for WaitList {}

impl WaitList {
    pub(crate) const fn new() -> Self {
        Self {
            first: ptr::null_mut(),
            last: ptr::null_mut(),
            len: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_null()
    }

    /// Hands `item` to the longest waiter and unlinks it, returning its waker
    /// (to wake once the lock is released); `None` if no one waits.
    pub(crate) fn grant(&mut self, item: u32, waiting: &AtomicUsize) -> Option<Option<Waker>> {
        let node = self.first;
        if node.is_null() {
            return None;
        }
        // SAFETY: `node` is linked, so it is a live, pinned node (a future
        // unlinks its node before it goes away), and the lock is held.
        unsafe {
            self.unlink(node, waiting);
            (*node).granted = Some(item);
            Some((*node).waker.take())
        }
    }

    /// Appends `node` to the queue.
    ///
    /// # Safety
    ///
    /// `node` is valid, not queued, and stays at its address until it is
    /// unlinked (by [`unlink`](Self::unlink) or [`grant`](Self::grant)).
    pub(crate) unsafe fn enqueue(&mut self, node: *mut Node, waiting: &AtomicUsize) {
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
        self.len += 1;
        waiting.store(self.len, Ordering::Relaxed);
    }

    /// Unlinks `node`.
    ///
    /// # Safety
    ///
    /// `node` is valid and queued in this list.
    pub(crate) unsafe fn unlink(&mut self, node: *mut Node, waiting: &AtomicUsize) {
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
        self.len -= 1;
        waiting.store(self.len, Ordering::Relaxed);
    }
}
