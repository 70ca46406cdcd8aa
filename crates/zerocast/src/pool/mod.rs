//! Pools: values made once, handed out and taken back without allocating.
//!
//! | type | what |
//! |---|---|
//! | [`ObjectPool`] | `N` values in place (`no_std`, no heap), one thread; returned when the [`Pooled`] guard drops |
//! | [`SharedObjectPool`] | values lent to any thread and returned from any thread through a lock-free free list; `acquire().await` waits without allocating (feature `alloc`, targets with 64-bit atomics) |
//! | [`SlabPool`] | per-core fixed pages; payloads cross threads as [`SlabTicket`]s that go home through a bounded return queue on drop, or stay on the owning thread as [`LocalTicket`]s that go straight back to the free list (feature `alloc`) |
//! | [`BufferPool`] | fixed byte buffers with per-thread caches ([`LocalPool`]), async FIFO waiting, and refcounted [`Packet`]s that cross threads as [`SendPacket`]s (feature `alloc`) |
//! | [`Scratch`] | a bump arena for scratch bytes, reset at the end of each scope; slices cannot leave the scope (feature `alloc`) |
//!
//! A pooled value can only come back through its guard, so a foreign value can
//! never be "released" into a pool, and a value can never be handed out twice.
//!
//! # Examples
//!
//! ```
//! use zerocast::pool::{BufferPool, ObjectPool};
//!
//! // One thread, no heap: the value goes back when its guard drops.
//! let pool: ObjectPool<[u8; 32], 4> = ObjectPool::with(|_| [0; 32]);
//! pool.acquire().unwrap()[0] = 1;
//!
//! // Byte buffers shared as refcounted packets.
//! let buffers = BufferPool::new(1024, 4);
//! let local = buffers.register();
//! let mut buf = local.try_acquire().unwrap();
//! buf[..5].copy_from_slice(b"hello");
//! let packet = buf.freeze(5);
//! let copy = packet.clone(); // shares the buffer
//! assert_eq!(&copy[..], b"hello");
//! ```

#[cfg(feature = "alloc")]
mod block;
#[cfg(feature = "alloc")]
mod buffer;
mod object;
#[cfg(feature = "alloc")]
mod queue;
#[cfg(feature = "alloc")]
mod scratch;
#[cfg(all(feature = "alloc", target_has_atomic = "64"))]
mod shared;
#[cfg(feature = "alloc")]
mod slab;
#[cfg(feature = "alloc")]
pub(crate) mod waiters;

#[cfg(feature = "alloc")]
pub use buffer::{
    Acquire, Buffer, BufferPool, BufferPoolBuilder, BufferPoolStats, LocalPool, Packet, SendPacket,
};
pub use object::{NoReset, ObjectPool, Pooled, Reset};
#[cfg(feature = "alloc")]
pub use scratch::{Arena, Scratch, ScratchError};
#[cfg(all(feature = "alloc", target_has_atomic = "64"))]
pub use shared::{SharedAcquire, SharedObjectPool, SharedPooled};
#[cfg(feature = "alloc")]
pub use slab::{LocalTicket, Payload, SlabError, SlabPool, SlabStats, SlabTicket};

#[cfg(all(test, zerocast_loom))]
mod loom;
