//! The B0 gate: zerocast's own implementations must make zero allocations per
//! message. CI runs it and fails on any figure above 0.000.

use crate::harness::is_zerocast;
use crate::report::Row;

/// A zerocast row that allocated in the B0 round.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The scenario.
    pub scenario: String,
    /// The implementation.
    pub implementation: String,
    /// Allocations per message.
    pub allocs_per_msg: f64,
    /// Bytes per message.
    pub bytes_per_msg: f64,
}

/// What the gate found.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Every zerocast row (this many) made 0.000 allocations per message.
    Pass(usize),
    /// The run held no zerocast rows: nothing to gate.
    NothingToGate,
    /// These zerocast rows allocated.
    Fail(Vec<Violation>),
}

/// Checks every zerocast row of `rows`; peers are reported but never gated.
pub fn check(rows: &[Row]) -> Verdict {
    let ours: Vec<&Row> = rows
        .iter()
        .filter(|r| is_zerocast(&r.implementation))
        .collect();
    if ours.is_empty() {
        return Verdict::NothingToGate;
    }
    let failures: Vec<Violation> = ours
        .iter()
        .filter(|r| r.allocs_per_msg != 0.0)
        .map(|r| Violation {
            scenario: r.scenario.clone(),
            implementation: r.implementation.clone(),
            allocs_per_msg: r.allocs_per_msg,
            bytes_per_msg: r.bytes_per_msg,
        })
        .collect();
    if failures.is_empty() {
        Verdict::Pass(ours.len())
    } else {
        Verdict::Fail(failures)
    }
}
