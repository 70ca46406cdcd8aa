//! Per-thread enforcement and counting state, and the global armed count.
//!
//! Everything the allocator reads lives in one const-initialised
//! `thread_local!` of `Cell`s: no lazy initialisation and no destructor, so
//! reading it never allocates and works during thread teardown (where
//! `try_with` fails, the thread counts as "not guarded, not counting").
//!
//! `ARMED` counts the guards and counting scopes alive on all threads. While it
//! is zero the allocator forwards after one relaxed load; the load is relaxed
//! because a thread only ever needs to see its *own* increments, which program
//! order already guarantees.

use core::cell::Cell;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::count::AllocStats;
use crate::report::{self, AllocOp, Violation};
use crate::Mode;

/// Guards and counting scopes alive on all threads.
static ARMED: AtomicUsize = AtomicUsize::new(0);

/// Violations recorded on all threads since start-up.
static TOTAL_VIOLATIONS: AtomicU64 = AtomicU64::new(0);

/// The policy of the innermost active section on a thread.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Section {
    pub(crate) name: &'static str,
    pub(crate) mode: Mode,
    pub(crate) deny_dealloc: bool,
}

/// What one section has recorded but not yet reported.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pending {
    /// The first violation of the section.
    pub(crate) first: Option<Violation>,
    /// How many more followed it.
    pub(crate) more: u64,
}

pub(crate) struct ThreadState {
    /// Guards plus counting scopes alive on this thread: the one load that
    /// tells the allocator whether this thread needs any bookkeeping.
    pub(crate) scopes: Cell<u32>,
    /// The innermost active section; `None` when no guard is alive here.
    /// Guards save the outer value on entry and restore it on exit (a stack
    /// threaded through the guards themselves, so nesting costs no storage).
    pub(crate) section: Cell<Option<Section>>,
    /// Violations of the innermost section, reported when it ends. Like
    /// `section`, an outer section's pending record is saved by the inner guard.
    pub(crate) pending: Cell<Pending>,
    /// Depth of `allow_alloc` scopes; while non-zero nothing is a violation.
    pub(crate) allowed: Cell<u32>,
    /// Depth of `count_allocs` scopes; while non-zero `stats` advances.
    pub(crate) counting: Cell<u32>,
    /// Running totals while counting (monotonic, so nested scopes subtract).
    pub(crate) stats: Cell<AllocStats>,
    /// Violations recorded on this thread since it started.
    pub(crate) violations: Cell<u64>,
    /// The most recent violation on this thread.
    pub(crate) last: Cell<Option<Violation>>,
}

thread_local! {
    static STATE: ThreadState = const {
        ThreadState {
            scopes: Cell::new(0),
            section: Cell::new(None),
            pending: Cell::new(Pending { first: None, more: 0 }),
            allowed: Cell::new(0),
            counting: Cell::new(0),
            stats: Cell::new(AllocStats::ZERO),
            violations: Cell::new(0),
            last: Cell::new(None),
        }
    };
}

/// Runs `f` on this thread's state; `None` during thread teardown.
#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&ThreadState) -> R) -> Option<R> {
    STATE.try_with(f).ok()
}

/// Marks one more guard or counting scope alive on the thread of `s`.
#[inline]
pub(crate) fn arm(s: &ThreadState) {
    s.scopes.set(s.scopes.get() + 1);
    ARMED.fetch_add(1, Ordering::Relaxed);
}

/// Marks one guard or counting scope of the thread of `s` ended.
#[inline]
pub(crate) fn disarm(s: &ThreadState) {
    s.scopes.set(s.scopes.get() - 1);
    ARMED.fetch_sub(1, Ordering::Relaxed);
}

/// Whether any thread has a guard or counting scope alive.
#[inline(always)]
pub(crate) fn armed() -> bool {
    ARMED.load(Ordering::Relaxed) != 0
}

/// Violations recorded on all threads since start-up.
pub(crate) fn total_violations() -> u64 {
    TOTAL_VIOLATIONS.load(Ordering::Relaxed)
}

/// Called by the allocator, only while [`armed`]: one thread-local load when
/// this thread has no scope alive. Never allocates, never unwinds; in
/// [`Mode::Abort`] it does not return.
#[inline]
pub(crate) fn on_event(op: AllocOp, size: usize) {
    let _ = with(|s| {
        if s.scopes.get() != 0 {
            record(s, op, size);
        }
    });
}

/// The bookkeeping of a thread with a guard or counting scope alive.
#[inline(never)]
fn record(s: &ThreadState, op: AllocOp, size: usize) {
    if s.counting.get() != 0 {
        s.stats.set(s.stats.get().with(op, size));
    }
    let Some(section) = s.section.get() else {
        return;
    };
    if s.allowed.get() != 0 || (op == AllocOp::Dealloc && !section.deny_dealloc) {
        return;
    }
    // Allocations made while unwinding belong to the panic machinery (the
    // payload box, the message), not to the section being left.
    if std::thread::panicking() {
        return;
    }
    let violation = Violation {
        op,
        size,
        section: section.name,
    };
    s.violations.set(s.violations.get() + 1);
    s.last.set(Some(violation));
    TOTAL_VIOLATIONS.fetch_add(1, Ordering::Relaxed);
    let mut pending = s.pending.get();
    match pending.first {
        None => pending.first = Some(violation),
        Some(_) => pending.more += 1,
    }
    s.pending.set(pending);
    if section.mode == Mode::Abort {
        report::abort(&violation);
    }
}
