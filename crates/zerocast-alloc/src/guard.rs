//! Hot-path sections: [`HotPathGuard`], its [`GuardOptions`], [`Mode`] and
//! [`allow_alloc`].
//!
//! A section is entered by creating a guard and ends when the guard drops.
//! Sections nest: the inner guard saves the outer section's policy and pending
//! violations on entry and restores them on exit, so the innermost section is
//! named in reports and the outer one stays enforced after the inner ends.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicU8, Ordering};

use crate::report::Report;
use crate::state::{self, Pending, Section};

/// What a section does with an allocation made inside it.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::{GuardOptions, GuardedAlloc, Mode};
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// fn main() {
///     let caught = std::panic::catch_unwind(|| {
///         let _hot = GuardOptions::new().mode(Mode::Panic).enter("tick");
///         let _ = Box::new(1u32);
///     });
///     # if zerocast_alloc::ENFORCING {
///     assert!(caught.is_err()); // panicked as the section ended
///     # }
///     # let _ = caught;
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Record it and panic when the section ends, with a message that contains
    /// `ALLOCATION IN HOT PATH`, the section, the operation and the size. The
    /// default. (The allocator itself never unwinds.)
    Panic,
    /// Record and count it only; read the records with
    /// [`violation_count`](crate::violation_count) and
    /// [`last_violation`](crate::last_violation).
    Count,
    /// Write the report to standard error with a raw `write(2)` and abort the
    /// process at once, inside the offending allocation (for violations that
    /// must not continue, and for finding the call site in a debugger).
    Abort,
}

impl Mode {
    const fn to_u8(self) -> u8 {
        match self {
            Mode::Panic => 0,
            Mode::Count => 1,
            Mode::Abort => 2,
        }
    }

    const fn from_u8(v: u8) -> Mode {
        match v {
            1 => Mode::Count,
            2 => Mode::Abort,
            _ => Mode::Panic,
        }
    }
}

static DEFAULT_MODE: AtomicU8 = AtomicU8::new(Mode::Panic.to_u8());

/// Sets the mode of sections entered from now on without an explicit mode.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::{default_mode, set_default_mode, Mode};
///
/// set_default_mode(Mode::Count);
/// assert_eq!(default_mode(), Mode::Count);
/// set_default_mode(Mode::Panic);
/// ```
pub fn set_default_mode(mode: Mode) {
    DEFAULT_MODE.store(mode.to_u8(), Ordering::Relaxed);
}

/// The mode of sections entered without an explicit mode ([`Mode::Panic`]
/// unless changed with [`set_default_mode`]).
///
/// # Examples
///
/// ```
/// assert_eq!(zerocast_alloc::default_mode(), zerocast_alloc::Mode::Panic);
/// ```
pub fn default_mode() -> Mode {
    Mode::from_u8(DEFAULT_MODE.load(Ordering::Relaxed))
}

/// Whether [`HotPathGuard`], `#[hot_path]` and `no_alloc` enforce in this build:
/// `true` with debug assertions or the `enforce` feature. ([`count_allocs`] and
/// [`assert_no_alloc`] work in every build.)
///
/// [`count_allocs`]: crate::count_allocs
/// [`assert_no_alloc`]: crate::assert_no_alloc
///
/// # Examples
///
/// A check that holds in every build: a guarded allocation is reported
/// exactly where guards enforce.
///
/// ```
/// use zerocast_alloc::{GuardOptions, GuardedAlloc, Mode};
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// fn main() {
///     let before = zerocast_alloc::violation_count();
///     {
///         let _hot = GuardOptions::new().mode(Mode::Count).enter("tick");
///         std::hint::black_box(Box::new(1u8));
///     }
///     let reported = zerocast_alloc::violation_count() > before;
///     assert_eq!(reported, zerocast_alloc::ENFORCING);
/// }
/// ```
pub const ENFORCING: bool = cfg!(any(debug_assertions, feature = "enforce"));

/// The policy of a section: its [`Mode`] and whether freeing is also forbidden.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::{GuardOptions, Mode};
///
/// let guard = GuardOptions::new().mode(Mode::Count).deny_dealloc().enter("ingest::tick");
/// drop(guard);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GuardOptions {
    mode: Option<Mode>,
    deny_dealloc: bool,
}

impl GuardOptions {
    /// The default policy: the [`default_mode`] at entry, deallocation allowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast_alloc::GuardOptions;
    ///
    /// assert_eq!(GuardOptions::new(), GuardOptions::default());
    /// ```
    pub const fn new() -> Self {
        Self {
            mode: None,
            deny_dealloc: false,
        }
    }

    /// Uses `mode` instead of the default mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast_alloc::{GuardOptions, GuardedAlloc, Mode};
    ///
    /// #[global_allocator]
    /// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
    ///
    /// fn main() {
    ///     let before = zerocast_alloc::violation_count();
    ///     {
    ///         let _hot = GuardOptions::new().mode(Mode::Count).enter("tick");
    ///         let _ = Box::new(1u8); // counted, not a panic
    ///     }
    ///     # if zerocast_alloc::ENFORCING {
    ///     assert_eq!(zerocast_alloc::violation_count() - before, 1);
    ///     # }
    /// }
    /// ```
    #[must_use]
    pub const fn mode(mut self, mode: Mode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Treats deallocation as a violation too (freeing can take locks and
    /// return memory to the OS, which some latency budgets cannot afford).
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast_alloc::{GuardOptions, GuardedAlloc, Mode};
    ///
    /// #[global_allocator]
    /// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
    ///
    /// fn main() {
    ///     let boxed = Box::new(1u64);
    ///     let before = zerocast_alloc::violation_count();
    ///     {
    ///         let _hot = GuardOptions::new().mode(Mode::Count).deny_dealloc().enter("tick");
    ///         drop(boxed); // a free is a violation too now
    ///     }
    ///     # if zerocast_alloc::ENFORCING {
    ///     assert_eq!(zerocast_alloc::violation_count() - before, 1);
    ///     assert_eq!(zerocast_alloc::last_violation().unwrap().op.as_str(), "dealloc");
    ///     # }
    /// }
    /// ```
    #[must_use]
    pub const fn deny_dealloc(mut self) -> Self {
        self.deny_dealloc = true;
        self
    }

    /// Enters a section with this policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast_alloc::{GuardOptions, GuardedAlloc};
    ///
    /// #[global_allocator]
    /// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
    ///
    /// fn main() {
    ///     let mut ring = Vec::with_capacity(8);
    ///     let _hot = GuardOptions::new().enter("fill"); // the section ends when this drops
    ///     ring.extend_from_slice(&[1u8, 2, 3]); // within capacity: no allocation
    /// }
    /// ```
    #[inline]
    pub fn enter(self, section: &'static str) -> HotPathGuard {
        #[cfg(not(any(debug_assertions, feature = "enforce")))]
        let _ = (self, section);
        HotPathGuard {
            #[cfg(any(debug_assertions, feature = "enforce"))]
            scope: Scope::enter(self.section(section)),
            _not_send: PhantomData,
        }
    }

    pub(crate) fn section(self, name: &'static str) -> Section {
        Section {
            name,
            mode: match self.mode {
                Some(mode) => mode,
                None => default_mode(),
            },
            deny_dealloc: self.deny_dealloc,
        }
    }
}

/// An active hot-path section: while it lives, any allocation on this thread
/// is a violation, handled by the section's [`Mode`] when the guard drops.
///
/// Only the creating thread is affected: allocations on other threads are
/// never flagged, and the guard is `!Send` so it cannot end on another thread.
/// Guards nest; drop them in reverse order of creation (as scopes do).
///
/// Enforcing in builds with debug assertions or the `enforce` feature (see
/// [`ENFORCING`]); elsewhere a guard is a zero-sized no-op.
///
/// Requires [`GuardedAlloc`](crate::GuardedAlloc) as the global allocator.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::{GuardedAlloc, HotPathGuard};
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// fn main() {
///     let mut buf = Vec::with_capacity(16);
///     {
///         let _hot = HotPathGuard::enter("parse");
///         buf.push(1u8); // fits: no allocation, no violation
///     }
///     let caught = std::panic::catch_unwind(|| {
///         let _hot = HotPathGuard::enter("parse");
///         let _ = Box::new(42u64);
///     });
///     # if zerocast_alloc::ENFORCING {
///     let message = caught.unwrap_err().downcast::<String>().unwrap();
///     assert!(message.contains("ALLOCATION IN HOT PATH: alloc of 8 bytes in section `parse`"));
///     # }
/// }
/// ```
///
/// A guard cannot be sent to another thread:
///
/// ```compile_fail
/// let guard = zerocast_alloc::HotPathGuard::enter("x");
/// std::thread::spawn(move || drop(guard));
/// ```
///
/// # Panics
///
/// In [`Mode::Panic`], dropping the guard panics if its section allocated —
/// unless the thread is already panicking, in which case the violation is only
/// counted (no double panic).
#[must_use = "the section ends when the guard is dropped"]
pub struct HotPathGuard {
    #[cfg(any(debug_assertions, feature = "enforce"))]
    scope: Scope,
    _not_send: PhantomData<*const ()>,
}

impl HotPathGuard {
    /// Enters the section `section` with the default [`GuardOptions`].
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast_alloc::{GuardedAlloc, HotPathGuard};
    ///
    /// #[global_allocator]
    /// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
    ///
    /// fn main() {
    ///     let x = [3u32, 1, 2];
    ///     let _hot = HotPathGuard::enter("max");
    ///     assert_eq!(x.iter().max(), Some(&3));
    /// }
    /// ```
    #[inline]
    pub fn enter(section: &'static str) -> HotPathGuard {
        GuardOptions::new().enter(section)
    }

    /// The builder for a section with another policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use zerocast_alloc::{HotPathGuard, Mode};
    ///
    /// let _hot = HotPathGuard::options().mode(Mode::Count).enter("tick");
    /// ```
    pub const fn options() -> GuardOptions {
        GuardOptions::new()
    }
}

impl core::fmt::Debug for HotPathGuard {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut d = f.debug_struct("HotPathGuard");
        #[cfg(any(debug_assertions, feature = "enforce"))]
        d.field("section", &self.scope.section.map(|s| s.name));
        d.field("enforcing", &ENFORCING).finish()
    }
}

/// The always-on mechanism behind [`HotPathGuard`] and
/// [`assert_no_alloc`](crate::assert_no_alloc).
pub(crate) struct Scope {
    /// This scope's own section; `None` if the thread was being torn down.
    section: Option<Section>,
    /// The outer section and its pending violations, restored on drop.
    saved: Option<(Option<Section>, Pending)>,
    _not_send: PhantomData<*const ()>,
}

impl Scope {
    #[inline]
    pub(crate) fn enter(section: Section) -> Scope {
        let saved = state::with(|s| {
            let outer = s.section.replace(Some(section));
            let pending = s.pending.replace(Pending::default());
            state::arm(s);
            (outer, pending)
        });
        Scope {
            section: saved.map(|_| section),
            saved,
            _not_send: PhantomData,
        }
    }
}

impl Drop for Scope {
    #[inline]
    fn drop(&mut self) {
        let Some((outer, outer_pending)) = self.saved else {
            return;
        };
        let mine = state::with(|s| {
            s.section.set(outer);
            state::disarm(s);
            s.pending.replace(outer_pending)
        });
        let (Some(pending), Some(section)) = (mine, self.section) else {
            return;
        };
        if let Some(first) = pending.first {
            // The section has ended, so the panic's own allocations are not
            // flagged here; an outer section ignores them too (see `on_event`).
            if section.mode == crate::Mode::Panic && !std::thread::panicking() {
                panic!(
                    "{}",
                    Report {
                        first,
                        more: pending.more
                    }
                );
            }
        }
    }
}

/// Runs `f` with allocation permitted on this thread, inside any section.
///
/// For the rare intended allocation in a hot path (a slow path that grows a
/// buffer once, logging an error). Scopes nest.
///
/// # Examples
///
/// ```
/// use zerocast_alloc::{allow_alloc, assert_no_alloc, GuardedAlloc};
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// fn main() {
///     let v = assert_no_alloc(|| allow_alloc(|| vec![1, 2, 3]));
///     assert_eq!(v.len(), 3);
/// }
/// ```
pub fn allow_alloc<R>(f: impl FnOnce() -> R) -> R {
    struct Allowed;
    impl Drop for Allowed {
        fn drop(&mut self) {
            let _ = state::with(|s| s.allowed.set(s.allowed.get() - 1));
        }
    }
    let entered = state::with(|s| s.allowed.set(s.allowed.get() + 1)).map(|()| Allowed);
    let result = f();
    drop(entered);
    result
}
