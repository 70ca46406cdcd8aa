//! Zero-allocation message passing for Rust hot paths.
//!
//! Rings, channels, pools and packets whose send, receive, wait and wake never
//! touch the heap after start-up — proven in tests with
//! [`zerocast-alloc`](https://docs.rs/zerocast-alloc).
//!
//! The crate is `#![no_std]`; feature `alloc` adds heap-backed constructors and
//! `std` (default) adds blocking waits and I/O sinks. The primitives land
//! layer by layer (see the repository README for their status); this release
//! holds the foundation only.
//!
//! # Examples
//!
//! ```
//! assert!(zerocast::FEATURES.contains(&"core"));
//! ```
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

/// The build's enabled layers, for diagnostics: always `"core"`, plus `"alloc"`
/// and `"std"` when those features are on.
pub const FEATURES: &[&str] = &[
    "core",
    #[cfg(feature = "alloc")]
    "alloc",
    #[cfg(feature = "std")]
    "std",
];
