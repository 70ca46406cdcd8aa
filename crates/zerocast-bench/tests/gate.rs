//! The B0 gate catches a zerocast implementation that allocates per message —
//! on the producer, on a consumer thread, or only on the waiting path — and
//! passes one that does not. The doubles run through the real harness.

use std::hint::black_box;
use std::sync::mpsc;
use std::time::Instant;

use zerocast_alloc::GuardedAlloc;
use zerocast_bench::gate::{self, Verdict};
use zerocast_bench::harness::{
    run_scenario, Contender, Kind, Plan, RunConfig, Sample, Scenario, Size,
};
use zerocast_bench::report;
use zerocast_bench::threads::spawn_pinned;

#[global_allocator]
static GLOBAL: GuardedAlloc = GuardedAlloc::system();

const SIZE: Size = Size {
    messages: 10_000,
    b0_messages: 10_000,
    warmup: 100,
};

/// A single-thread double: `allocate` decides whether each message boxes.
fn single_thread(allocate: bool) -> impl FnMut(&RunConfig) -> Sample {
    move |cfg: &RunConfig| {
        let mut ring = std::collections::VecDeque::with_capacity(16);
        let mut step = |i: u64| {
            if allocate {
                ring.push_back(*black_box(Box::new(i)));
            } else {
                ring.push_back(i);
            }
            ring.pop_front()
        };
        for i in 0..cfg.warmup {
            step(i);
        }
        let start = Instant::now();
        let ((), allocs) = cfg.measure(|| {
            for i in 0..cfg.messages {
                black_box(step(i));
            }
        });
        Sample {
            elapsed: start.elapsed(),
            messages: cfg.messages,
            allocs,
            latency: None,
        }
    }
}

/// A cross-thread double whose consumer allocates once per message after it
/// has had to wait: the allocation happens on a worker thread, on the waiting path.
fn consumer_allocates_after_waiting(cfg: &RunConfig) -> Sample {
    let cfg = *cfg;
    // Capacity 0: every receive waits for its sender.
    let (tx, rx) = mpsc::sync_channel::<u64>(0);
    let consumer = spawn_pinned(1, move || {
        for _ in 0..cfg.warmup {
            rx.recv().unwrap();
        }
        cfg.measure(|| {
            for _ in 0..cfg.messages {
                let v = rx.recv().unwrap();
                black_box(vec![v; 2]);
            }
        })
        .1
    });
    let start = Instant::now();
    for i in 0..cfg.warmup + cfg.messages {
        tx.send(i).unwrap();
    }
    let allocs = consumer.join().unwrap();
    Sample {
        elapsed: start.elapsed(),
        messages: cfg.messages,
        allocs,
        latency: None,
    }
}

fn rows(contenders: Vec<Contender>) -> Vec<report::Row> {
    let mut scenario = Scenario {
        name: "gate/double/u64",
        kind: Kind::Throughput,
        quick: SIZE,
        full: SIZE,
        contenders,
    };
    let plan = Plan {
        quick: true,
        rounds: 1,
    };
    let (measured, _) = run_scenario(&mut scenario, plan, || {});
    measured
        .iter()
        .map(|m| report::row(Kind::Throughput, m))
        .collect()
}

#[test]
fn gate_fails_on_an_allocating_zerocast_implementation() {
    let rows = rows(vec![
        Contender::new("zerocast-clean-double", single_thread(false)),
        Contender::new("zerocast-allocating-double", single_thread(true)),
    ]);
    let clean = rows
        .iter()
        .find(|r| r.implementation == "zerocast-clean-double")
        .unwrap();
    assert_eq!(clean.allocs_per_msg, 0.0);
    match gate::check(&rows) {
        Verdict::Fail(failures) => {
            assert_eq!(failures.len(), 1, "{failures:?}");
            assert_eq!(failures[0].implementation, "zerocast-allocating-double");
            assert_eq!(failures[0].allocs_per_msg, 1.0);
            assert_eq!(failures[0].bytes_per_msg, 8.0);
        }
        other => panic!("the gate must fail, got {other:?}"),
    }
}

#[test]
fn gate_counts_worker_threads_and_the_waiting_path() {
    let rows = rows(vec![Contender::new(
        "zerocast-waiting-double",
        consumer_allocates_after_waiting,
    )]);
    match gate::check(&rows) {
        Verdict::Fail(failures) => {
            assert_eq!(failures[0].allocs_per_msg, 1.0);
            assert_eq!(failures[0].bytes_per_msg, 16.0);
        }
        other => panic!("the gate must fail, got {other:?}"),
    }
}

#[test]
fn gate_passes_clean_zerocast_rows_and_ignores_peers() {
    let rows = rows(vec![
        Contender::new("zerocast-clean-double", single_thread(false)),
        Contender::new("some-peer", single_thread(true)),
        Contender::not_applicable("another-peer", "cannot"),
    ]);
    assert_eq!(gate::check(&rows), Verdict::Pass(1));
    let peer = rows
        .iter()
        .find(|r| r.implementation == "some-peer")
        .unwrap();
    assert_eq!(
        peer.allocs_per_msg, 1.0,
        "peers are measured, just not gated"
    );
}

#[test]
fn no_zerocast_rows_is_reported_as_nothing_to_gate() {
    let rows = rows(vec![Contender::new("some-peer", single_thread(false))]);
    assert_eq!(gate::check(&rows), Verdict::NothingToGate);
}
