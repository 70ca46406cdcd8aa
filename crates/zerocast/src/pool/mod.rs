//! Pools: values made once, handed out and taken back without allocating.
//!
//! | type | what |
//! |---|---|
//! | [`ObjectPool`] | `N` values in place (`no_std`, no heap), one thread; returned when the [`Pooled`] guard drops |
//!
//! A pooled value can only come back through its guard, so a foreign value can
//! never be "released" into a pool, and a value can never be handed out twice.

mod object;

pub use object::{ObjectPool, Pooled};
