//! [`ObjectPool`]: `N` values filled at construction, lent out through a guard.

use core::cell::{Cell, UnsafeCell};
use core::fmt;
use core::ops::{Deref, DerefMut};

/// `N` values made at construction and kept in place — no heap, `no_std` —
/// lent out one at a time through a [`Pooled`] guard that returns its value on
/// drop (after the optional reset hook `R`, see [`ObjectPool::reset`]). For one
/// thread: the pool is not `Sync`, so a guard cannot cross threads either.
///
/// The value returned last is lent again first, while its memory is still in
/// this core's cache (a pool used one value at a time lends that one value
/// over and over); the others are lent in the order they came back (first in,
/// first out).
///
/// # Examples
///
/// ```
/// use zerocast::pool::ObjectPool;
///
/// let pool = ObjectPool::<Vec<u8>, 4>::with(|_| Vec::with_capacity(1024)).reset(|v| v.clear());
/// {
///     let mut buf = pool.acquire().expect("a free buffer");
///     buf.extend_from_slice(b"hello");
///     assert_eq!(pool.in_use(), 1);
/// } // returned (and cleared) here
/// let buf = pool.acquire().unwrap();
/// assert!(buf.is_empty() && buf.capacity() >= 1024); // reused, not reallocated
/// ```
pub struct ObjectPool<T, const N: usize, R = NoReset> {
    values: [UnsafeCell<T>; N],
    /// A ring of the indices of free values, taken at `head` and returned at
    /// `tail` (first in, first out), behind [`warm`](Self::warm). Both count
    /// modulo `2 * N` (so a full ring and an empty one differ), or run free
    /// when `N` is a power of two; the ring position is the count modulo
    /// `N`. Invariant: the `tail - head` entries from `head` on are
    /// distinct indices `< N`, none of them the warm one.
    free: [Cell<u32>; N],
    /// The index of the value returned last while this was empty, lent
    /// again before any on the ring, or [`EMPTY`] (`N` is below it): a take
    /// and a return cost one store each here, where the ring takes two.
    warm: Cell<u32>,
    head: Cell<usize>,
    tail: Cell<usize>,
    high_water: Cell<usize>,
    reset: R,
}

/// What an [`ObjectPool`] does to a value as it comes back: nothing
/// ([`NoReset`]), or the closure or function given to [`ObjectPool::reset`] —
/// called directly, so it inlines (clearing a `Vec` is one store).
///
/// # Examples
///
/// ```
/// use zerocast::pool::{NoReset, Reset};
///
/// let clear = |v: &mut Vec<u8>| v.clear(); // any `Fn(&mut T)` is a hook
/// let mut v = vec![1, 2];
/// Reset::reset(&clear, &mut v);
/// assert!(v.is_empty());
/// let mut kept = vec![3];
/// Reset::reset(&NoReset, &mut kept);
/// assert_eq!(kept, [3]);
/// ```
pub trait Reset<T> {
    /// Prepares `value` to be lent again.
    fn reset(&self, value: &mut T);
}

/// The reset hook of a pool that has none: values come back as they are.
///
/// # Examples
///
/// ```
/// use zerocast::pool::{NoReset, ObjectPool};
///
/// let pool: ObjectPool<u32, 2, NoReset> = ObjectPool::new(); // the default hook
/// *pool.acquire().unwrap() = 5;
/// assert_eq!(*pool.acquire().unwrap(), 5); // came back as it was
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoReset;

impl<T> Reset<T> for NoReset {
    #[inline]
    fn reset(&self, _value: &mut T) {}
}

impl<T, F: Fn(&mut T)> Reset<T> for F {
    #[inline]
    fn reset(&self, value: &mut T) {
        self(value);
    }
}

/// [`ObjectPool::warm`] when it holds no value.
const EMPTY: u32 = u32::MAX;

impl<T, const N: usize> ObjectPool<T, N> {
    const CHECK: () = assert!(
        N > 0 && N < EMPTY as usize && N <= usize::MAX / 2,
        "an ObjectPool holds 1 ..= min(u32::MAX - 1, usize::MAX / 2) values"
    );

    /// A pool of `N` values, value `i` made by `make(i)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast::pool::ObjectPool;
    ///
    /// let pool: ObjectPool<Vec<u8>, 4> = ObjectPool::with(|_| Vec::with_capacity(1024));
    /// assert_eq!(pool.acquire().unwrap().capacity(), 1024);
    /// ```
    pub fn with(mut make: impl FnMut(usize) -> T) -> Self {
        let () = Self::CHECK;
        Self {
            values: core::array::from_fn(|i| UnsafeCell::new(make(i))),
            // Handed out in index order at first.
            free: core::array::from_fn(|i| Cell::new(i as u32)),
            warm: Cell::new(EMPTY),
            head: Cell::new(0),
            tail: Cell::new(N),
            high_water: Cell::new(0),
            reset: NoReset,
        }
    }

    /// A pool of `N` default values.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::ObjectPool::<u64, 8>::new();
    /// assert_eq!(*pool.acquire().unwrap(), 0);
    /// ```
    pub fn new() -> Self
    where
        T: Default,
    {
        Self::with(|_| T::default())
    }

    /// Runs `hook` on every value as it comes back (to clear a buffer, say).
    /// A hook that panics keeps its value out of the pool for good (it may
    /// be half reset, and is never lent again): the pool holds one value
    /// fewer from then on. The hook is part of the pool's type (`R`), so it
    /// is called directly; a pool stored in a field can name it as a
    /// function pointer:
    ///
    /// ```
    /// use zerocast::pool::ObjectPool;
    ///
    /// struct Conn {
    ///     buffers: ObjectPool<Vec<u8>, 8, fn(&mut Vec<u8>)>,
    /// }
    /// let conn = Conn {
    ///     buffers: ObjectPool::with(|_| Vec::with_capacity(512)).reset(Vec::clear as fn(&mut _)),
    /// };
    /// conn.buffers.acquire().unwrap().push(1);
    /// assert!(conn.buffers.acquire().unwrap().is_empty());
    /// ```
    #[must_use]
    pub fn reset<R: Fn(&mut T)>(self, hook: R) -> ObjectPool<T, N, R> {
        ObjectPool {
            values: self.values,
            free: self.free,
            warm: self.warm,
            head: self.head,
            tail: self.tail,
            high_water: self.high_water,
            reset: hook,
        }
    }
}

impl<T, const N: usize, R> ObjectPool<T, N, R> {
    /// Whether the ring's counts run free (wrapping): when `N` divides the
    /// integer range, positions stay consistent across the wrap.
    const FREE_RUNNING: bool = N.is_power_of_two();

    /// The count after `count`.
    #[inline]
    fn next(count: usize) -> usize {
        if Self::FREE_RUNNING {
            count.wrapping_add(1)
        } else if count + 1 == 2 * N {
            0
        } else {
            count + 1
        }
    }

    /// The ring position of `count` (`< N`).
    #[inline]
    fn position(count: usize) -> usize {
        if Self::FREE_RUNNING {
            count & (N - 1)
        } else if count >= N {
            count - N
        } else {
            count
        }
    }

    /// How many entries lie from `head` to `tail`.
    #[inline]
    fn distance(head: usize, tail: usize) -> usize {
        if Self::FREE_RUNNING {
            tail.wrapping_sub(head)
        } else if tail >= head {
            tail - head
        } else {
            tail + 2 * N - head
        }
    }

    /// How many values are free now.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::ObjectPool::<u64, 2>::new();
    /// let lent = pool.acquire().unwrap();
    /// assert_eq!(pool.available(), 1);
    /// drop(lent);
    /// assert_eq!(pool.available(), 2);
    /// ```
    pub fn available(&self) -> usize {
        Self::distance(self.head.get(), self.tail.get()) + usize::from(self.warm.get() != EMPTY)
    }

    /// How many values are lent out now.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::ObjectPool::<u64, 2>::new();
    /// let _lent = pool.acquire().unwrap();
    /// assert_eq!(pool.in_use(), 1);
    /// ```
    pub fn in_use(&self) -> usize {
        N - self.available()
    }

    /// The most values ever lent out at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::ObjectPool::<u64, 4>::new();
    /// let (a, b) = (pool.acquire().unwrap(), pool.acquire().unwrap());
    /// drop((a, b));
    /// let _c = pool.acquire().unwrap();
    /// assert_eq!(pool.high_water_mark(), 2);
    /// ```
    pub fn high_water_mark(&self) -> usize {
        self.high_water.get()
    }

    /// How many values the pool holds (`N`).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::ObjectPool::<u64, 4>::new();
    /// assert_eq!(pool.capacity(), 4);
    /// ```
    pub const fn capacity(&self) -> usize {
        N
    }
}

impl<T, const N: usize, R: Reset<T>> ObjectPool<T, N, R> {
    /// Lends out a free value, or `None` when all `N` are in use. Never
    /// allocates; O(1).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = zerocast::pool::ObjectPool::<String, 1>::new();
    /// let mut s = pool.acquire().unwrap();
    /// s.push_str("in use");
    /// assert!(pool.acquire().is_none()); // all lent out
    /// drop(s); // back to the pool
    /// assert_eq!(*pool.acquire().unwrap(), "in use"); // no reset hook: kept as it was
    /// ```
    #[inline]
    pub fn acquire(&self) -> Option<Pooled<'_, T, N, R>> {
        let warm = self.warm.get();
        if warm != EMPTY {
            self.warm.set(EMPTY);
            // No high-water update: since this value went back, the ring has
            // only grown (a take finds the warm value first), so fewer are
            // out now than just before it went back.
            return Some(Pooled {
                pool: self,
                index: warm as usize,
            });
        }
        let head = self.head.get();
        let tail = self.tail.get();
        if head == tail {
            return None;
        }
        self.head.set(Self::next(head));
        let in_use = N + 1 - Self::distance(head, tail);
        if in_use > self.high_water.get() {
            self.high_water.set(in_use);
        }
        // SAFETY: `position` is `< N`, in bounds of `free`.
        let index = unsafe { self.free.get_unchecked(Self::position(head)) }.get() as usize;
        Some(Pooled { pool: self, index })
    }

    /// The value behind `index`, a free-ring entry (so `index < N`).
    #[inline]
    fn slot(&self, index: usize) -> *mut T {
        debug_assert!(index < N);
        // SAFETY: every index a guard holds came off the free ring, whose
        // entries are all `< N` (see the field's invariant).
        unsafe { self.values.get_unchecked(index) }.get()
    }

    #[inline]
    fn give_back(&self, index: usize) {
        // SAFETY: the guard for `index` is being dropped, so no other
        // reference to this value exists; it is not on the free ring yet.
        self.reset.reset(unsafe { &mut *self.slot(index) });
        if self.warm.get() == EMPTY {
            self.warm.set(index as u32);
            return;
        }
        let tail = self.tail.get();
        debug_assert!(
            self.available() < N,
            "a guard is out, so the ring is not full"
        );
        // SAFETY: `position` is `< N`, in bounds of `free`.
        unsafe { self.free.get_unchecked(Self::position(tail)) }.set(index as u32);
        self.tail.set(Self::next(tail));
    }
}

impl<T: Default, const N: usize> Default for ObjectPool<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize, R> fmt::Debug for ObjectPool<T, N, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectPool")
            .field("capacity", &N)
            .field("available", &self.available())
            .field("high_water_mark", &self.high_water_mark())
            .finish()
    }
}

/// A value lent out by an [`ObjectPool`]: derefs to it, and gives it back on
/// drop. It cannot outlive its pool.
///
/// # Examples
///
/// ```
/// let pool = zerocast::pool::ObjectPool::<[u8; 64], 2>::with(|_| [0; 64]);
/// {
///     let mut buf = pool.acquire().unwrap();
///     buf[0] = 1; // DerefMut to the value
///     assert_eq!(pool.in_use(), 1);
/// } // given back here
/// assert_eq!(pool.in_use(), 0);
/// ```
pub struct Pooled<'a, T, const N: usize, R: Reset<T> = NoReset> {
    pool: &'a ObjectPool<T, N, R>,
    index: usize,
}

impl<T, const N: usize, R: Reset<T>> Deref for Pooled<'_, T, N, R> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: `index` was taken off the free ring for this guard alone,
        // so while the guard lives no other reference to the value exists.
        unsafe { &*self.pool.slot(self.index) }
    }
}

impl<T, const N: usize, R: Reset<T>> DerefMut for Pooled<'_, T, N, R> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique.
        unsafe { &mut *self.pool.slot(self.index) }
    }
}

impl<T, const N: usize, R: Reset<T>> Drop for Pooled<'_, T, N, R> {
    #[inline]
    fn drop(&mut self) {
        self.pool.give_back(self.index);
    }
}

impl<T: fmt::Debug, const N: usize, R: Reset<T>> fmt::Debug for Pooled<'_, T, N, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}

#[cfg(all(test, not(zerocast_loom)))]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "std")]
    fn a_reset_hook_that_panics_keeps_its_value_out_for_good() {
        let pool = ObjectPool::<u32, 2>::with(|i| i as u32).reset(|v: &mut u32| {
            assert!(*v != 7, "a hook that cannot reset 7");
            *v = 0;
        });
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            *pool.acquire().unwrap() = 7;
        }));
        assert!(panicked.is_err());
        assert_eq!((pool.available(), pool.in_use()), (1, 1));
        for _ in 0..4 {
            assert_ne!(
                *pool.acquire().unwrap(),
                7,
                "the half-reset value is never lent"
            );
        }
        let other = pool.acquire().unwrap();
        assert!(pool.acquire().is_none());
        drop(other);
    }

    #[test]
    fn lends_each_value_once_until_exhausted_then_reuses_returns() {
        let pool: ObjectPool<u32, 3> = ObjectPool::with(|i| i as u32 * 10);
        let a = pool.acquire().unwrap();
        let mut b = pool.acquire().unwrap();
        let c = pool.acquire().unwrap();
        assert_eq!((*a, *b, *c), (0, 10, 20));
        assert!(
            pool.acquire().is_none(),
            "exhausted is reported, not a panic"
        );
        assert_eq!((pool.available(), pool.in_use()), (0, 3));
        *b += 1;
        drop(b);
        let again = pool.acquire().unwrap();
        assert_eq!(*again, 11, "the value returned is the one lent again");
        drop((a, c, again));
        assert_eq!((pool.available(), pool.high_water_mark()), (3, 3));
    }

    #[test]
    fn the_value_returned_last_is_lent_first_the_others_first_in_first_out() {
        // 3 is not a power of two: the counts wrap at 2 * N.
        let pool: ObjectPool<u32, 3> = ObjectPool::with(|i| i as u32);
        // The model: the warm value, then the ring in order.
        let (mut warm, mut ring) = (None, std::collections::VecDeque::from([0, 1, 2]));
        let take = |warm: &mut Option<u32>, ring: &mut std::collections::VecDeque<u32>| {
            warm.take().or_else(|| ring.pop_front())
        };
        for lap in 0..20 {
            let a = pool.acquire().unwrap();
            assert_eq!(Some(*a), take(&mut warm, &mut ring), "lap {lap}");
            let b = pool.acquire().unwrap();
            assert_eq!(Some(*b), take(&mut warm, &mut ring), "lap {lap}");
            assert_eq!((pool.available(), pool.in_use()), (1, 2));
            // Returned in turn: the first back is warm, the second queues.
            let (first, second) = if lap % 2 == 0 { (b, a) } else { (a, b) };
            let (first_value, second_value) = (*first, *second);
            drop(first);
            assert_eq!(pool.available(), 2);
            drop(second);
            warm = Some(first_value);
            ring.push_back(second_value);
            assert_eq!(pool.available(), 3);
        }
        assert_eq!(pool.high_water_mark(), 2);
    }

    #[test]
    fn free_running_counts_stay_consistent_across_the_integer_wrap() {
        type P = ObjectPool<u8, 4>;
        const { assert!(P::FREE_RUNNING && !ObjectPool::<u8, 3>::FREE_RUNNING) };
        assert_eq!((P::next(usize::MAX), P::position(usize::MAX)), (0, 3));
        assert_eq!(P::position(0), 0, "the position after the wrap follows on");
        assert_eq!(P::distance(usize::MAX - 1, 2), 4);
        type Q = ObjectPool<u8, 3>;
        assert_eq!((Q::next(5), Q::position(5), Q::distance(5, 2)), (0, 2, 3));
    }

    #[test]
    fn the_reset_hook_runs_on_every_return() {
        let pool = ObjectPool::<std::vec::Vec<u8>, 2>::new().reset(|v| v.clear());
        {
            let mut v = pool.acquire().unwrap();
            v.push(1);
        }
        let first = pool.acquire().unwrap();
        let second = pool.acquire().unwrap();
        assert!(first.is_empty() && second.is_empty());
    }

    #[test]
    fn values_are_dropped_once_with_the_pool() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let drops = Arc::new(AtomicUsize::new(0));
        let pool: ObjectPool<crate::test_util::Counted, 4> =
            ObjectPool::with(|i| crate::test_util::Counted(i as u32, drops.clone()));
        drop(pool.acquire());
        let held = pool.acquire();
        drop(held);
        assert_eq!(drops.load(Ordering::SeqCst), 0, "returned, not dropped");
        drop(pool);
        assert_eq!(drops.load(Ordering::SeqCst), 4);
    }
}
