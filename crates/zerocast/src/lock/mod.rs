//! Two tiny locks for the buffers whose slots are overwritten in place
//! (watch, mailbox), the shared object pool, the buffer pool's free list and
//! the shared writer's segment. Each guards a few instructions — a move, a
//! clone of one value, a short copy of indices — and never allocates; none
//! wakes a task but the shared writer's, which hands a segment to the
//! flusher's ring (waking the flusher's task, which never takes that lock).

mod rw;
mod spin;

pub(crate) use rw::SlotLock;
pub(crate) use spin::SpinLock;

/// Spins politely: a pause hint each time, and under `std` a yield to the
/// scheduler every 64 spins so a preempted lock holder gets to run.
#[inline]
pub(crate) fn backoff(spins: &mut u32) {
    *spins = spins.wrapping_add(1);
    #[cfg(all(feature = "std", not(zerocast_loom)))]
    if *spins % 64 == 0 {
        std::thread::yield_now();
        return;
    }
    crate::sync::spin_hint();
}
