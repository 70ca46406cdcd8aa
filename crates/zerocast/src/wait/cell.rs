//! [`WaitCell`]: one waker, registered by one waiter, woken by anyone.
//!
//! The state machine follows the well-known `AtomicWaker` design (futures-rs):
//! a `REGISTERING` and a `WAKING` lock bit guard the stored waker, and whoever
//! loses a race hands the wake-up to the winner instead of dropping it. Unlike
//! `AtomicWaker`, a wake-up leaves the waker in the slot (it wakes a clone,
//! after letting go of the slot): a task that waits again with the same waker
//! — the common case — then registers with one read-modify-write, storing
//! nothing.

use core::fmt;
use core::task::Waker;

use crate::sync::{AtomicUsize, Ordering, UnsafeCell};

/// The waiter holds the slot to store its waker.
const REGISTERING: usize = 0b001;
/// A notifier holds the slot to wake the waker in it.
const WAKING: usize = 0b010;
/// A waiter is registered and not woken yet.
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
    /// Written only by the holder of `REGISTERING`; read by the holder of
    /// `WAKING`, and by a sole registrant (see
    /// [`register_owned`](Self::register_owned)), which is the only writer.
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the waker is written only by the holder of `REGISTERING` (taken
// with compare-and-swap) and read by the holder of `WAKING` or by the cell's
// sole registrant; `Waker` is `Send + Sync`.
unsafe impl Send for WaitCell {}
// SAFETY: as above: all shared access goes through the lock bits.
unsafe impl Sync for WaitCell {}

impl WaitCell {
    crate::sync::const_unless_loom! {
        /// An empty slot.
        ///
        /// # Examples
        ///
        /// ```
        /// let cell = zerocast::wait::WaitCell::new();
        /// assert!(!cell.is_waiting());
        /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::task::{Wake, Waker};
    ///
    /// struct Count(AtomicUsize);
    /// impl Wake for Count {
    ///     fn wake(self: Arc<Self>) {
    ///         self.0.fetch_add(1, Ordering::Relaxed);
    ///     }
    /// }
    /// let count = Arc::new(Count(AtomicUsize::new(0)));
    /// let cell = zerocast::wait::WaitCell::new();
    /// cell.register(Waker::noop());
    /// cell.register(&Waker::from(count.clone())); // replaces the first
    /// cell.wake();
    /// assert_eq!(count.0.load(Ordering::Relaxed), 1);
    /// ```
    pub fn register(&self, waker: &Waker) {
        let Some(current) = self.lock_to_register(|| {
            // A notifier owns the slot for a few instructions: its wake-up
            // is ours. The task is polled again at once, so this is a
            // (short) spin.
            waker.wake_by_ref();
            false
        }) else {
            return;
        };
        // SAFETY: this thread holds REGISTERING, so no one else writes the
        // slot, and no notifier reads it (WAKING is not held).
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
            // its wake-up goes to the waker we just stored.
            debug_assert_eq!(actual & WAKING, WAKING);
            // An RMW, not a store: a plain store would cut the release
            // sequence of the notifications that came before it.
            self.state.swap(0, Ordering::AcqRel);
            waker.wake_by_ref();
        }
    }

    /// Takes `REGISTERING` and returns the state it was taken from. While a
    /// registrant or a notifier holds the slot, `busy` decides, after a spin
    /// hint: `true` to look again, `false` to give up (`None`).
    #[inline]
    fn lock_to_register(&self, mut busy: impl FnMut() -> bool) -> Option<usize> {
        let mut current = self.state.load(Ordering::Relaxed);
        loop {
            if current & (REGISTERING | WAKING) != 0 {
                crate::sync::spin_hint();
                if !busy() {
                    return None;
                }
                current = self.state.load(Ordering::Relaxed);
                continue;
            }
            match self.state.compare_exchange_weak(
                current,
                current | REGISTERING,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(current),
                Err(actual) => current = actual,
            }
        }
    }

    /// [`register`](Self::register) for the cell's one registrant: when the
    /// stored waker already wakes the same task as `waker` (a task that waits
    /// again), it only marks a waiter, with one read-modify-write.
    ///
    /// # Safety
    ///
    /// No other registration on this cell may run at the same time (the cell
    /// belongs to one handle, which registers through `&mut self`).
    #[inline]
    pub(crate) unsafe fn register_owned(&self, waker: &Waker) {
        // SAFETY: the caller's promise.
        if !unsafe { self.holds(waker) } {
            return self.register(waker);
        }
        // AcqRel, as `register`'s unlock: it orders this registration against
        // every notification's RMW.
        let previous = self.state.fetch_or(WAITER, Ordering::AcqRel);
        if previous & WAKING != 0 {
            // A notifier holds the slot: its unlock clears our mark, and the
            // wake-up it is about to deliver may be for a registration from
            // before this poll (a notifier that backed off meanwhile counts
            // on it): wake ourselves, as `register` does.
            crate::sync::spin_hint();
            waker.wake_by_ref();
        }
    }

    /// Whether the stored waker wakes the same task as `waker`.
    ///
    /// # Safety
    ///
    /// As [`register_owned`](Self::register_owned): the caller is the only
    /// registrant, so no one writes the slot meanwhile (notifiers only read it).
    #[inline]
    pub(super) unsafe fn holds(&self, waker: &Waker) -> bool {
        // SAFETY: only a registration writes the slot, and none runs now.
        self.waker
            .with(|slot| unsafe { matches!(&*slot, Some(stored) if stored.will_wake(waker)) })
    }

    /// Whether a notifier holds the slot now (between its lock and its
    /// unlock, cloning the waker to wake). Acquire: a registrant that reads
    /// the unlock sees what every notifier that backed off meanwhile had
    /// published.
    #[cfg(feature = "alloc")]
    #[inline]
    pub(super) fn is_waking(&self) -> bool {
        self.state.load(Ordering::Acquire) & WAKING != 0
    }

    /// Wakes the registered waiter, if any (once per registration).
    ///
    /// Costs one read-modify-write when nobody waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::task::{Wake, Waker};
    ///
    /// struct Count(AtomicUsize);
    /// impl Wake for Count {
    ///     fn wake(self: Arc<Self>) {
    ///         self.0.fetch_add(1, Ordering::Relaxed);
    ///     }
    /// }
    /// let count = Arc::new(Count(AtomicUsize::new(0)));
    /// let cell = zerocast::wait::WaitCell::new();
    /// cell.wake(); // nobody waits: nothing happens
    /// cell.register(&Waker::from(count.clone()));
    /// cell.wake();
    /// cell.wake(); // once per registration
    /// assert_eq!(count.0.load(Ordering::Relaxed), 1);
    /// ```
    #[inline]
    pub fn wake(&self) {
        // An RMW, not a load: it orders this notification against the
        // waiter's registration (see the module docs).
        let state = self.state.fetch_add(0, Ordering::AcqRel);
        if state & WAITER != 0 {
            self.wake_stored(true);
        }
    }

    /// Wakes the registered waiter, if any, for a notifier that put
    /// [`fence::light`](super::fence::light) between its store and this call;
    /// its waiter registers with [`register_fenced`](Self::register_fenced).
    /// A plain load where [`wake`](Self::wake) needs a read-modify-write: the
    /// fences order it against the registration instead.
    #[inline]
    pub(crate) fn wake_fenced(&self) {
        if self.state.load(Ordering::Relaxed) & WAITER != 0 {
            self.wake_stored(true);
        }
    }

    /// [`register_owned`](Self::register_owned), then
    /// [`fence::heavy`](super::fence::heavy): for a waiter whose notifier
    /// wakes it with [`wake_fenced`](Self::wake_fenced). Check again after
    /// this, as after `register`.
    ///
    /// # Safety
    ///
    /// As [`register_owned`](Self::register_owned).
    pub(crate) unsafe fn register_fenced(&self, waker: &Waker) {
        // SAFETY: the caller's promise.
        unsafe { self.register_owned(waker) };
        super::fence::heavy();
    }

    /// Wakes the stored waker, for a caller that already knows a waiter
    /// registered since the last wake-up (a [`WakerSet`](super::WakerSet)
    /// whose mask bit was set). If none is stored after all, it does nothing.
    #[cfg(feature = "alloc")]
    #[inline]
    pub(super) fn wake_registered(&self) {
        self.wake_stored(false);
    }

    /// Takes `WAKING`, clones the stored waker (it stays for the next
    /// registration), lets go, and wakes the clone — unless a registrant or
    /// another notifier holds the slot (they then deliver this wake-up) or,
    /// when `need_waiter`, no waiter is marked (another notifier woke it
    /// first).
    ///
    /// The waker runs after `WAKING` is released: a woken thread that comes
    /// straight back to wait (on a busy core it may run before this one
    /// resumes) never finds the slot held.
    #[inline]
    fn wake_stored(&self, need_waiter: bool) {
        let previous = self.state.fetch_or(WAKING, Ordering::AcqRel);
        if previous & (REGISTERING | WAKING) != 0 {
            // The registrant (or another notifier) will deliver this wake-up.
            return;
        }
        let waker = if !need_waiter || previous & WAITER != 0 {
            // SAFETY: this thread holds WAKING, so no registration writes the
            // slot (registrants only read it without REGISTERING).
            self.waker.with(|slot| unsafe { (*slot).clone() })
        } else {
            None
        };
        // An RMW, not a store: other notifiers that backed off while we held
        // WAKING published before their RMW; a plain store would cut that
        // release sequence and the waiter's next registration could miss it
        // (found by the loom model `cell_two_notifiers_and_a_re_registering_waiter`).
        self.state.fetch_and(!(WAKING | WAITER), Ordering::AcqRel);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Empties the slot (a waiter going away), returning its waker. Waits
    /// out a notifier that is waking it.
    #[cfg(feature = "alloc")]
    pub(super) fn take(&self) -> Option<Waker> {
        // The notifier lets go within a few instructions.
        let _ = self.lock_to_register(|| true);
        // SAFETY: this thread holds REGISTERING.
        let waker = self.waker.with_mut(|slot| unsafe { (*slot).take() });
        // Clears the lock, the mark, and the WAKING of a notifier that backed
        // off meanwhile (its waiter is going away). An RMW, as above.
        self.state.swap(0, Ordering::AcqRel);
        waker
    }

    /// Whether a waiter is registered and not woken yet (a snapshot, for
    /// diagnostics and tests).
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = zerocast::wait::WaitCell::new();
    /// cell.register(std::task::Waker::noop());
    /// assert!(cell.is_waiting());
    /// cell.wake();
    /// assert!(!cell.is_waiting());
    /// ```
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

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Wake, Waker};

    use super::WaitCell;

    /// A waker that records, when woken, whether its cell was still held by
    /// the notifier.
    #[derive(Default)]
    struct Probe {
        cell: Mutex<Option<Arc<WaitCell>>>,
        wakes: AtomicUsize,
        woken_while_held: AtomicBool,
    }

    impl Wake for Probe {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.wakes.fetch_add(1, Ordering::SeqCst);
            if let Some(cell) = &*self.cell.lock().unwrap() {
                if cell.is_waking() {
                    self.woken_while_held.store(true, Ordering::SeqCst);
                }
            }
        }
    }

    #[test]
    fn the_waker_runs_after_the_slot_is_let_go_and_stays_for_the_next_wait() {
        let cell = Arc::new(WaitCell::new());
        let probe = Arc::new(Probe::default());
        *probe.cell.lock().unwrap() = Some(cell.clone());
        let waker = Waker::from(probe.clone());
        for round in 1..=3 {
            if round == 1 {
                cell.register(&waker);
            } else {
                // SAFETY: this test is the cell's only registrant.
                unsafe { cell.register_owned(&waker) };
            }
            assert!(cell.is_waiting());
            cell.wake();
            assert_eq!(probe.wakes.load(Ordering::SeqCst), round);
            assert!(!cell.is_waiting(), "woken once per registration");
            cell.wake();
            assert_eq!(probe.wakes.load(Ordering::SeqCst), round, "not twice");
            // SAFETY: as above. (Miri makes `will_wake` unreliable, by
            // design: there a re-registration takes the locked path.)
            let held = unsafe { cell.holds(&waker) };
            assert!(held || cfg!(miri), "the waker stays");
        }
        assert!(
            !probe.woken_while_held.load(Ordering::SeqCst),
            "a woken thread that waits again must not find the slot held"
        );
        // Break the cycle probe -> cell -> probe.
        probe.cell.lock().unwrap().take();
    }
}
