//! [`SharedObjectPool`]: values made once, lent to any thread, returned from
//! any thread through a lock-free free list; `acquire().await` waits without
//! allocating.
//!
//! # Protocol
//!
//! - **Free list**: a Treiber stack of value indices (Treiber, "Systems
//!   Programming: Coping with Parallelism", IBM RJ 5118, 1986). The head word
//!   packs a 32-bit tag above `index + 1` (0: empty); every successful swap
//!   bumps the tag, so a head that was popped and pushed back in between is
//!   told apart (ABA). Pops and pushes are one compare-exchange each, no lock.
//! - **Waiting**: waiters queue in a [`WaitList`] behind a spin lock, taken
//!   only on the waiting path. A release pushes, then, after the light half
//!   of an asymmetric fence, checks `waiting`; a waiter queues (raising
//!   `waiting`), then, after the heavy half, pops once more. Whichever comes
//!   second sees the other side's write, so a value is never left on the
//!   stack while a waiter sleeps: the releaser pops a value and grants it to
//!   the longest waiter, or the waiter takes it itself. The light half is a
//!   compiler fence where Linux's `membarrier` backs the heavy half, so a
//!   release pays no barrier instruction; elsewhere (and under loom, which
//!   models them exactly) both are `SeqCst` fences.

use alloc::boxed::Box;
use core::fmt;
use core::future::Future;
use core::marker::PhantomPinned;
use core::ops::{Deref, DerefMut};
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::waiters::{Node, WaitList};
use crate::lock::SpinLock;
use crate::sync::{AtomicU64, AtomicUsize, Ordering, UnsafeCell};

/// The low half of the head word: `index + 1`, or 0 for an empty stack.
const INDEX: u64 = 0xffff_ffff;
/// The high half of the head word: the tag, bumped by every swap.
const TAG_ONE: u64 = 1 << 32;

/// A pool of values shared by threads: [`try_acquire`](Self::try_acquire)
/// lends one through a [`SharedPooled`] guard that returns it when dropped,
/// on whichever thread; [`acquire`](Self::acquire) waits, without
/// allocating, when all are lent out. All values are made by
/// [`new`](Self::new); nothing allocates after it.
///
/// Guards borrow the pool, so a guard sent to another thread needs the pool
/// to outlive that thread: share it by reference in a scope
/// (`std::thread::scope`), or make it `'static` (a `static`, or
/// `Box::leak` at start-up). No reference count is touched per value.
///
/// # Examples
///
/// ```
/// use zerocast::pool::SharedObjectPool;
///
/// let pool = SharedObjectPool::new(2, |_| Vec::<u8>::with_capacity(1024)).reset(Vec::clear);
/// let mut buf = pool.try_acquire().unwrap();
/// buf.extend_from_slice(b"hello");
/// std::thread::scope(|s| {
///     s.spawn(move || assert_eq!(&buf[..], b"hello")); // returned there
/// });
/// assert_eq!(pool.try_acquire().unwrap().len(), 0, "reset on return");
/// ```
pub struct SharedObjectPool<T> {
    values: Box<[UnsafeCell<T>]>,
    /// Per value: `index + 1` of the value below it on the stack, 0 for none.
    next: Box<[AtomicU64]>,
    /// Tag and top of the free stack (see the module docs).
    head: AtomicU64,
    waiters: SpinLock<WaitList>,
    /// Waiters queued now (stored under the lock).
    waiting: AtomicUsize,
    reset: Option<fn(&mut T)>,
}

// SAFETY: a value is reached only through the one guard that holds its index
// (popped from the stack or granted under the lock, with acquire/release
// hand-over), so moving values between threads needs only `T: Send`.
unsafe impl<T: Send> Sync for SharedObjectPool<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for SharedObjectPool<T> {}

/// A value lent by a [`SharedObjectPool`]; dereferences to it and returns it
/// (after the pool's reset hook) when dropped, on any thread.
///
/// # Examples
///
/// ```
/// let pool = zerocast::pool::SharedObjectPool::new(1, |_| Vec::<u8>::with_capacity(64));
/// std::thread::scope(|s| {
///     let mut buf = pool.try_acquire().unwrap();
///     buf.push(1);
///     s.spawn(move || drop(buf)); // returned on another thread
/// });
/// assert!(pool.try_acquire().is_some());
/// ```
pub struct SharedPooled<'a, T> {
    pool: &'a SharedObjectPool<T>,
    index: u32,
}

// SAFETY: the guard is the only way to the value: sending it sends a `T`,
// and sharing it shares a `&T`; the pool it borrows is `Sync` for `T: Send`.
unsafe impl<T: Send> Send for SharedPooled<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for SharedPooled<'_, T> {}

/// Waits for a value of a [`SharedObjectPool`]; see
/// [`SharedObjectPool::acquire`]. `!Unpin`: its queue node is inside it.
///
/// # Examples
///
/// ```
/// # futures_executor::block_on(async {
/// let pool = zerocast::pool::SharedObjectPool::new(1, |i| i);
/// let first = pool.try_acquire().unwrap();
/// let waiting = pool.acquire(); // a future, granted in FIFO order
/// drop(first);
/// assert_eq!(*waiting.await, 0);
/// # });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct SharedAcquire<'a, T> {
    pool: &'a SharedObjectPool<T>,
    /// Reached only with the pool's waiter lock held, once `registered`.
    node: UnsafeCell<Node>,
    registered: bool,
    _pinned: PhantomPinned,
}

// SAFETY: the node (raw list pointers, a `Send` waker, an index) is reached
// only with the pool's lock held, from whichever thread polls or drops the
// future; the pool reference is `Sync` for `T: Send`. So the future may be
// polled on another thread (a work-stealing runtime) between polls.
unsafe impl<T: Send> Send for SharedAcquire<'_, T> {}

impl<T> SharedObjectPool<T> {
    /// A pool of `count` values, value `i` made by `make(i)`.
    ///
    /// # Panics
    ///
    /// If `count` is zero or exceeds `u32::MAX - 1`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SharedObjectPool::new(4, |i| i * 10);
    /// assert_eq!(*pool.try_acquire().unwrap(), 0);
    /// ```
    #[track_caller]
    pub fn new(count: usize, mut make: impl FnMut(usize) -> T) -> Self {
        assert!(
            count > 0 && count < u32::MAX as usize,
            "SharedObjectPool: 1 ..= u32::MAX - 1 values"
        );
        // Stacked so that value 0 is on top.
        let next = (0..count)
            .map(|i| AtomicU64::new(if i + 1 < count { i as u64 + 2 } else { 0 }))
            .collect();
        // Before the pool is shared: every thread then agrees on the fences.
        crate::wait::fence::init();
        Self {
            values: (0..count).map(|i| UnsafeCell::new(make(i))).collect(),
            next,
            head: AtomicU64::new(1),
            waiters: SpinLock::new(WaitList::new()),
            waiting: AtomicUsize::new(0),
            reset: None,
        }
    }

    /// Runs `reset` on every value as it is returned (before anyone else can
    /// acquire it).
    ///
    /// A hook that panics keeps its value out of the pool for good — it may
    /// be half reset, and is never lent to anyone else — so the pool holds
    /// one value fewer from then on (dropped with the pool).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SharedObjectPool::new(1, |_| 5u32).reset(|v| *v = 0);
    /// *pool.try_acquire().unwrap() += 1;
    /// assert_eq!(*pool.try_acquire().unwrap(), 0);
    /// ```
    pub fn reset(mut self, reset: fn(&mut T)) -> Self {
        self.reset = Some(reset);
        self
    }

    /// A free value, or `None` if all are lent out. Lock-free.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::SharedObjectPool::new(1, |_| ());
    /// let held = pool.try_acquire().unwrap();
    /// assert!(pool.try_acquire().is_none());
    /// drop(held);
    /// assert!(pool.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<SharedPooled<'_, T>> {
        let index = self.pop()?;
        Some(self.lend(index))
    }

    /// Waits for a free value; waiting allocates nothing (the queue node
    /// lives in the future) and waiters are granted values in FIFO order.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a value granted to a future dropped before it completes
    /// goes to the next waiter (or back to the pool).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_executor::block_on(async {
    /// let pool = zerocast::pool::SharedObjectPool::new(1, |_| 7u8);
    /// assert_eq!(*pool.acquire().await, 7);
    /// # });
    /// ```
    pub fn acquire(&self) -> SharedAcquire<'_, T> {
        SharedAcquire {
            pool: self,
            node: UnsafeCell::new(Node::new()),
            registered: false,
            _pinned: PhantomPinned,
        }
    }

    /// How many values the pool holds.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(zerocast::pool::SharedObjectPool::new(3, |_| ()).capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.values.len()
    }

    /// Futures waiting for a value now.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(zerocast::pool::SharedObjectPool::new(1, |_| ()).waiting(), 0);
    /// ```
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    fn lend(&self, index: u32) -> SharedPooled<'_, T> {
        SharedPooled { pool: self, index }
    }

    /// Pops a free index. Acquire pairs with the Release of the push that
    /// put it there, so the last holder's writes are visible.
    fn pop(&self) -> Option<u32> {
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let top = head & INDEX;
            if top == 0 {
                return None;
            }
            let index = (top - 1) as usize;
            debug_assert!(index < self.next.len());
            // Possibly stale if `index` was popped meanwhile; then the tag has
            // moved on and the swap below fails.
            let below = self.next[index].load(Ordering::Relaxed);
            let new = ((head & !INDEX).wrapping_add(TAG_ONE)) | below;
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => return Some(index as u32),
                Err(now) => head = now,
            }
        }
    }

    /// Pushes free `index`. Release: the holder's writes happen before the
    /// next pop of it.
    fn push(&self, index: u32) {
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            self.next[index as usize].store(head & INDEX, Ordering::Relaxed);
            let new = ((head & !INDEX).wrapping_add(TAG_ONE)) | (u64::from(index) + 1);
            match self
                .head
                .compare_exchange_weak(head, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// Returns `index` (its holder is done with it): to the stack, and to
    /// the longest waiter if anyone waits.
    fn release(&self, index: u32) {
        if self.waiting.load(Ordering::Relaxed) == 0 {
            self.push(index);
            // Pairs with the heavy fence after a waiter queues: it either
            // sees the push when it pops again, or this sees it waiting.
            crate::wait::fence::light();
            if self.waiting.load(Ordering::Relaxed) == 0 {
                return;
            }
            // None: taken already, by the waiter or anyone.
            if let Some(index) = self.pop() {
                self.grant(index);
            }
        } else {
            self.grant(index);
        }
    }

    /// Hands `index` to the longest waiter, or pushes it if no one waits.
    fn grant(&self, index: u32) {
        match self.waiters.with(|list| list.grant(index, &self.waiting)) {
            Some(waker) => {
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            None => self.push(index),
        }
    }
}

impl<T> fmt::Debug for SharedObjectPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedObjectPool")
            .field("capacity", &self.capacity())
            .field("waiting", &self.waiting())
            .finish()
    }
}

impl<T> Deref for SharedPooled<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds the index, so no one else reaches the value.
        unsafe { &*self.pool.values[self.index as usize].with(|p| p) }
    }
}

impl<T> DerefMut for SharedPooled<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access.
        unsafe { &mut *self.pool.values[self.index as usize].with_mut(|p| p) }
    }
}

impl<T> Drop for SharedPooled<'_, T> {
    fn drop(&mut self) {
        if let Some(reset) = self.pool.reset {
            reset(self);
        }
        self.pool.release(self.index);
    }
}

impl<T: fmt::Debug> fmt::Debug for SharedPooled<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}

impl<'a, T> Future for SharedAcquire<'a, T> {
    type Output = SharedPooled<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SharedPooled<'a, T>> {
        // SAFETY: nothing is moved out; the node keeps its address until
        // `drop` unlinks it.
        let this = unsafe { self.get_unchecked_mut() };
        let pool = this.pool;
        if !this.registered {
            if let Some(index) = pool.pop() {
                return Poll::Ready(pool.lend(index));
            }
        }
        let node = this.node.with_mut(|p| p);
        let waker = cx.waker().clone();
        let (granted, _unused): (Option<u32>, Option<Waker>) = pool.waiters.with(|list| {
            // SAFETY: the lock is held, and the node is this future's.
            let n = unsafe { &mut *node };
            if let Some(index) = n.granted.take() {
                return (Some(index), Some(waker));
            }
            let old = n.waker.replace(waker);
            if !n.queued {
                // SAFETY: the future is pinned and unlinks the node in `drop`.
                unsafe { list.enqueue(node, &pool.waiting) };
            }
            (None, old)
        });
        if let Some(index) = granted {
            this.registered = false;
            return Poll::Ready(pool.lend(index));
        }
        this.registered = true;
        // Queued: look once more, in case a release pushed before it could
        // see this waiter (pairs with the light fence in `release`).
        crate::wait::fence::heavy();
        if let Some(index) = pool.pop() {
            let granted = pool.waiters.with(|list| {
                // SAFETY: the lock is held, and the node is this future's.
                let n = unsafe { &mut *node };
                if n.queued {
                    // SAFETY: queued in this list.
                    unsafe { list.unlink(node, &pool.waiting) };
                }
                n.granted.take()
            });
            this.registered = false;
            if let Some(extra) = granted {
                // Granted meanwhile as well: one goes back.
                pool.release(extra);
            }
            return Poll::Ready(pool.lend(index));
        }
        Poll::Pending
    }
}

impl<T> Drop for SharedAcquire<'_, T> {
    fn drop(&mut self) {
        if !self.registered {
            return;
        }
        let pool = self.pool;
        let node = self.node.with_mut(|p| p);
        let (granted, waker) = pool.waiters.with(|list| {
            // SAFETY: the lock is held, and the node is this future's.
            let n = unsafe { &mut *node };
            if n.queued {
                // SAFETY: queued in this list.
                unsafe { list.unlink(node, &pool.waiting) };
            }
            (n.granted.take(), n.waker.take())
        });
        drop(waker);
        if let Some(index) = granted {
            // Granted but never seen: on to the next waiter, or the pool.
            pool.release(index);
        }
    }
}

impl<T> fmt::Debug for SharedAcquire<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedAcquire")
            .field("registered", &self.registered)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests {
    use std::boxed::Box;
    use std::future::Future;
    use std::pin::pin;
    use std::task::Context;
    use std::vec::Vec;

    use super::*;
    use crate::test_util::WakeCounter;

    #[test]
    fn a_reset_hook_that_panics_keeps_its_value_out_for_good() {
        let pool = SharedObjectPool::new(2, |i| i as u32).reset(|v| {
            assert!(*v != 7, "a hook that cannot reset 7");
            *v = 0;
        });
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            *pool.try_acquire().unwrap() = 7;
        }));
        assert!(panicked.is_err());
        for _ in 0..4 {
            assert_ne!(
                *pool.try_acquire().unwrap(),
                7,
                "the half-reset value is never lent"
            );
        }
        let other = pool.try_acquire().unwrap();
        assert!(pool.try_acquire().is_none(), "one value fewer");
        drop(other);
    }

    #[test]
    fn lends_each_value_once_and_takes_returns_from_any_thread() {
        let pool = SharedObjectPool::new(3, |i| i);
        let held: Vec<_> = (0..3).map(|_| pool.try_acquire().unwrap()).collect();
        let mut seen: Vec<usize> = held.iter().map(|v| **v).collect();
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2]);
        assert!(pool.try_acquire().is_none());
        std::thread::scope(|s| {
            s.spawn(move || drop(held));
        });
        assert_eq!((0..3).filter_map(|_| pool.try_acquire()).count(), 3);
    }

    #[test]
    fn waiters_are_granted_in_fifo_order_and_a_cancelled_grant_moves_on() {
        let pool = SharedObjectPool::new(1, |_| 0u32);
        let held = pool.try_acquire().unwrap();
        let (wakes, waker) = WakeCounter::new();
        let mut cx = Context::from_waker(&waker);
        let mut first = Box::pin(pool.acquire());
        let mut second = pin!(pool.acquire());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        assert_eq!(pool.waiting(), 2);
        drop(held); // granted to `first`
        assert_eq!(wakes.get(), 1);
        drop(first); // cancelled holding the grant: on to `second`
        assert_eq!(wakes.get(), 2);
        assert!(second.as_mut().poll(&mut cx).is_ready());
        assert_eq!(pool.waiting(), 0);
    }

    #[test]
    fn debug_shows_the_value_and_the_pool() {
        let pool = SharedObjectPool::new(1, |_| 42u8);
        let v = pool.try_acquire().unwrap();
        assert_eq!(std::format!("{v:?}"), "42");
        assert!(std::format!("{pool:?}").contains("SharedObjectPool"));
        assert!(std::format!("{:?}", pool.acquire()).contains("SharedAcquire"));
    }
}
