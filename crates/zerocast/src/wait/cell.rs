//! [`WaitCell`]: one waker, registered by one waiter, woken by anyone.
//!
//! The state machine follows the well-known `AtomicWaker` design (futures-rs):
//! a `REGISTERING` and a `WAKING` lock bit guard the stored waker, and whoever
//! loses a race hands the wake-up to the winner instead of dropping it.

use core::fmt;
use core::task::Waker;

use crate::sync::{AtomicUsize, Ordering, UnsafeCell};

/// The waiter holds the slot to store its waker.
const REGISTERING: usize = 0b001;
/// A notifier holds the slot to take the waker out.
const WAKING: usize = 0b010;
/// A waker is stored (changed only by a lock holder).
const WAITER: usize = 0b100;

/// A single-waiter slot: the latest registered waker, woken at most once per
/// registration, without allocating and without losing a wake-up.
///
/// One party registers (a channel's receiving handle, behind `&mut self`);
/// any number may wake.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::task::{Context, Poll};
/// use zerocast::wait::WaitCell;
///
/// let ready = AtomicBool::new(false);
/// let cell = WaitCell::new();
/// let mut poll_ready = |cx: &mut Context<'_>| {
///     if ready.load(Ordering::Acquire) {
///         return Poll::Ready(());
///     }
///     cell.register(cx.waker());
///     // Check again: a notification may have come before the registration.
///     if ready.load(Ordering::Acquire) { Poll::Ready(()) } else { Poll::Pending }
/// };
/// let mut cx = Context::from_waker(std::task::Waker::noop());
/// assert!(poll_ready(&mut cx).is_pending());
/// ready.store(true, Ordering::Release);
/// cell.wake();
/// assert!(poll_ready(&mut cx).is_ready());
/// ```
pub struct WaitCell {
    /// `REGISTERING | WAKING | WAITER` bits; see the constants.
    state: AtomicUsize,
    /// Accessed only by the holder of `REGISTERING` or `WAKING`.
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the waker is only touched by the holder of one of the two lock bits,
// which are taken with compare-and-swap; `Waker` is `Send + Sync`.
unsafe impl Send for WaitCell {}
// SAFETY: as above: all shared access goes through the lock bits.
unsafe impl Sync for WaitCell {}

impl WaitCell {
    crate::sync::const_unless_loom! {
        /// An empty slot.
        pub fn new() -> Self {
            Self {
                state: AtomicUsize::new(0),
                waker: UnsafeCell::new(None),
            }
        }
    }

    /// Stores `waker` as the one to wake (replacing any earlier one), unless a
    /// wake-up is in progress, in which case `waker` is woken at once.
    ///
    /// After registering, the caller must check its condition again before
    /// returning `Pending` (see the [module docs](super)).
    pub fn register(&self, waker: &Waker) {
        let mut current = self.state.load(Ordering::Relaxed);
        loop {
            if current & (REGISTERING | WAKING) != 0 {
                // A notifier owns the slot for a few instructions: its wake-up
                // is ours. The task is polled again at once, so this is a
                // (short) spin.
                crate::sync::spin_hint();
                waker.wake_by_ref();
                return;
            }
            match self.state.compare_exchange_weak(
                current,
                current | REGISTERING,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        // SAFETY: this thread holds REGISTERING, so no one else touches the slot.
        self.waker.with_mut(|slot| unsafe {
            match &*slot {
                Some(stored) if stored.will_wake(waker) => {}
                _ => *slot = Some(waker.clone()),
            }
        });
        // Release the lock and mark a waiter stored. AcqRel: the release half
        // publishes the stored waker to the next notifier; the acquire half
        // makes everything published before an earlier notification visible to
        // the caller's second check.
        let locked = (current & WAITER) | REGISTERING;
        if let Err(actual) =
            self.state
                .compare_exchange(locked, WAITER, Ordering::AcqRel, Ordering::Acquire)
        {
            // A notifier set WAKING while we held the slot and backed off:
            // hand its wake-up to the waker we just stored.
            debug_assert_eq!(actual & WAKING, WAKING);
            // SAFETY: REGISTERING is still ours (the notifier backed off).
            let stored = self.waker.with_mut(|slot| unsafe { (*slot).take() });
            // An RMW, not a store: a plain store would cut the release
            // sequence of the notifications that came before it.
            self.state.swap(0, Ordering::AcqRel);
            if let Some(w) = stored {
                w.wake();
            }
        }
    }

    /// Wakes the registered waker, if any, and empties the slot.
    ///
    /// Costs one read-modify-write when nobody waits.
    #[inline]
    pub fn wake(&self) {
        // An RMW, not a load: it orders this notification against the
        // waiter's registration (see the module docs).
        let state = self.state.fetch_add(0, Ordering::AcqRel);
        if state & WAITER != 0 {
            self.wake_stored();
        }
    }

    /// Wakes and takes the stored waker, skipping [`wake`](Self::wake)'s check
    /// for one: for a caller that already knows a waiter registered (a
    /// [`WakerSet`](super::WakerSet) whose mask bit was set). If none is stored
    /// after all, it does nothing.
    /// Wakes the registered waiter, if any, for a notifier that put
    /// [`fence::light`](super::fence::light) between its store and this call;
    /// its waiter registers with [`register_fenced`](Self::register_fenced).
    /// A plain load where [`wake`](Self::wake) needs a read-modify-write: the
    /// fences order it against the registration instead.
    #[inline]
    pub(crate) fn wake_fenced(&self) {
        if self.state.load(Ordering::Relaxed) & WAITER != 0 {
            self.wake_stored();
        }
    }

    /// [`register`](Self::register), then [`fence::heavy`](super::fence::heavy):
    /// for a waiter whose notifier wakes it with
    /// [`wake_fenced`](Self::wake_fenced). Check again after this, as after
    /// `register`.
    pub(crate) fn register_fenced(&self, waker: &Waker) {
        self.register(waker);
        super::fence::heavy();
    }

    #[inline]
    pub(super) fn wake_stored(&self) {
        let previous = self.state.fetch_or(WAKING, Ordering::AcqRel);
        if previous & (REGISTERING | WAKING) != 0 {
            // The registrant (or another notifier) will deliver this wake-up.
            return;
        }
        // SAFETY: this thread holds WAKING, so no one else touches the slot.
        let stored = self.waker.with_mut(|slot| unsafe { (*slot).take() });
        // An RMW, not a store: other notifiers that backed off while we held
        // WAKING published before their RMW; a plain store would cut that
        // release sequence and the waiter's next registration could miss it
        // (found by the loom model `cell_two_notifiers_and_a_re_registering_waiter`).
        self.state.fetch_and(!(WAKING | WAITER), Ordering::AcqRel);
        if let Some(w) = stored {
            w.wake();
        }
    }

    /// Whether a waker is stored (a snapshot, for diagnostics and tests).
    pub fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) & WAITER != 0
    }
}

impl Default for WaitCell {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WaitCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitCell")
            .field("waiting", &self.is_waiting())
            .finish()
    }
}
