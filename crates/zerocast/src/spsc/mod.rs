//! A bounded single-producer single-consumer channel.
//!
//! [`channel`] allocates the ring once (feature `alloc`); [`Storage`] holds it
//! inline for `no_std` targets without a heap (a `static`, a task's stack).
//! After that, nothing allocates: not sending, not receiving, not **waiting**
//! (each side's waker has a reserved slot) and not waking.
//!
//! Every operation comes in three forms — `try_push` / `poll_ready` /
//! `push().await` and `try_pop` / `poll_pop` / `pop().await` — plus blocking
//! forms with `std` (`push_blocking`, `pop_blocking`: spin, then park) and
//! batch forms (`push_slice` / `pop_slice` for `Copy` items, and
//! `write_chunk` / `read_chunk` to write and read in place). Close is
//! observable from both sides: dropping a handle closes its side.
//!
//! Every blocking form in the crate spins for an adaptive time before it
//! parks, per thread: at least 2 µs; after a wait that had to park but ended
//! within 50 µs (a stream whose messages arrive every few microseconds),
//! about twice that wait, up to 50 µs, so the next message is caught without
//! a park and a wake-up; after a longer wait, half the previous budget, so an
//! idle thread parks almost at once. A thread that must never spin uses the
//! `poll_*` / `async` forms; one that must never park uses `pop_spin`.
//!
//! # Design
//!
//! Head and tail sit on their own cache lines; each side keeps a private copy
//! of its own index and a cached copy of the other's, refreshed only when the
//! ring looks full (producer) or empty (consumer). Every publish ends with a
//! plain load of the other side's [`WaitCell`](crate::wait::WaitCell) after an
//! asymmetric fence: on Linux with `std`, a compiler fence here and a
//! `membarrier` system call on the side that registers to wait, so the
//! per-message path has no read-modify-write and no barrier instruction, and a
//! side pays for the race-free hand-off only when it is about to sleep (about
//! 0.1 µs, 5 µs while the other side runs, on the VM of the README's figures).
//! Elsewhere both are `SeqCst` fences (see [`wait`](crate::wait)).
//!
//! The items' cache lines travel from the producer's core to the
//! consumer's and back, and across threads that is most of a message's
//! cost. So on x86-64 each side asks for the line four lines ahead of its
//! position — the consumer once the producer has published every slot in
//! it, the producer once the consumer has released every slot in it (for
//! items of up to 32 bytes with `prefetchw`, which asks for the line ready
//! to write, where the CPU has it, and for larger ones where the CPU is
//! Intel's: checked once, when the first producer is made) — and the line
//! arrives while the side works through the ones before it (a hint: it
//! changes no memory, and asking only for lines the other side is done with
//! takes nothing from under it). A consumer that has waited a while on an
//! empty ring (16 checks) also asks, on each check, for the line of the
//! slot the next item lands in, so that line comes over with the
//! producer's position rather than after it. A blocking producer that finds the ring
//! full waits for a batch of free slots before it goes on (see
//! [`Producer::push_blocking`]), rather than trading the consumer's index
//! line with it message by message.
//!
//! # Examples
//!
//! ```
//! let (mut tx, mut rx) = zerocast::spsc::channel::<u64>(1024);
//! let producer = std::thread::spawn(move || {
//!     for i in 0..10_000 {
//!         tx.push_blocking(i).unwrap();
//!     }
//! });
//! let mut expected = 0;
//! while let Ok(v) = rx.pop_blocking() {
//!     assert_eq!(v, expected);
//!     expected += 1;
//! }
//! producer.join().unwrap();
//! assert_eq!(expected, 10_000);
//! ```

mod consumer;
mod core;
mod producer;

#[cfg(not(zerocast_loom))]
use ::core::fmt;
use ::core::mem::MaybeUninit;
use ::core::ptr::{self, NonNull};

pub use self::consumer::{Consumer, Pop, ReadChunk};
use self::core::{Core, Slot};
pub use self::producer::{Producer, Push, WriteChunk};
use crate::sync::UnsafeCell;

/// The heap layout of a [`channel`]: the core first, so a pointer to one is a
/// pointer to the other.
#[cfg(feature = "alloc")]
#[repr(C)]
struct Heap<T> {
    core: Core<T>,
    slots: alloc::boxed::Box<[Slot<T>]>,
}

/// Frees a [`Heap`] channel.
///
/// # Safety
///
/// `core` must be the core of a `Heap<T>` made by [`channel`], no longer used.
#[cfg(feature = "alloc")]
unsafe fn release_heap<T>(core: NonNull<Core<T>>) {
    // SAFETY: `core` is the first field of a boxed `Heap<T>` (`repr(C)`), made
    // by `Box::into_raw` in `channel`, and this is its last use.
    drop(unsafe { alloc::boxed::Box::from_raw(core.cast::<Heap<T>>().as_ptr()) });
}

/// Creates a channel with room for `capacity` items, allocated now and never again.
///
/// # Panics
///
/// If `capacity` is zero or larger than `usize::MAX / 4`.
///
/// # Examples
///
/// ```
/// let (mut tx, mut rx) = zerocast::spsc::channel::<String>(4);
/// tx.try_push("hi".to_owned()).unwrap();
/// assert_eq!(rx.try_pop().unwrap(), "hi");
/// ```
#[cfg(feature = "alloc")]
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Producer<'static, T>, Consumer<'static, T>) {
    assert!(
        capacity > 0 && capacity <= usize::MAX / 4,
        "spsc::channel capacity must be between 1 and usize::MAX / 4, got {capacity}"
    );
    let slots: alloc::boxed::Box<[Slot<T>]> = (0..capacity)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect();
    let heap = alloc::boxed::Box::new(Heap {
        core: Core::new(capacity, ptr::null(), release_heap::<T>),
        slots,
    });
    let raw = alloc::boxed::Box::into_raw(heap);
    // SAFETY: `raw` is a valid, unique pointer from `Box::into_raw`.
    unsafe { (*raw).core.ring.slots = (*raw).slots.as_ptr() };
    // SAFETY: `Box::into_raw` never returns null.
    let core = unsafe { NonNull::new_unchecked(raw) }.cast::<Core<T>>();
    (Producer::new(core), Consumer::new(core))
}

/// Inline storage for a channel of `N` items: no heap, for `no_std` targets.
///
/// [`split`](Self::split) borrows it for as long as the handles live; once
/// both are gone it can be split again (fresh and empty).
///
/// # Examples
///
/// ```
/// use zerocast::spsc::Storage;
///
/// let mut storage: Storage<u32, 8> = Storage::new();
/// let (mut tx, mut rx) = storage.split();
/// tx.try_push(1).unwrap();
/// assert_eq!(rx.try_pop(), Ok(1));
/// ```
///
/// The handles cannot outlive the storage:
///
/// ```compile_fail
/// let (tx, rx) = {
///     let mut storage: zerocast::spsc::Storage<u32, 8> = zerocast::spsc::Storage::new();
///     storage.split()
/// };
/// ```
#[cfg(not(zerocast_loom))]
pub struct Storage<T, const N: usize> {
    core: Core<T>,
    slots: [Slot<T>; N],
}

// SAFETY: the storage is only reachable through `&mut self` (`split`), so it
// can move between threads whenever its items could.
#[cfg(not(zerocast_loom))]
unsafe impl<T: Send, const N: usize> Send for Storage<T, N> {}
// SAFETY: `&Storage` grants no access at all (every method takes `&mut self`).
#[cfg(not(zerocast_loom))]
unsafe impl<T, const N: usize> Sync for Storage<T, N> {}

/// Borrowed storage frees nothing: its owner does.
#[cfg(not(zerocast_loom))]
unsafe fn release_borrowed<T>(_core: NonNull<Core<T>>) {}

#[cfg(not(zerocast_loom))]
impl<T, const N: usize> Storage<T, N> {
    /// Empty storage; `const`, so it can be a `static`'s initialiser.
    ///
    /// # Examples
    ///
    /// ```
    /// static STORAGE: std::sync::Mutex<zerocast::spsc::Storage<u64, 16>> =
    ///     std::sync::Mutex::new(zerocast::spsc::Storage::new()); // `const`: a `static` can hold it
    /// let mut storage = STORAGE.lock().unwrap();
    /// let (mut tx, mut rx) = storage.split();
    /// tx.try_push(1).unwrap();
    /// assert_eq!(rx.try_pop(), Ok(1));
    /// ```
    pub const fn new() -> Self {
        const {
            assert!(
                N > 0 && N <= usize::MAX / 4,
                "Storage needs 1..=usize::MAX/4 slots"
            )
        };
        Self {
            core: Core::new(N, ptr::null(), release_borrowed::<T>),
            slots: [const { UnsafeCell::new(MaybeUninit::uninit()) }; N],
        }
    }

    /// A fresh, empty channel in this storage.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut storage: zerocast::spsc::Storage<u8, 2> = zerocast::spsc::Storage::new();
    /// {
    ///     let (mut tx, mut rx) = storage.split();
    ///     tx.try_push(1).unwrap();
    ///     assert_eq!(rx.try_pop(), Ok(1));
    /// }
    /// let (_tx, rx) = storage.split(); // a fresh, empty channel in the same memory
    /// assert!(rx.is_empty());
    /// ```
    pub fn split(&mut self) -> (Producer<'_, T>, Consumer<'_, T>) {
        // Any earlier handles are gone (they borrowed `self`), and they dropped
        // their items; this resets the indices and wakers.
        self.core = Core::new(N, self.slots.as_ptr(), release_borrowed::<T>);
        let core = NonNull::from(&self.core);
        (Producer::new(core), Consumer::new(core))
    }
}

#[cfg(not(zerocast_loom))]
impl<T, const N: usize> Default for Storage<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(not(zerocast_loom))]
impl<T, const N: usize> fmt::Debug for Storage<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage").field("capacity", &N).finish()
    }
}

#[cfg(all(test, feature = "std", not(zerocast_loom)))]
mod tests;

#[cfg(all(test, zerocast_loom))]
mod loom;
