//! Shared by the integration tests: the guarded allocator and a waker that
//! records wake-ups without allocating.
#![allow(dead_code)] // each test binary uses its own subset

use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{RawWaker, RawWakerVTable, Waker};

use zerocast_alloc::GuardedAlloc;

#[global_allocator]
static GLOBAL: GuardedAlloc = GuardedAlloc::system();

/// Counts the wake-ups of a [`CountingWaker`]; lives in a `static` so the
/// waker needs no allocation.
pub(crate) struct WakeCount(AtomicUsize);

impl WakeCount {
    pub(crate) const fn new() -> Self {
        Self(AtomicUsize::new(0))
    }

    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// A waker that increments this count (no allocation: it points at `self`).
    pub(crate) fn waker(&'static self) -> Waker {
        const VTABLE: RawWakerVTable = RawWakerVTable::new(
            |p| RawWaker::new(p, &VTABLE),
            |p| {
                // SAFETY: `p` is the `&'static WakeCount` this waker was made from.
                unsafe { &*(p as *const WakeCount) }
                    .0
                    .fetch_add(1, Ordering::SeqCst);
            },
            |p| {
                // SAFETY: as above.
                unsafe { &*(p as *const WakeCount) }
                    .0
                    .fetch_add(1, Ordering::SeqCst);
            },
            |_| {},
        );
        // SAFETY: the vtable's functions uphold the RawWaker contract for a
        // pointer to a `'static` count (clone copies it, drop does nothing).
        unsafe { Waker::from_raw(RawWaker::new(self as *const Self as *const (), &VTABLE)) }
    }
}

/// A `u64` whose type has a drop. A multicast channel of values that need no
/// drop gates on the subscribers' positions; one of values that need one
/// keeps a count per slot: the multicast tests run with `u64` and with this,
/// to cover both.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Dropping(pub(crate) u64);

impl Drop for Dropping {
    fn drop(&mut self) {
        std::hint::black_box(self.0);
    }
}

impl From<u64> for Dropping {
    fn from(v: u64) -> Self {
        Self(v)
    }
}

/// What the multicast tests need of a value.
pub(crate) trait Value:
    From<u64> + Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static
{
}

impl<T: From<u64> + Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static> Value for T {}

/// Fills `bytes` (at least 8) as frame `seq` of writer `w` in the tagged
/// form of the writer tests: the tag `w << 56 | seq`, then the filler byte
/// `seq ^ w`.
pub(crate) fn tag_frame(w: u64, seq: u64, bytes: &mut [u8]) {
    bytes[..8].copy_from_slice(&(w << 56 | seq).to_le_bytes());
    bytes[8..].fill(seq as u8 ^ w as u8);
}

/// Frames `wire` back (the wire format of `zerocast::io`) and checks that
/// the tagged frames of each of `writers` writers arrive whole, `len(seq)`
/// bytes each, in their order; returns how many of each writer's arrived.
pub(crate) fn tagged_frames_in_order(
    wire: &[u8],
    writers: usize,
    len: impl Fn(u64) -> usize,
) -> Vec<u64> {
    use zerocast::io::Framer;
    use zerocast::pool::BufferPool;

    let mut framer = Framer::new(BufferPool::new(1 << 16, 4).register(), 1 << 15);
    let mut next = vec![0u64; writers];
    let mut rest = wire;
    while !rest.is_empty() {
        let staging = framer.try_write_buf().unwrap();
        let n = staging.len().min(rest.len());
        staging[..n].copy_from_slice(&rest[..n]);
        framer.commit(n).unwrap();
        rest = &rest[n..];
        while let Some(p) = framer.next_frame().unwrap() {
            let tag = u64::from_le_bytes(p[..8].try_into().unwrap());
            let (w, seq) = ((tag >> 56) as usize, tag & ((1 << 56) - 1));
            assert_eq!(seq, next[w], "writer {w}: lost, repeated or reordered");
            assert_eq!(p.len(), len(seq), "torn");
            assert!(p[8..].iter().all(|&b| b == seq as u8 ^ w as u8), "torn");
            next[w] += 1;
        }
    }
    framer.finish().unwrap();
    next
}
