//! zerocast's benchmark suite: **B0** allocations per message, **B1** latency
//! with the receiver waiting, **B2** throughput — zerocast and its peers on the
//! same scenarios, interleaved in the same run (see [`harness`]).
//!
//! Adding a scenario is a function that returns a [`harness::Scenario`]: a name,
//! sizes, and one [`harness::Contender`] per implementation (a run function, or
//! "n/a" with the reason). Adding an implementation to the existing scenarios is
//! an adapter in [`peers`] and one line per scenario.

pub mod charts;
pub mod env;
pub mod gate;
pub mod harness;
pub mod peers;
pub mod report;
pub mod scenarios;
pub mod threads;
