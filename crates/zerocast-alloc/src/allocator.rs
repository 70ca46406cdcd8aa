//! [`GuardedAlloc`]: the global allocator wrapper that enforces and counts.

use std::alloc::{GlobalAlloc, Layout, System};

use crate::report::AllocOp;
use crate::state;

/// A [`GlobalAlloc`] wrapper that enforces hot-path sections and counts
/// allocations per thread, forwarding every request to `A`.
///
/// While no thread has a guard or counting scope alive, each request costs one
/// relaxed atomic load on top of the inner allocator. Otherwise the calling
/// thread's state is consulted (a const thread-local, no lazy initialisation).
///
/// The allocator never panics, never unwinds and never allocates: a violation
/// is *recorded* and the request is served; the guard reports it when its
/// section ends (see [`Mode`](crate::Mode)). `realloc` is forwarded as a
/// `realloc`, so the inner allocator's in-place growth is kept.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::GuardedAlloc;
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// fn main() {
///     let (_, stats) = zerocast_alloc::count_allocs(|| vec![0u8; 64]);
///     assert_eq!(stats.allocs, 1);
/// }
/// ```
///
/// Any other allocator can be wrapped the same way, for example
/// `GuardedAlloc::new(mimalloc::MiMalloc)`.
#[derive(Debug, Default, Clone, Copy)]
pub struct GuardedAlloc<A = System> {
    inner: A,
}

impl GuardedAlloc<System> {
    /// Wraps the system allocator.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zerocast_alloc::GuardedAlloc;
    /// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
    /// ```
    pub const fn system() -> Self {
        Self { inner: System }
    }
}

impl<A> GuardedAlloc<A> {
    /// Wraps `inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use zerocast_alloc::GuardedAlloc;
    /// use std::alloc::System;
    /// static GLOBAL: GuardedAlloc<System> = GuardedAlloc::new(System);
    /// ```
    pub const fn new(inner: A) -> Self {
        Self { inner }
    }

    /// The wrapped allocator.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::alloc::System;
    /// use zerocast_alloc::GuardedAlloc;
    ///
    /// static GLOBAL: GuardedAlloc<System> = GuardedAlloc::new(System);
    /// let _system: &System = GLOBAL.inner();
    /// ```
    pub const fn inner(&self) -> &A {
        &self.inner
    }
}

// SAFETY: every method forwards to `A` with the caller's arguments unchanged and
// returns `A`'s result; the bookkeeping around it neither allocates (which
// would recurse) nor unwinds (which is undefined behaviour in an allocator).
unsafe impl<A: GlobalAlloc> GlobalAlloc for GuardedAlloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if state::armed() {
            state::on_event(AllocOp::Alloc, layout.size());
        }
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract for `layout`.
        unsafe { self.inner.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if state::armed() {
            state::on_event(AllocOp::AllocZeroed, layout.size());
        }
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        unsafe { self.inner.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if state::armed() {
            state::on_event(AllocOp::Realloc, new_size);
        }
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract: `ptr`
        // came from this allocator (hence from `A`) with `layout`.
        unsafe { self.inner.realloc(ptr, layout, new_size) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if state::armed() {
            state::on_event(AllocOp::Dealloc, layout.size());
        }
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract: `ptr`
        // came from this allocator (hence from `A`) with `layout`.
        unsafe { self.inner.dealloc(ptr, layout) }
    }
}
