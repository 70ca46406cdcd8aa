//! One thread, publish and consume timed **separately**: `single/publish/u64`
//! times only the sends into an empty ring, `single/consume/u64` only the
//! receives from a full one (the untimed half is still done, outside the clock).

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::harness::{Contender, Kind, RunConfig, Sample, Scenario, Size};

/// Messages per fill-and-drain batch: the ring's capacity.
const BATCH: u64 = 1024;

/// Which half of each batch the clock (and the B0 counter) covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Half {
    Publish,
    Consume,
}

pub(super) fn scenarios() -> Vec<Scenario> {
    let size = |messages| Size {
        messages,
        b0_messages: 20_480,
        warmup: BATCH,
    };
    [Half::Publish, Half::Consume]
        .into_iter()
        .map(|half| Scenario {
            name: match half {
                Half::Publish => "single/publish/u64",
                Half::Consume => "single/consume/u64",
            },
            kind: Kind::Throughput,
            quick: size(BATCH * 300),
            full: size(BATCH * 3000),
            contenders: contenders(half),
        })
        .collect()
}

/// Fills and drains a ring in batches, timing one half.
fn batches(
    cfg: &RunConfig,
    half: Half,
    mut send: impl FnMut(u64),
    mut recv: impl FnMut() -> u64,
) -> Sample {
    let mut run = |batches: u64, cfg: &RunConfig| {
        let mut elapsed = Duration::ZERO;
        let mut allocs = zerocast_alloc::AllocStats::ZERO;
        for b in 0..batches {
            let base = b * BATCH;
            let fill = |send: &mut dyn FnMut(u64)| (0..BATCH).for_each(|i| send(base + i));
            let drain = |recv: &mut dyn FnMut() -> u64| {
                (0..BATCH).for_each(|i| assert_eq!(black_box(recv()), base + i))
            };
            match half {
                Half::Publish => {
                    let start = Instant::now();
                    allocs += cfg.measure(|| fill(&mut send)).1;
                    elapsed += start.elapsed();
                    drain(&mut recv);
                }
                Half::Consume => {
                    fill(&mut send);
                    let start = Instant::now();
                    allocs += cfg.measure(|| drain(&mut recv)).1;
                    elapsed += start.elapsed();
                }
            }
        }
        (elapsed, allocs)
    };
    let warm = RunConfig {
        count_allocs: false,
        ..*cfg
    };
    run(cfg.warmup.div_ceil(BATCH), &warm);
    let batches = cfg.messages.div_ceil(BATCH);
    let (elapsed, allocs) = run(batches, cfg);
    Sample {
        elapsed,
        messages: batches * BATCH,
        allocs,
        latency: None,
    }
}

fn contenders(half: Half) -> Vec<Contender> {
    let cap = BATCH as usize;
    vec![
        Contender::new("zerocast", move |cfg: &RunConfig| {
            let (mut tx, mut rx) = zerocast::spsc::channel::<u64>(cap);
            batches(
                cfg,
                half,
                |v| tx.try_push(v).unwrap(),
                || rx.try_pop().unwrap(),
            )
        }),
        Contender::new("zerocast-multicast", move |cfg: &RunConfig| {
            let (mut tx, mut subs) = zerocast::multicast::channel::<u64>(cap, 1);
            let rx = &mut subs[0];
            batches(
                cfg,
                half,
                |v| tx.try_publish(v).unwrap(),
                || rx.try_recv().unwrap(),
            )
        }),
        Contender::new("rtrb", move |cfg: &RunConfig| {
            let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(cap);
            batches(cfg, half, |v| tx.push(v).unwrap(), || rx.pop().unwrap())
        }),
        Contender::new("crossbeam-channel", move |cfg: &RunConfig| {
            let (tx, rx) = crossbeam_channel::bounded::<u64>(cap);
            batches(
                cfg,
                half,
                |v| tx.try_send(v).unwrap(),
                || rx.try_recv().unwrap(),
            )
        }),
        Contender::new("kanal", move |cfg: &RunConfig| {
            let (tx, rx) = kanal::bounded::<u64>(cap);
            batches(
                cfg,
                half,
                |v| assert!(tx.try_send(v).unwrap()),
                || rx.try_recv().unwrap().unwrap(),
            )
        }),
        Contender::new("flume", move |cfg: &RunConfig| {
            let (tx, rx) = flume::bounded::<u64>(cap);
            batches(
                cfg,
                half,
                |v| tx.try_send(v).unwrap(),
                || rx.try_recv().unwrap(),
            )
        }),
        Contender::new("thingbuf", move |cfg: &RunConfig| {
            let (tx, rx) = thingbuf::mpsc::blocking::channel::<u64>(cap);
            batches(
                cfg,
                half,
                |v| tx.try_send(v).unwrap(),
                || rx.try_recv().unwrap(),
            )
        }),
        Contender::new("tokio", move |cfg: &RunConfig| {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(cap);
            batches(
                cfg,
                half,
                |v| tx.try_send(v).unwrap(),
                || rx.try_recv().unwrap(),
            )
        }),
        Contender::new("std", move |cfg: &RunConfig| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<u64>(cap);
            batches(
                cfg,
                half,
                |v| tx.try_send(v).unwrap(),
                || rx.try_recv().unwrap(),
            )
        }),
        Contender::not_applicable("disruptor", "no single-thread try-publish/poll pair"),
    ]
}
