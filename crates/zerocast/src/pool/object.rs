//! [`ObjectPool`]: `N` values filled at construction, lent out through a guard.

use core::cell::{Cell, UnsafeCell};
use core::fmt;
use core::ops::{Deref, DerefMut};

/// `N` values made at construction and kept in place — no heap, `no_std` —
/// lent out one at a time through a [`Pooled`] guard that returns its value on
/// drop (after the optional reset hook). For one thread: the pool is not
/// `Sync`, so a guard cannot cross threads either.
///
/// # Examples
///
/// ```
/// use zerocast::pool::ObjectPool;
///
/// let pool: ObjectPool<Vec<u8>, 4> =
///     ObjectPool::with(|_| Vec::with_capacity(1024)).reset(|v| v.clear());
/// {
///     let mut buf = pool.acquire().expect("a free buffer");
///     buf.extend_from_slice(b"hello");
///     assert_eq!(pool.in_use(), 1);
/// } // returned (and cleared) here
/// let buf = pool.acquire().unwrap();
/// assert!(buf.is_empty() && buf.capacity() >= 1024); // reused, not reallocated
/// ```
pub struct ObjectPool<T, const N: usize> {
    values: [UnsafeCell<T>; N],
    /// A stack of the indices of free values: `free[..available]`.
    free: [Cell<u32>; N],
    available: Cell<usize>,
    high_water: Cell<usize>,
    reset: Option<fn(&mut T)>,
}

impl<T, const N: usize> ObjectPool<T, N> {
    const CHECK: () = assert!(
        N > 0 && N <= u32::MAX as usize,
        "an ObjectPool holds 1 ..= u32::MAX values"
    );

    /// A pool of `N` values, value `i` made by `make(i)`.
    pub fn with(mut make: impl FnMut(usize) -> T) -> Self {
        let () = Self::CHECK;
        Self {
            values: core::array::from_fn(|i| UnsafeCell::new(make(i))),
            // Handed out in index order: the top of the stack is index 0.
            free: core::array::from_fn(|i| Cell::new((N - 1 - i) as u32)),
            available: Cell::new(N),
            high_water: Cell::new(0),
            reset: None,
        }
    }

    /// A pool of `N` default values.
    pub fn new() -> Self
    where
        T: Default,
    {
        Self::with(|_| T::default())
    }

    /// Runs `hook` on every value as it comes back (to clear a buffer, say).
    #[must_use]
    pub fn reset(mut self, hook: fn(&mut T)) -> Self {
        self.reset = Some(hook);
        self
    }

    /// Lends out a free value, or `None` when all `N` are in use. Never
    /// allocates; O(1).
    pub fn acquire(&self) -> Option<Pooled<'_, T, N>> {
        let available = self.available.get().checked_sub(1)?;
        self.available.set(available);
        let in_use = N - available;
        if in_use > self.high_water.get() {
            self.high_water.set(in_use);
        }
        Some(Pooled {
            pool: self,
            index: self.free[available].get() as usize,
        })
    }

    /// How many values are free now.
    pub fn available(&self) -> usize {
        self.available.get()
    }

    /// How many values are lent out now.
    pub fn in_use(&self) -> usize {
        N - self.available.get()
    }

    /// The most values ever lent out at once.
    pub fn high_water_mark(&self) -> usize {
        self.high_water.get()
    }

    /// How many values the pool holds (`N`).
    pub const fn capacity(&self) -> usize {
        N
    }

    fn give_back(&self, index: usize) {
        if let Some(hook) = self.reset {
            // SAFETY: the guard for `index` is being dropped, so no other
            // reference to this value exists; it is not on the free stack yet.
            hook(unsafe { &mut *self.values[index].get() });
        }
        let available = self.available.get();
        self.free[available].set(index as u32);
        self.available.set(available + 1);
    }
}

impl<T: Default, const N: usize> Default for ObjectPool<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> fmt::Debug for ObjectPool<T, N> {
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
pub struct Pooled<'a, T, const N: usize> {
    pool: &'a ObjectPool<T, N>,
    index: usize,
}

impl<T, const N: usize> Deref for Pooled<'_, T, N> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `index` was taken off the free stack for this guard alone,
        // so while the guard lives no other reference to the value exists.
        unsafe { &*self.pool.values[self.index].get() }
    }
}

impl<T, const N: usize> DerefMut for Pooled<'_, T, N> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique.
        unsafe { &mut *self.pool.values[self.index].get() }
    }
}

impl<T, const N: usize> Drop for Pooled<'_, T, N> {
    fn drop(&mut self) {
        self.pool.give_back(self.index);
    }
}

impl<T: fmt::Debug, const N: usize> fmt::Debug for Pooled<'_, T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}

#[cfg(all(test, not(zerocast_loom)))]
mod tests {
    use super::*;

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
    fn the_reset_hook_runs_on_every_return() {
        let pool: ObjectPool<std::vec::Vec<u8>, 2> = ObjectPool::new().reset(|v| v.clear());
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
