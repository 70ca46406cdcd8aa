//! Helpers shared by the unit tests (run under Miri in CI).

#[cfg(not(zerocast_loom))]
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(zerocast_loom))]
use std::sync::Arc;
#[cfg(not(zerocast_loom))]
use std::task::{Wake, Waker};

/// A value that counts its drops.
#[cfg(not(zerocast_loom))]
#[derive(Debug, Clone)]
pub(crate) struct Counted(pub(crate) u32, pub(crate) Arc<AtomicUsize>);

#[cfg(not(zerocast_loom))]
impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(not(zerocast_loom))]
impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

/// A waker that counts its wake-ups.
#[cfg(not(zerocast_loom))]
#[derive(Debug, Default)]
pub(crate) struct WakeCounter(AtomicUsize);

#[cfg(not(zerocast_loom))]
impl WakeCounter {
    pub(crate) fn new() -> (Arc<Self>, Waker) {
        let counter = Arc::new(Self::default());
        let waker = Waker::from(counter.clone());
        (counter, waker)
    }

    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(not(zerocast_loom))]
impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Receives one record from `reader` the way an impatient caller does: after
/// each `Pending` poll it also calls `try_recv`, which must not lose the
/// wake-up the poll registered (a lost one hangs the test; under loom, the
/// model reports the deadlock).
#[cfg(zerocast_loom)]
pub(crate) fn recv_trying_between_polls<T>(
    reader: &mut impl crate::reader::BufferReader<T>,
) -> impl core::future::Future<Output = Result<T, crate::RecvError>> + '_ {
    use crate::{RecvError, TryRecvError};
    use core::task::Poll;
    core::future::poll_fn(move |cx| match reader.poll_recv(cx) {
        Poll::Ready(r) => Poll::Ready(r),
        Poll::Pending => match reader.try_recv() {
            Ok(v) => Poll::Ready(Ok(v)),
            Err(TryRecvError::Empty) => Poll::Pending,
            Err(TryRecvError::Lagged(n)) => Poll::Ready(Err(RecvError::Lagged(n))),
            Err(TryRecvError::Closed) => Poll::Ready(Err(RecvError::Closed)),
        },
    })
}
