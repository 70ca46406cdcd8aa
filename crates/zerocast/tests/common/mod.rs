//! Shared by the integration tests: the guarded allocator and a waker that
//! records wake-ups without allocating.
#![allow(dead_code)] // each test binary uses its own subset

use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{RawWaker, RawWakerVTable, Waker};

use zerocast_alloc::GuardedAlloc;

#[global_allocator]
static GLOBAL: GuardedAlloc = GuardedAlloc::system();

/// Counts the wake-ups of a [`CountingWaker`]; lives in a `static` so the
/// waker needs no allocation.
pub(crate) struct WakeCount(AtomicUsize);

impl WakeCount {
    pub(crate) const fn new() -> Self {
        Self(AtomicUsize::new(0))
    }

    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// A waker that increments this count (no allocation: it points at `self`).
    pub(crate) fn waker(&'static self) -> Waker {
        const VTABLE: RawWakerVTable = RawWakerVTable::new(
            |p| RawWaker::new(p, &VTABLE),
            |p| {
                // SAFETY: `p` is the `&'static WakeCount` this waker was made from.
                unsafe { &*(p as *const WakeCount) }
                    .0
                    .fetch_add(1, Ordering::SeqCst);
            },
            |p| {
                // SAFETY: as above.
                unsafe { &*(p as *const WakeCount) }
                    .0
                    .fetch_add(1, Ordering::SeqCst);
            },
            |_| {},
        );
        // SAFETY: the vtable's functions uphold the RawWaker contract for a
        // pointer to a `'static` count (clone copies it, drop does nothing).
        unsafe { Waker::from_raw(RawWaker::new(self as *const Self as *const (), &VTABLE)) }
    }
}
