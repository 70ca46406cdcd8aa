//! Every scenario of the suite. A scenario lists its implementations — zerocast's
//! first, as they land — and marks a peer that cannot do it "n/a", with the reason.

mod fanout;
mod io;
mod latency;
mod pool;
mod records;
mod single;
mod spsc;

use crate::harness::{Scenario, Size};

/// Ring capacity shared by the channel scenarios.
pub(crate) const CAPACITY: usize = 1024;

/// Sizes of the cross-thread and async throughput scenarios.
pub(crate) const THROUGHPUT: (Size, Size) = (
    Size {
        messages: 300_000,
        b0_messages: 20_000,
        warmup: 2_000,
    },
    Size {
        messages: 2_000_000,
        b0_messages: 100_000,
        warmup: 10_000,
    },
);

/// Sizes of the latency scenarios (one timed message at a time).
pub(crate) const LATENCY: (Size, Size) = (
    Size {
        messages: 10_000,
        b0_messages: 10_000,
        warmup: 200,
    },
    Size {
        messages: 50_000,
        b0_messages: 20_000,
        warmup: 1_000,
    },
);

/// All scenarios, in report order.
pub fn all() -> Vec<Scenario> {
    let mut all = Vec::new();
    all.extend(single::scenarios());
    all.extend(spsc::scenarios());
    all.extend(fanout::scenarios());
    all.extend(records::scenarios());
    all.extend(pool::scenarios());
    all.extend(io::scenarios());
    all.extend(latency::scenarios());
    all
}
