//! [`SpinLock`]: a one-word mutual-exclusion lock around a value that is only
//! ever moved in or out.

use crate::sync::{AtomicBool, Ordering, UnsafeCell};

/// A spin lock for critical sections of a few instructions (a `mem::replace`).
/// No `std`, no heap, no poisoning: the closures it runs cannot unwind halfway
/// through a move.
#[derive(Debug)]
pub(crate) struct SpinLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through `with`, which holds the lock, so
// it is never shared between threads; moving it across threads needs `T: Send`.
unsafe impl<T: Send> Sync for SpinLock<T> {}

impl<T> SpinLock<T> {
    crate::sync::const_unless_loom! {
        /// An unlocked lock around `value`.
        pub(crate) fn new(value: T) -> Self {
            Self {
                locked: AtomicBool::new(false),
                value: UnsafeCell::new(value),
            }
        }
    }

    /// Runs `f` on the value with the lock held. Keep `f` to a move: no
    /// drops of user values, no wake-ups.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut spins = 0;
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            super::backoff(&mut spins);
        }
        // SAFETY: the lock is held, so this is the only access to the value.
        let result = self.value.with_mut(|v| f(unsafe { &mut *v }));
        self.locked.store(false, Ordering::Release);
        result
    }
}
