//! Asymmetric fences: a nearly free [`light`] fence for the side that runs on
//! every message, a costly [`heavy`] one for the side that is about to sleep.
//!
//! A channel whose two sides wait for each other is a Dekker pair: the
//! notifier stores its new position and then loads the waiter's state; the
//! waiter stores its state (registers) and then loads the position. Each side
//! needs a store→load barrier between the two, or both can miss the other's
//! store and a wake-up is lost. A `SeqCst` fence (or an RMW) per message is
//! that barrier, and on x86-64 it waits for the store buffer to drain: with
//! the other core reading the line just written, that is a cache-line round
//! trip on every push and pop.
//!
//! On Linux `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` runs a full memory
//! barrier on every CPU that is running one of this process's threads, so the
//! waiter's `heavy` fence stands in for the notifier's barrier as well and the
//! notifier's `light` fence only has to stop the compiler from reordering.
//! The waiter pays a system call (about 0.1 µs here with the other side idle,
//! 5 µs with it running: an inter-processor interrupt) each time it goes to
//! sleep; the notifier pays nothing per message.
//!
//! The process registers once, in [`init`], which every channel using these
//! fences calls before it hands out its handles: handles reach other threads
//! only after that (a spawn or a channel orders them), so both sides of a
//! channel read the same, final `membarrier::STATE`. Where the system call is missing
//! (not Linux, no `std`, an old kernel, a seccomp filter), under Miri and
//! under loom, both fences are plain `SeqCst` fences: correct everywhere,
//! fast where the kernel helps.

use crate::sync::{fence, Ordering};

#[cfg(all(feature = "std", target_os = "linux", not(zerocast_loom), not(miri)))]
mod membarrier {
    use core::sync::atomic::{AtomicU8, Ordering};

    /// Not asked yet.
    const UNKNOWN: u8 = 0;
    /// Registered: `heavy` is the system call, `light` a compiler fence.
    const ON: u8 = 1;
    /// Unavailable: both are `SeqCst` fences.
    const OFF: u8 = 2;

    /// `MEMBARRIER_CMD_PRIVATE_EXPEDITED` (linux/membarrier.h).
    const PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    /// `MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED` (linux/membarrier.h).
    const REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

    /// Whether this process may use the expedited barrier.
    pub(super) static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

    fn call(command: libc::c_long) -> bool {
        // SAFETY: membarrier takes two integers and touches no memory of ours.
        unsafe { libc::syscall(libc::SYS_membarrier, command, 0 as libc::c_long) == 0 }
    }

    pub(super) fn init() {
        if STATE.load(Ordering::Relaxed) == UNKNOWN {
            let state = if call(REGISTER_PRIVATE_EXPEDITED) {
                ON
            } else {
                OFF
            };
            // The first answer stands, even if a racing first call got
            // another one: a channel may already rely on it. (Either is
            // sound on its own: ON means this process is registered.)
            let _ = STATE.compare_exchange(UNKNOWN, state, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    #[inline(always)]
    pub(super) fn on() -> bool {
        STATE.load(Ordering::Relaxed) == ON
    }

    pub(super) fn heavy() {
        // Registered, so the command is valid and permitted: it cannot fail.
        let done = call(PRIVATE_EXPEDITED);
        debug_assert!(done, "membarrier failed after registering");
    }
}

/// Makes the fast path of [`light`] available to channels created after this
/// call (one system call in the first call of the process, a load after).
#[inline]
pub(crate) fn init() {
    #[cfg(all(feature = "std", target_os = "linux", not(zerocast_loom), not(miri)))]
    membarrier::init();
}

/// The notifier's barrier, between storing its position and loading the
/// waiter's state. Pairs with [`heavy`] on the waiter's side.
#[inline(always)]
pub(crate) fn light() {
    #[cfg(all(feature = "std", target_os = "linux", not(zerocast_loom), not(miri)))]
    if membarrier::on() {
        core::sync::atomic::compiler_fence(Ordering::SeqCst);
        return;
    }
    fence(Ordering::SeqCst);
}

/// The waiter's barrier, between registering and checking again. Pairs with
/// [`light`] on the notifier's side.
#[cold]
pub(crate) fn heavy() {
    #[cfg(all(feature = "std", target_os = "linux", not(zerocast_loom), not(miri)))]
    if membarrier::on() {
        membarrier::heavy();
        return;
    }
    fence(Ordering::SeqCst);
}

#[cfg(all(
    test,
    feature = "std",
    target_os = "linux",
    not(zerocast_loom),
    not(miri)
))]
mod tests {
    use core::sync::atomic::Ordering;

    #[test]
    fn init_settles_the_state_and_both_fences_run() {
        super::init();
        let state = super::membarrier::STATE.load(Ordering::Relaxed);
        assert_ne!(state, 0, "init asked the kernel");
        super::light();
        super::heavy();
        super::init();
        assert_eq!(
            super::membarrier::STATE.load(Ordering::Relaxed),
            state,
            "asked once"
        );
    }
}
