//! The one place zerocast's lock-free code gets its atomics and cells from.
//!
//! Under `--cfg zerocast_loom` everything here is loom's, so the loom models
//! beside each primitive explore every interleaving of the real code; otherwise
//! it is `core`'s. The crate-prefixed cfg keeps loom from switching on inside
//! dependencies.

#[cfg(zerocast_loom)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};

#[cfg(not(zerocast_loom))]
pub(crate) use core::sync::atomic::fence;
#[cfg(all(not(zerocast_loom), feature = "alloc", target_has_atomic = "64"))]
pub(crate) use core::sync::atomic::AtomicU64;
#[cfg(all(not(zerocast_loom), feature = "alloc"))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicPtr};
#[cfg(not(zerocast_loom))]
pub(crate) use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

pub(crate) use crossbeam_utils::CachePadded;

/// Defines a constructor that is `const` except under loom, whose atomics and
/// cells have no `const fn new`.
macro_rules! const_unless_loom {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$meta])*
        #[cfg(not(zerocast_loom))]
        $vis const fn $name($($arg: $ty),*) -> $ret $body

        $(#[$meta])*
        #[cfg(zerocast_loom)]
        $vis fn $name($($arg: $ty),*) -> $ret $body
    };
}
pub(crate) use const_unless_loom;

/// A hint that this thread is spinning while another finishes a short
/// critical step; under loom, a yield so the model lets the other thread run.
#[inline(always)]
pub(crate) fn spin_hint() {
    #[cfg(zerocast_loom)]
    loom::thread::yield_now();
    #[cfg(not(zerocast_loom))]
    core::hint::spin_loop();
}

/// An `UnsafeCell` with loom's closure API, so that under loom every access
/// is checked for data races.
#[cfg(zerocast_loom)]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(loom::cell::UnsafeCell<T>);

#[cfg(zerocast_loom)]
impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(loom::cell::UnsafeCell::new(value))
    }

    #[inline]
    #[track_caller]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        self.0.with(f)
    }

    #[inline]
    #[track_caller]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.0.with_mut(f)
    }
}

/// An `UnsafeCell` with loom's closure API, so that under loom every access
/// is checked for data races.
#[cfg(not(zerocast_loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(zerocast_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
