//! [`Acquire`], the future of [`LocalPool::acquire`]: waits for a buffer in
//! FIFO order, its queue node inside the future.

use core::cell::UnsafeCell;
use core::fmt;
use core::future::Future;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::super::waiters::Node;
use super::{Buffer, BufferPool, LocalPool, SendPacket, Shared};
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
    waiter: Waiter,
}

/// Waits for a free buffer of a [`BufferPool`] held by one owner unit (a
/// [`SendPacket`] of no bytes), for a holder on no thread in particular:
/// the shared-buffer writer's. See [`BufferPool::hold`].
#[must_use = "futures do nothing unless polled"]
pub(crate) struct Hold<'a> {
    pool: &'a BufferPool,
    waiter: Waiter,
}

// SAFETY: the node (raw list pointers, a `Send` waker, an index) is reached
// only with the pool's lock held, from whichever thread polls or drops the
// future, and the pool is `Sync`; what it yields, a `SendPacket`, is `Send`.
// So the future may move between threads (a work-stealing runtime).
unsafe impl Send for Hold<'_> {}

/// A place in the pool's FIFO queue of waiting futures: the part of
/// [`Acquire`] and [`Hold`] that does not depend on who holds the buffer.
struct Waiter {
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
            waiter: Waiter::new(),
        }
    }
}

impl<'a> Hold<'a> {
    pub(super) fn new(pool: &'a BufferPool) -> Self {
        Self {
            pool,
            waiter: Waiter::new(),
        }
    }
}

impl Waiter {
    const fn new() -> Self {
        Self {
            node: UnsafeCell::new(Node::new()),
            registered: false,
            _pinned: PhantomPinned,
        }
    }

    /// Polls for the index of a buffer off `shared`'s list: one granted to
    /// this waiter, or one free now if no one waits before it; else queues
    /// (or stays queued) with `cx`'s waker.
    ///
    /// # Safety
    ///
    /// `self` stays at its address until [`leave`](Self::leave) has run
    /// (its owner is pinned and calls `leave` when dropped).
    unsafe fn poll_index(&mut self, shared: &Shared, cx: &mut Context<'_>) -> Poll<u32> {
        let node = self.node.get();
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
            // SAFETY: the node stays put until `leave` unlinks it (the
            // caller's contract).
            unsafe { free.waiters.enqueue(node, &shared.waiting) };
            Step::Wait(None)
        });
        match step {
            Step::Got(index, _unused) => {
                self.registered = false;
                Poll::Ready(index)
            }
            Step::Wait(_replaced) => {
                if !self.registered {
                    self.registered = true;
                    shared.waits.fetch_add(1, Ordering::Relaxed);
                }
                Poll::Pending
            }
        }
    }

    /// Leaves `shared`'s queue: a buffer granted and never seen goes on to
    /// the next waiter, or to the pool.
    fn leave(&mut self, shared: &Shared) {
        if !self.registered {
            return;
        }
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
            shared.release(index);
        }
    }
}

impl Future for Acquire<'_> {
    type Output = Buffer;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Buffer> {
        // SAFETY: nothing is moved out of the future; the waiter keeps its
        // address until `drop` makes it leave the queue.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.waiter.registered {
            if let Some(buffer) = this.local.try_acquire() {
                return Poll::Ready(buffer);
            }
        }
        let local = this.local;
        // SAFETY: pinned (above), and `drop` calls `leave`.
        unsafe { this.waiter.poll_index(&local.local.shared, cx) }
            .map(|index| local.adopt_taken(index))
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.waiter.leave(&self.local.local.shared);
    }
}

impl Future for Hold<'_> {
    type Output = SendPacket;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SendPacket> {
        // SAFETY: as for `Acquire`.
        let this = unsafe { self.get_unchecked_mut() };
        let pool = this.pool;
        // SAFETY: pinned (above), and `drop` calls `leave`.
        unsafe { this.waiter.poll_index(&pool.shared, cx) }.map(|index| pool.unit(index))
    }
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        self.waiter.leave(&self.pool.shared);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("registered", &self.waiter.registered)
            .finish_non_exhaustive()
    }
}
