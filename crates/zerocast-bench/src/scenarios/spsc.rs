//! One producer, one consumer: cross-thread (`threads`), in bursts with the
//! producer waiting for each burst to be consumed (`threads-burstN`), and two
//! futures on one runtime (`async`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::{CAPACITY, THROUGHPUT};
use crate::harness::{warm_then_measure, Contender, Kind, RunConfig, Sample, Scenario, Size};
use crate::peers::asynchronous::{self, Async};
use crate::peers::blocking::{self, backoff, Blocking};
use crate::peers::{runtime, Order, Payload, Struct64};
use crate::threads::spawn_pinned;

pub(super) fn scenarios() -> Vec<Scenario> {
    let mut all = vec![threads::<u64>(), threads::<Struct64>()];
    for burst in [1, 10, 100] {
        all.push(bursts(burst));
    }
    all.push(asynchronous::<u64>());
    all.push(asynchronous::<Struct64>());
    all
}

fn name(mode: &str, payload: &str) -> &'static str {
    Box::leak(format!("spsc/{mode}/{payload}").into_boxed_str())
}

fn threads<P: Payload>() -> Scenario {
    Scenario {
        name: name("threads", P::NAME),
        kind: Kind::Throughput,
        quick: THROUGHPUT.0,
        full: THROUGHPUT.1,
        contenders: vec![
            threaded::<P, blocking::Floor>(),
            threaded::<P, blocking::Zerocast>(),
            threaded::<P, blocking::ZerocastSpin>(),
            threaded::<P, blocking::ZerocastTry>(),
            threaded::<P, blocking::Rtrb>(),
            threaded::<P, blocking::Crossbeam>(),
            threaded::<P, blocking::Flume>(),
            threaded::<P, blocking::Kanal>(),
            threaded::<P, blocking::Disruptor>(),
            threaded::<P, blocking::Bus>(),
            threaded::<P, blocking::Thingbuf>(),
            threaded::<P, blocking::TokioMpsc>(),
            threaded::<P, blocking::Std>(),
            Contender::not_applicable("async-broadcast", "async only"),
        ],
    }
}

fn threaded<P: Payload, C: Blocking<P>>() -> Contender {
    Contender::new(C::NAME, run_threads::<P, C>)
}

/// The producer on core 0, the consumer on core 1; the consumer's clock starts
/// after the warm-up and stops at the last message.
fn run_threads<P: Payload, C: Blocking<P>>(cfg: &RunConfig) -> Sample {
    let cfg = *cfg;
    let (mut tx, mut rx) = C::channel(CAPACITY);
    let total = cfg.warmup + cfg.messages;
    let producer = spawn_pinned(0, move || {
        for seq in 0..cfg.warmup {
            C::send(&mut tx, P::make(seq));
        }
        cfg.measure(|| {
            for seq in cfg.warmup..total {
                C::send(&mut tx, P::make(seq));
            }
        })
        .1
    });
    let consumer = spawn_pinned(1, move || {
        let mut order = Order::default();
        C::recv_n(&mut rx, cfg.warmup, |m| order.check(&m));
        let start = Instant::now();
        let ((), allocs) = cfg.measure(|| C::recv_n(&mut rx, cfg.messages, |m| order.check(&m)));
        (start.elapsed(), allocs)
    });
    let sent = producer.join().expect("producer");
    let (elapsed, received) = consumer.join().expect("consumer");
    Sample {
        elapsed,
        messages: cfg.messages,
        allocs: sent + received,
        latency: None,
    }
}

fn bursts(burst: u64) -> Scenario {
    let sizes = |s: Size| Size {
        messages: s.messages / 4,
        ..s
    };
    Scenario {
        name: name(&format!("threads-burst{burst}"), "u64"),
        kind: Kind::Throughput,
        quick: sizes(THROUGHPUT.0),
        full: sizes(THROUGHPUT.1),
        contenders: vec![
            bursty::<blocking::Zerocast>(burst),
            bursty::<blocking::Rtrb>(burst),
            bursty::<blocking::Crossbeam>(burst),
            bursty::<blocking::Flume>(burst),
            bursty::<blocking::Kanal>(burst),
            bursty::<blocking::Disruptor>(burst),
            bursty::<blocking::Bus>(burst),
            bursty::<blocking::Thingbuf>(burst),
            bursty::<blocking::TokioMpsc>(burst),
            bursty::<blocking::Std>(burst),
            Contender::not_applicable("async-broadcast", "async only"),
        ],
    }
}

fn bursty<C: Blocking<u64>>(burst: u64) -> Contender {
    Contender::new(C::NAME, move |cfg: &RunConfig| run_bursts::<C>(cfg, burst))
}

/// The producer sends `burst` messages, then waits until the consumer has taken
/// them all: every burst finds the consumer idle, so every burst pays a wake-up.
fn run_bursts<C: Blocking<u64>>(cfg: &RunConfig, burst: u64) -> Sample {
    let cfg = *cfg;
    let (mut tx, mut rx) = C::channel(CAPACITY);
    let consumed = Arc::new(AtomicU64::new(0));
    let total = cfg.warmup + cfg.messages;
    let seen = consumed.clone();
    let producer = spawn_pinned(0, move || {
        let mut send_bursts = |from: u64, to: u64| {
            let mut seq = from;
            while seq < to {
                let end = (seq + burst).min(to);
                for s in seq..end {
                    C::send(&mut tx, s);
                }
                let mut spins = 0;
                while seen.load(Ordering::Acquire) < end {
                    backoff(&mut spins);
                }
                seq = end;
            }
        };
        send_bursts(0, cfg.warmup);
        let start = Instant::now();
        let ((), allocs) = cfg.measure(|| send_bursts(cfg.warmup, total));
        (start.elapsed(), allocs)
    });
    let consumer = spawn_pinned(1, move || {
        let mut order = Order::default();
        let mut take = |n: u64| {
            for _ in 0..n {
                C::recv_n(&mut rx, 1, |m| order.check(&m));
                consumed.fetch_add(1, Ordering::Release);
            }
        };
        take(cfg.warmup);
        cfg.measure(|| take(cfg.messages)).1
    });
    let (elapsed, sent) = producer.join().expect("producer");
    let received = consumer.join().expect("consumer");
    Sample {
        elapsed,
        messages: cfg.messages,
        allocs: sent + received,
        latency: None,
    }
}

fn asynchronous<P: Payload>() -> Scenario {
    Scenario {
        name: name("async", P::NAME),
        kind: Kind::Throughput,
        quick: THROUGHPUT.0,
        full: THROUGHPUT.1,
        contenders: vec![
            awaited::<P, asynchronous::RuntimeFloor>(),
            awaited::<P, asynchronous::Zerocast>(),
            awaited::<P, asynchronous::Kanal>(),
            awaited::<P, asynchronous::TokioMpsc>(),
            awaited::<P, asynchronous::Flume>(),
            awaited::<P, asynchronous::Thingbuf>(),
            awaited::<P, asynchronous::AsyncBroadcast>(),
            Contender::not_applicable("crossbeam-channel", "no async API"),
            Contender::not_applicable("rtrb", "no async API"),
            Contender::not_applicable("disruptor", "no async API"),
            Contender::not_applicable("bus", "no async API"),
            Contender::not_applicable("std", "no async API"),
        ],
    }
}

fn awaited<P: Payload, C: Async<P>>() -> Contender {
    Contender::new(C::NAME, run_async::<P, C>)
}

/// A producer future and a consumer future joined on one current-thread
/// runtime: every `Pending`, wake and re-poll happens on the counted thread.
fn run_async<P: Payload, C: Async<P>>(cfg: &RunConfig) -> Sample {
    let rt = runtime();
    let (mut tx, mut rx) = C::channel(CAPACITY);
    let mut order = Order::default();
    warm_then_measure(cfg, |from, to| {
        rt.block_on(async {
            tokio::join!(
                async {
                    for seq in from..to {
                        C::send(&mut tx, P::make(seq)).await;
                    }
                },
                async {
                    for _ in from..to {
                        order.check(&C::recv(&mut rx).await);
                    }
                }
            )
        });
    })
}
