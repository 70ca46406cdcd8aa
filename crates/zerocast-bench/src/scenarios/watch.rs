//! Latest-value channels: the sender publishes, the receiver awaits `changed`
//! and reads the value in place, on one runtime.

use super::THROUGHPUT;
use crate::harness::{warm_then_measure, Contender, Kind, RunConfig, Sample, Scenario};
use crate::peers::{runtime, YieldNow};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![Scenario {
        name: "watch/async/u64",
        kind: Kind::Throughput,
        quick: THROUGHPUT.0,
        full: THROUGHPUT.1,
        contenders: vec![
            Contender::new("tokio", run_tokio_watch),
            Contender::not_applicable("async-broadcast", "no latest-value channel"),
            Contender::not_applicable("flume", "no latest-value channel"),
            Contender::not_applicable("kanal", "no latest-value channel"),
        ],
    }]
}

/// The sender sends, then yields so the waiting receiver runs: each message is
/// a send, a wake, a `changed` and a borrow.
fn run_tokio_watch(cfg: &RunConfig) -> Sample {
    let rt = runtime();
    let (tx, mut rx) = tokio::sync::watch::channel(0u64);
    warm_then_measure(cfg, |from, to| {
        rt.block_on(async {
            tokio::join!(
                async {
                    for v in from..to {
                        tx.send(v + 1).expect("receiver alive");
                        YieldNow::default().await;
                    }
                },
                async {
                    let mut last = from;
                    while last < to {
                        rx.changed().await.expect("sender alive");
                        let v = *rx.borrow_and_update();
                        assert!(v > last, "watch went backwards");
                        last = v;
                    }
                }
            )
        });
    })
}
