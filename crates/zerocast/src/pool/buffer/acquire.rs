//! [`Acquire`], the future of [`LocalPool::acquire`]: waits for a buffer in
//! FIFO order, its queue node inside the future.

use core::cell::UnsafeCell;
use core::fmt;
use core::future::Future;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::super::waiters::Node;
use super::{Buffer, LocalPool};
use crate::sync::Ordering;

/// Waits for a free buffer of a [`LocalPool`]; see [`LocalPool::acquire`].
///
/// While it waits it is linked into the pool's FIFO queue through a node it
/// holds itself, so waiting allocates nothing; that is why it is `!Unpin`.
///
/// # Examples
///
/// ```
/// # futures_executor::block_on(async {
/// let local = zerocast::pool::BufferPool::new(32, 1).register();
/// let buf = local.acquire().await;
/// assert_eq!(buf.remaining(), 32);
/// # });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a> {
    local: &'a LocalPool,
    /// Reached only with the pool's lock held, once `registered`.
    node: UnsafeCell<Node>,
    /// The node has been queued (and may still be, or hold a grant).
    registered: bool,
    _pinned: PhantomPinned,
}

/// What one locked step of a poll found.
enum Step {
    /// A buffer for this future, and the waker it no longer needs.
    Got(u32, Option<Waker>),
    /// Queued; the waker it replaced, if any.
    Wait(Option<Waker>),
}

impl<'a> Acquire<'a> {
    pub(super) fn new(local: &'a LocalPool) -> Self {
        Self {
            local,
            node: UnsafeCell::new(Node::new()),
            registered: false,
            _pinned: PhantomPinned,
        }
    }
}

impl Future for Acquire<'_> {
    type Output = Buffer;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Buffer> {
        // SAFETY: nothing is moved out of the future; the node keeps its
        // address until `drop` unlinks it.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.registered {
            if let Some(buffer) = this.local.try_acquire() {
                return Poll::Ready(buffer);
            }
        }
        let shared = &this.local.local.shared;
        let node = this.node.get();
        let waker = cx.waker().clone();
        let step = shared.free.with(|free| {
            // SAFETY: the lock is held, and the node is this future's.
            let n = unsafe { &mut *node };
            if let Some(index) = n.granted.take() {
                return Step::Got(index, Some(waker));
            }
            if n.queued {
                return Step::Wait(n.waker.replace(waker));
            }
            let mut one = [0];
            if free.take_batch(&mut one) == 1 {
                return Step::Got(one[0], Some(waker));
            }
            n.waker = Some(waker);
            // SAFETY: the future is pinned and unlinks the node in `drop`.
            unsafe { free.waiters.enqueue(node, &shared.waiting) };
            Step::Wait(None)
        });
        match step {
            Step::Got(index, _unused) => {
                this.registered = false;
                Poll::Ready(this.local.adopt_taken(index))
            }
            Step::Wait(_replaced) => {
                if !this.registered {
                    this.registered = true;
                    shared.waits.fetch_add(1, Ordering::Relaxed);
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if !self.registered {
            return;
        }
        let shared = &self.local.local.shared;
        let node = self.node.get();
        let (granted, waker) = shared.free.with(|free| {
            // SAFETY: the lock is held, and the node is this future's.
            let n = unsafe { &mut *node };
            if n.queued {
                // SAFETY: queued in this list.
                unsafe { free.waiters.unlink(node, &shared.waiting) };
            }
            (n.granted.take(), n.waker.take())
        });
        drop(waker);
        if let Some(index) = granted {
            // Granted but never seen: on to the next waiter, or the pool.
            shared.release(index);
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("registered", &self.registered)
            .finish_non_exhaustive()
    }
}
