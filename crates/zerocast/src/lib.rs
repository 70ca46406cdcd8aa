//! Zero-allocation message passing for Rust hot paths.
//!
//! Rings, channels, pools and packets whose send, receive, **wait and wake**
//! never touch the heap after start-up — proven in tests with
//! [`zerocast-alloc`](https://docs.rs/zerocast-alloc).
//!
//! | module | what |
//! |---|---|
//! | [`wait`] | allocation-free waiting: [`wait::WaitCell`], [`wait::WakerSet`] |
//! | [`ring`] | [`ring::EventRing`]: a local fixed ring, no heap at all |
//! | [`spsc`] | bounded single-producer single-consumer channel |
//! | [`multicast`] | lossless fan-out: every subscriber sees every message, the slowest applies backpressure (feature `alloc`, targets with 64-bit atomics) |
//! | [`broadcast`] | lossy fan-out: senders never wait for slow receivers, a receiver more than `capacity` behind is told `Lagged(n)` (feature `alloc`) |
//! | [`watch`] | the latest value, read in place, `changed().await` (feature `alloc`) |
//! | [`mailbox`] | one slot, overwritten; the replaced value is handed back (feature `alloc`) |
//! | [`pool`] | [`pool::ObjectPool`]: `N` values in place, lent through a guard that returns them (`no_std`, no heap); slab, scratch and [`pool::BufferPool`] with refcounted [`pool::Packet`]s (feature `alloc`) |
//! | [`io`] | [`io::Writer`] (one per thread) and [`io::SharedWriter`] (shared by threads) pack messages into pooled buffers for one [`io::WriteFlusher`], which writes many per call; [`io::Framer`]: a byte stream into [`pool::Packet`]s, length-prefixed, checked (feature `alloc`) |
//! | [`reader`] | [`reader::BufferReader`], one object-safe poll interface over broadcast, watch and mailbox, and [`reader::Reader`] |
//!
//! The crate is `#![no_std]`; feature `alloc` adds the heap-backed
//! constructors and `std` (default) adds blocking waits. [`ring`], [`wait`] and
//! [`spsc::Storage`] work with neither.
//!
//! The futures need no particular runtime: they wait through the waker they
//! are polled with, stored in a slot reserved for it. The crate's tests run
//! them on tokio's current-thread and work-stealing runtimes, smol's
//! executor, embassy's executor (with the channel in `static` storage) and a
//! plain `block_on`.
//!
//! # Examples
//!
//! ```
//! # futures_executor::block_on(async {
//! let (mut tx, mut rx) = zerocast::spsc::channel::<u64>(64);
//! tx.push(42).await.unwrap();
//! assert_eq!(rx.pop().await, Ok(42));
//! # });
//! ```
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod error;
#[cfg(all(feature = "std", not(zerocast_loom)))]
mod park;
mod prefetch;
mod sync;
#[cfg(test)]
mod test_util;

#[cfg(feature = "alloc")]
pub mod broadcast;
#[cfg(feature = "alloc")]
pub mod io;
#[cfg(feature = "alloc")]
mod lock;
#[cfg(feature = "alloc")]
pub mod mailbox;
#[cfg(all(feature = "alloc", target_has_atomic = "64"))]
pub mod multicast;
pub mod pool;
pub mod reader;
pub mod ring;
pub mod spsc;
pub mod wait;
#[cfg(feature = "alloc")]
pub mod watch;

pub use error::{Closed, RecvError, SendError, TryRecvError, TrySendError};
