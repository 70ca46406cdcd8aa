//! Pools: values made once, handed out and taken back without allocating.
//!
//! | type | what |
//! |---|---|
//! | [`ObjectPool`] | `N` values in place (`no_std`, no heap), one thread; returned when the [`Pooled`] guard drops |
//! | [`Scratch`] | a bump arena for scratch bytes, reset at the end of each scope; slices cannot leave the scope (feature `alloc`) |
//!
//! A pooled value can only come back through its guard, so a foreign value can
//! never be "released" into a pool, and a value can never be handed out twice.

mod object;
#[cfg(feature = "alloc")]
mod scratch;

pub use object::{ObjectPool, Pooled};
#[cfg(feature = "alloc")]
pub use scratch::{Arena, Scratch, ScratchError};
