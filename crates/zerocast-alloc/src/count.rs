//! Allocation counting: [`count_allocs`], [`AllocStats`] and [`assert_no_alloc`].

use crate::guard::{GuardOptions, Mode, Scope};
use crate::report::AllocOp;
use crate::state;

/// Allocator calls made by one thread during a [`count_allocs`] scope.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::AllocStats;
///
/// let stats = AllocStats { allocs: 2, reallocs: 1, deallocs: 3, bytes: 96 };
/// assert_eq!(stats.allocations(), 3);
/// assert!(!stats.is_zero());
/// assert!(AllocStats::default().is_zero());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AllocStats {
    /// Calls to `alloc` and `alloc_zeroed`.
    pub allocs: u64,
    /// Calls to `realloc`.
    pub reallocs: u64,
    /// Calls to `dealloc`.
    pub deallocs: u64,
    /// Bytes requested by `alloc`, `alloc_zeroed` and `realloc` (its new size).
    pub bytes: u64,
}

impl AllocStats {
    /// No calls at all.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast_alloc::{count_allocs, AllocStats, GuardedAlloc};
    ///
    /// #[global_allocator]
    /// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
    ///
    /// fn main() {
    ///     let ((), stats) = count_allocs(|| {
    ///         let _ = (1..10u32).sum::<u32>();
    ///     });
    ///     assert_eq!(stats, AllocStats::ZERO); // counting works in every build
    /// }
    /// ```
    pub const ZERO: AllocStats = AllocStats {
        allocs: 0,
        reallocs: 0,
        deallocs: 0,
        bytes: 0,
    };

    /// Calls that obtained memory: `allocs + reallocs`.
    ///
    /// # Examples
    ///
    /// ```
    /// let stats = zerocast_alloc::AllocStats { allocs: 2, reallocs: 1, deallocs: 3, bytes: 96 };
    /// assert_eq!(stats.allocations(), 3);
    /// ```
    pub const fn allocations(&self) -> u64 {
        self.allocs + self.reallocs
    }

    /// Whether no memory was obtained (frees are not counted here).
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast_alloc::AllocStats;
    ///
    /// assert!(AllocStats::ZERO.is_zero());
    /// let frees_only = AllocStats { deallocs: 1, ..AllocStats::ZERO };
    /// assert!(frees_only.is_zero()); // frees obtain no memory
    /// ```
    pub const fn is_zero(&self) -> bool {
        self.allocations() == 0
    }

    /// These totals plus one call.
    pub(crate) const fn with(mut self, op: AllocOp, size: usize) -> AllocStats {
        match op {
            AllocOp::Alloc | AllocOp::AllocZeroed => {
                self.allocs += 1;
                self.bytes += size as u64;
            }
            AllocOp::Realloc => {
                self.reallocs += 1;
                self.bytes += size as u64;
            }
            AllocOp::Dealloc => self.deallocs += 1,
        }
        self
    }

    /// What was added since `earlier` (a snapshot of the same running totals).
    const fn since(self, earlier: AllocStats) -> AllocStats {
        AllocStats {
            allocs: self.allocs - earlier.allocs,
            reallocs: self.reallocs - earlier.reallocs,
            deallocs: self.deallocs - earlier.deallocs,
            bytes: self.bytes - earlier.bytes,
        }
    }
}

impl core::ops::Add for AllocStats {
    type Output = AllocStats;

    /// The calls of both, for example of two threads of one scenario.
    ///
    /// ```
    /// use zerocast_alloc::AllocStats;
    /// let a = AllocStats { allocs: 1, reallocs: 0, deallocs: 1, bytes: 8 };
    /// assert_eq!((a + a).bytes, 16);
    /// ```
    fn add(self, other: AllocStats) -> AllocStats {
        AllocStats {
            allocs: self.allocs + other.allocs,
            reallocs: self.reallocs + other.reallocs,
            deallocs: self.deallocs + other.deallocs,
            bytes: self.bytes + other.bytes,
        }
    }
}

impl core::ops::AddAssign for AllocStats {
    fn add_assign(&mut self, other: AllocStats) {
        *self = *self + other;
    }
}

/// Runs `f` and returns what it allocated **on this thread**.
///
/// Other threads — the test harness, a runtime's workers, a logger — cannot
/// pollute the figure. Counting works in every build (it does not depend on
/// [`ENFORCING`](crate::ENFORCING)); scopes nest. Requires
/// [`GuardedAlloc`](crate::GuardedAlloc) as the global allocator (otherwise
/// every figure is zero).
///
/// # Examples
///
/// Gate your CI on zero allocations per message: warm up, then count a
/// steady-state loop and divide.
///
/// ```
/// use zerocast_alloc::{count_allocs, GuardedAlloc};
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// fn main() {
///     let mut queue = std::collections::VecDeque::with_capacity(64);
///     let mut step = |i: u64| {
///         queue.push_back(i);
///         queue.pop_front()
///     };
///     for i in 0..1_000 {
///         step(i); // warm-up: anything lazy happens here
///     }
///     let messages = 10_000;
///     let ((), stats) = count_allocs(|| {
///         for i in 0..messages {
///             step(i);
///         }
///     });
///     let per_message = stats.allocations() as f64 / messages as f64;
///     assert_eq!(per_message, 0.0, "{stats:?}");
/// }
/// ```
pub fn count_allocs<R>(f: impl FnOnce() -> R) -> (R, AllocStats) {
    struct Counting;
    impl Drop for Counting {
        fn drop(&mut self) {
            let _ = state::with(|s| {
                s.counting.set(s.counting.get() - 1);
                state::disarm(s);
            });
        }
    }
    let before = state::with(|s| {
        s.counting.set(s.counting.get() + 1);
        state::arm(s);
        s.stats.get()
    });
    let counting = before.map(|_| Counting);
    let result = f();
    let after = state::with(|s| s.stats.get());
    drop(counting);
    let stats = match (before, after) {
        (Some(before), Some(after)) => after.since(before),
        _ => AllocStats::ZERO,
    };
    (result, stats)
}

/// Runs `f` as a [`Mode::Panic`] section named `assert_no_alloc`, in every
/// build (regardless of [`ENFORCING`](crate::ENFORCING)).
///
/// # Panics
///
/// When `f` returns, if it allocated on this thread; the message contains
/// `ALLOCATION IN HOT PATH`, the operation and the size.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::{assert_no_alloc, GuardedAlloc};
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// fn main() {
///     let mut buf = [0u8; 64];
///     let n = assert_no_alloc(|| {
///         buf[..5].copy_from_slice(b"hello");
///         5
///     });
///     assert_eq!(n, 5);
///     assert!(std::panic::catch_unwind(|| assert_no_alloc(|| vec![1u8])).is_err());
/// }
/// ```
pub fn assert_no_alloc<R>(f: impl FnOnce() -> R) -> R {
    let scope = Scope::enter(
        GuardOptions::new()
            .mode(Mode::Panic)
            .section("assert_no_alloc"),
    );
    let result = f();
    // Ended before returning: if the report panics, `result` is still a local
    // and is dropped while unwinding (a return value would be leaked).
    drop(scope);
    result
}
