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

/// A `u64` whose type has a drop. A multicast channel of values that need no
/// drop gates on the subscribers' positions; one of values that need one
/// keeps a count per slot: the multicast tests run with `u64` and with this,
/// to cover both.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Dropping(pub(crate) u64);

impl Drop for Dropping {
    fn drop(&mut self) {
        std::hint::black_box(self.0);
    }
}

impl From<u64> for Dropping {
    fn from(v: u64) -> Self {
        Self(v)
    }
}

/// What the multicast tests need of a value.
pub(crate) trait Value:
    From<u64> + Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static
{
}

impl<T: From<u64> + Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static> Value for T {}
