//! [`Handles`]: the bookkeeping every buffer with many handles shares — how
//! many senders and receivers are alive, whether the last sender is gone, and
//! the receivers' waker slots.

use core::task::Waker;

use super::WakerSet;
use crate::sync::{AtomicBool, AtomicUsize, Ordering};

/// Receivers whose waker slots are allocated with the buffer (a `CachePadded`
/// cell each); a sender wakes them with one read-modify-write. Later ones
/// come 64 at a time, one more read-modify-write per send for each 64.
const FIRST_RECEIVERS: usize = 8;

/// Sender and receiver counts, the closed flag and one waker slot per
/// receiver. Starts with one sender and no receiver.
#[derive(Debug)]
pub(crate) struct Handles {
    senders: AtomicUsize,
    receivers: AtomicUsize,
    /// Set when the last sender is gone.
    closed: AtomicBool,
    wakers: WakerSet,
}

impl Handles {
    pub(crate) fn new() -> Self {
        Self {
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            wakers: WakerSet::with_room(FIRST_RECEIVERS),
        }
    }

    pub(crate) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    /// The last sender to go closes the buffer and wakes every waiting
    /// receiver.
    pub(crate) fn remove_sender(&self) {
        // AcqRel: the last sender sees every other sender's writes before it
        // closes, so a receiver that sees `closed` sees them all.
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.closed.store(true, Ordering::Release);
            self.wakers.wake_all();
        }
    }

    /// Counts a new receiver and reserves its waker slot (an allocation only
    /// when every reserved slot is taken); returns the slot's id.
    pub(crate) fn add_receiver(&self) -> usize {
        self.receivers.fetch_add(1, Ordering::Relaxed);
        self.wakers.reserve()
    }

    pub(crate) fn remove_receiver(&self, id: usize) {
        self.wakers.release(id);
        self.receivers.fetch_sub(1, Ordering::Relaxed);
    }

    /// How many receivers there are now.
    pub(crate) fn receivers(&self) -> usize {
        self.receivers.load(Ordering::Relaxed)
    }

    /// Whether the last sender is gone. Acquire: everything every sender did
    /// before going is visible after a `true`.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Registers the waker of receiver `id` (see
    /// [`WakerSet::register_owned`]).
    ///
    /// # Safety
    ///
    /// `id` is the caller's own (from [`add_receiver`](Self::add_receiver)),
    /// and it registers through `&mut self`: no other registration for `id`
    /// runs at the same time.
    #[inline]
    pub(crate) unsafe fn register(&self, id: usize, waker: &Waker) {
        // SAFETY: the caller's promise.
        unsafe { self.wakers.register_owned(id, waker) };
    }

    /// Receiver `id`'s word (see [`WakerSet::word`]).
    pub(crate) fn word(&self, id: usize) -> &AtomicUsize {
        self.wakers.word(id)
    }

    /// Calls `f` with every receiver slot's word (see
    /// [`WakerSet::for_each_word`]).
    pub(crate) fn for_each_word(&self, f: impl FnMut(&AtomicUsize)) {
        self.wakers.for_each_word(f);
    }

    /// Wakes every registered receiver once.
    #[inline]
    pub(crate) fn wake_all(&self) {
        self.wakers.wake_all();
    }
}
