//! Blocking waits for plain threads: spin briefly, then park.
//!
//! Each thread has one waker that unparks it, built on the thread's first
//! blocking call (one allocation per thread, at start-up) and cloned by
//! reference count afterwards, so a blocking wait allocates nothing in the
//! steady state.

use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Checks of the condition before the thread registers and parks: enough to
/// cover a hand-off that is already under way (a few microseconds), short
/// enough not to burn a core while idle.
const SPINS: u32 = 256;

struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

std::thread_local! {
    static WAKER: Waker = Waker::from(Arc::new(Unparker(thread::current())));
}

/// Builds this thread's waker if it has none yet: every blocking call starts
/// here, so the one allocation happens on a thread's first blocking call,
/// deterministically, even when that call does not have to wait.
#[inline]
pub(crate) fn prepare() {
    WAKER.with(|_| {});
}

/// Waits until `poll` is ready: spins on the cheap `ready` check first, then
/// polls with this thread's waker and parks between polls.
///
/// The thread's waker is built on its first call here, whether or not it has
/// to wait: a deterministic start-up cost that a warm-up always covers, never a
/// surprise allocation later in a guarded section.
pub(crate) fn wait<S: ?Sized, R>(
    state: &mut S,
    mut ready: impl FnMut(&mut S) -> bool,
    mut poll: impl FnMut(&mut S, &mut Context<'_>) -> Poll<R>,
) -> R {
    WAKER.with(|waker| {
        for _ in 0..SPINS {
            if ready(state) {
                // Most waits end here, without registering anything. Should
                // the poll still find nothing, the noop waker it registered is
                // replaced by the real one below.
                let mut cx = Context::from_waker(Waker::noop());
                if let Poll::Ready(r) = poll(state, &mut cx) {
                    return r;
                }
                break;
            }
            core::hint::spin_loop();
        }
        let mut cx = Context::from_waker(waker);
        loop {
            match poll(state, &mut cx) {
                Poll::Ready(r) => return r,
                // Spurious unparks are fine: the loop polls again.
                Poll::Pending => thread::park(),
            }
        }
    })
}
