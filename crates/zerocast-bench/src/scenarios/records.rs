//! Typed record buffers: broadcast with lag (1→4), the latest-value watch and
//! the single-slot mailbox, as futures on one runtime; and the three AimDB
//! profiles, one-way latency with the receiver waiting, on one runtime as
//! AimDB measured them.

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use std::time::Instant;

use super::latency::{latency_sample, now};
use super::{CAPACITY, LATENCY, THROUGHPUT};
use crate::harness::{
    latency_histogram, warm_then_measure, Contender, Kind, RunConfig, Sample, Scenario,
};
use crate::peers::records::{
    AsyncBroadcast, BroadcastFloor, Records, RuntimeFloor, TokioBroadcast, TokioNotifySlot,
    TokioWatch, ZerocastBroadcast, ZerocastMailbox, ZerocastWatch,
};
use crate::peers::{runtime, Order, Payload, Record24, Record40, YieldNow};

/// Sends between yields in the broadcast scenario: a quarter of the ring, so
/// the receivers, which run at each yield, never lag.
const BURST: u64 = CAPACITY as u64 / 4;

const NO_LATEST: &str = "no latest-value channel";
const NOT_BROADCAST: &str = "each message reaches one receiver";

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        throughput(
            "broadcast4/async/u64",
            vec![
                on_runtime::<ZerocastBroadcast>(4, BURST),
                on_runtime::<TokioBroadcast>(4, BURST),
                on_runtime::<AsyncBroadcast>(4, BURST),
                on_runtime::<BroadcastFloor>(4, BURST),
                Contender::not_applicable("flume", NOT_BROADCAST),
                Contender::not_applicable("kanal", NOT_BROADCAST),
            ],
        ),
        throughput(
            "watch/async/u64",
            vec![
                on_runtime::<ZerocastWatch>(1, 1),
                on_runtime::<TokioWatch>(1, 1),
                on_runtime::<RuntimeFloor>(1, 1),
                Contender::not_applicable("async-broadcast", NO_LATEST),
                Contender::not_applicable("flume", NO_LATEST),
                Contender::not_applicable("kanal", NO_LATEST),
            ],
        ),
        throughput(
            "watch/poll/u64",
            vec![polled::<ZerocastWatch>(), polled::<TokioWatch>()],
        ),
        throughput(
            "mailbox/poll/u64",
            vec![
                polled::<ZerocastMailbox>(),
                polled::<TokioWatch>(),
                polled::<TokioNotifySlot>(),
            ],
        ),
        throughput(
            "broadcast1/poll/u64",
            vec![
                polled::<ZerocastBroadcast>(),
                polled::<TokioBroadcast>(),
                polled::<AsyncBroadcast>(),
            ],
        ),
        throughput(
            "mailbox/async/u64",
            vec![
                on_runtime::<ZerocastMailbox>(1, 1),
                on_runtime::<TokioWatch>(1, 1),
                on_runtime::<TokioNotifySlot>(1, 1),
                on_runtime::<RuntimeFloor>(1, 1),
            ],
        ),
        one_way(
            "aimdb/telemetry/broadcast/rec24",
            vec![
                latency::<Record24, ZerocastBroadcast>(),
                latency::<Record24, TokioBroadcast>(),
                latency::<Record24, AsyncBroadcast>(),
            ],
        ),
        one_way(
            "aimdb/state/watch/rec40",
            vec![
                latency::<Record40, ZerocastWatch>(),
                latency::<Record40, TokioWatch>(),
            ],
        ),
        one_way(
            "aimdb/command/mailbox/rec24",
            vec![
                latency::<Record24, ZerocastMailbox>(),
                latency::<Record24, TokioWatch>(),
                latency::<Record24, TokioNotifySlot>(),
            ],
        ),
    ]
}

fn throughput(name: &'static str, contenders: Vec<Contender>) -> Scenario {
    Scenario {
        name,
        kind: Kind::Throughput,
        quick: THROUGHPUT.0,
        full: THROUGHPUT.1,
        contenders,
    }
}

fn one_way(name: &'static str, contenders: Vec<Contender>) -> Scenario {
    Scenario {
        name,
        kind: Kind::Latency,
        quick: LATENCY.0,
        full: LATENCY.1,
        contenders,
    }
}

fn latency<P: Payload, R: Records<P>>() -> Contender {
    Contender::new(R::NAME, run_latency::<P, R>)
}

fn polled<R: Records<u64>>() -> Contender {
    Contender::new(R::NAME, run_polled::<R>)
}

fn on_runtime<R: Records<u64>>(readers: usize, burst: u64) -> Contender {
    Contender::new(R::NAME, move |cfg: &RunConfig| {
        run_on_runtime::<R>(cfg, readers, burst)
    })
}

/// The sender and the receivers as futures of one task on a current-thread
/// runtime: the sender sends `burst` records, then yields until every
/// receiver has taken them (a receiver may stop early: tokio's receivers
/// return `Pending` when the task's co-operative budget runs out). Each
/// receiver checks it got every record, in order.
fn run_on_runtime<R: Records<u64>>(cfg: &RunConfig, readers: usize, burst: u64) -> Sample {
    let rt = runtime();
    let (mut tx, mut rxs) = R::channel(CAPACITY, readers);
    let mut orders: Vec<Order> = (0..readers).map(|_| Order::starting_at(1)).collect();
    let taken: Vec<Cell<u64>> = (0..readers).map(|_| Cell::new(0)).collect();
    warm_then_measure(cfg, |from, to| {
        rt.block_on(async {
            let taken = &taken;
            let sender = async {
                for v in from..to {
                    R::send(&mut tx, v + 1);
                    if (v + 1) % burst == 0 || v + 1 == to {
                        while taken.iter().any(|t| t.get() <= v) {
                            YieldNow::default().await;
                        }
                    }
                }
            };
            let mut receivers = rxs.iter_mut().zip(orders.iter_mut()).zip(taken).map(
                |((rx, order), taken)| async move {
                    for _ in from..to {
                        let v = R::recv(rx).await;
                        order.check(&v);
                        taken.set(v);
                    }
                },
            );
            match readers {
                1 => {
                    let r0 = receivers.next().expect("one receiver");
                    tokio::join!(sender, r0);
                }
                4 => {
                    let [r0, r1, r2, r3] =
                        [(); 4].map(|()| receivers.next().expect("four receivers"));
                    tokio::join!(sender, r0, r1, r2, r3);
                }
                n => unreachable!("{n} receivers: scenarios use 1 or 4"),
            }
        });
    })
}

/// One-way latency with the receiver waiting, on one runtime: the sender
/// stamps a record and sends it, then yields until the receiver has taken it;
/// the receiver, registered and `Pending` when each record is sent, records
/// the time from stamp to its own read. Each hop is a send, a wake-up, a
/// re-poll of the task and a receive.
fn run_latency<P: Payload, R: Records<P>>(cfg: &RunConfig) -> Sample {
    let rt = runtime();
    let (mut tx, mut rxs) = R::channel(CAPACITY, 1);
    let mut rx = rxs.pop().expect("one receiver");
    let mut hist = latency_histogram();
    let base = Instant::now();
    let mut run = |n: u64, hist: &mut hdrhistogram::Histogram<u64>, record: bool| {
        let taken = Cell::new(0);
        rt.block_on(async {
            let sender = async {
                for _ in 0..n {
                    let stamp = now(base).max(taken.get() + 1);
                    R::send(&mut tx, P::make(stamp));
                    while taken.get() != stamp {
                        YieldNow::default().await;
                    }
                }
            };
            let receiver = async {
                for _ in 0..n {
                    let stamp = R::recv(&mut rx).await.seq();
                    if record {
                        hist.saturating_record(now(base).saturating_sub(stamp).max(1));
                    }
                    taken.set(stamp);
                }
            };
            tokio::join!(sender, receiver);
        });
    };
    run(cfg.warmup, &mut hist, false);
    let ((), allocs) = cfg.measure(|| run(cfg.messages, &mut hist, true));
    latency_sample(hist, allocs)
}

/// The buffer itself, without a runtime: for each record the receiver's
/// future is polled once (`Pending`, its waker registered), the sender sends
/// (and wakes it), and the future is polled again to `Ready`. One thread, a
/// waker that does nothing, so what is timed is the send, the registration,
/// the wake and the receive — the part a runtime's scheduling does not hide.
fn run_polled<R: Records<u64>>(cfg: &RunConfig) -> Sample {
    let (mut tx, mut rxs) = R::channel(CAPACITY, 1);
    let mut rx = rxs.pop().expect("one receiver");
    let mut order = Order::starting_at(1);
    let mut cx = Context::from_waker(Waker::noop());
    warm_then_measure(cfg, |from, to| {
        for v in from..to {
            let mut recv = pin!(R::recv(&mut rx));
            assert!(recv.as_mut().poll(&mut cx).is_pending(), "nothing sent yet");
            R::send(&mut tx, v + 1);
            match recv.as_mut().poll(&mut cx) {
                Poll::Ready(got) => order.check(&got),
                Poll::Pending => panic!("sent, yet not ready"),
            }
        }
    })
}
