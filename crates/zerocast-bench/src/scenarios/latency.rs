//! Latency with the receiver waiting (B1): one-way, and round trip over two
//! channels, each beside the floor — two threads handing a cache line back and
//! forth through one atomic, the machine's limit for a cross-thread hand-off,
//! measured in the same rounds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{CAPACITY, LATENCY};
use crate::harness::{latency_histogram, Contender, Kind, RunConfig, Sample, Scenario, FLOOR};
use crate::peers::blocking::{self, Blocking};
use crate::threads::spawn_pinned;

/// The pause between one-way messages, so the receiver is idle (parked or
/// spinning, as its implementation chooses) when each message arrives.
const GAP: Duration = Duration::from_micros(20);

pub(super) fn scenarios() -> Vec<Scenario> {
    let (quick, full) = LATENCY;
    vec![
        Scenario {
            name: "latency/oneway/u64",
            kind: Kind::Latency,
            quick,
            full,
            contenders: contenders(
                Contender::new(FLOOR, floor_oneway),
                [
                    peer::<blocking::Zerocast>(oneway::<blocking::Zerocast>),
                    peer::<blocking::ZerocastSpin>(oneway::<blocking::ZerocastSpin>),
                    peer::<blocking::Crossbeam>(oneway::<blocking::Crossbeam>),
                    peer::<blocking::Flume>(oneway::<blocking::Flume>),
                    peer::<blocking::Kanal>(oneway::<blocking::Kanal>),
                    peer::<blocking::Rtrb>(oneway::<blocking::Rtrb>),
                    peer::<blocking::Disruptor>(oneway::<blocking::Disruptor>),
                    peer::<blocking::Bus>(oneway::<blocking::Bus>),
                    peer::<blocking::Thingbuf>(oneway::<blocking::Thingbuf>),
                    peer::<blocking::TokioMpsc>(oneway::<blocking::TokioMpsc>),
                    peer::<blocking::Std>(oneway::<blocking::Std>),
                ],
            ),
        },
        Scenario {
            name: "latency/roundtrip/u64",
            kind: Kind::Latency,
            quick,
            full,
            contenders: contenders(
                Contender::new(FLOOR, floor_roundtrip),
                [
                    peer::<blocking::Zerocast>(roundtrip::<blocking::Zerocast>),
                    peer::<blocking::ZerocastSpin>(roundtrip::<blocking::ZerocastSpin>),
                    peer::<blocking::Crossbeam>(roundtrip::<blocking::Crossbeam>),
                    peer::<blocking::Flume>(roundtrip::<blocking::Flume>),
                    peer::<blocking::Kanal>(roundtrip::<blocking::Kanal>),
                    peer::<blocking::Rtrb>(roundtrip::<blocking::Rtrb>),
                    peer::<blocking::Disruptor>(roundtrip::<blocking::Disruptor>),
                    peer::<blocking::Bus>(roundtrip::<blocking::Bus>),
                    peer::<blocking::Thingbuf>(roundtrip::<blocking::Thingbuf>),
                    peer::<blocking::TokioMpsc>(roundtrip::<blocking::TokioMpsc>),
                    peer::<blocking::Std>(roundtrip::<blocking::Std>),
                ],
            ),
        },
    ]
}

fn peer<C: Blocking<u64>>(run: fn(&RunConfig) -> Sample) -> Contender {
    Contender::new(<C as Blocking<u64>>::NAME, run)
}

fn contenders(floor: Contender, peers: impl IntoIterator<Item = Contender>) -> Vec<Contender> {
    let mut all = vec![floor];
    all.extend(peers);
    all.push(Contender::not_applicable("async-broadcast", "async only"));
    all
}

/// Nanoseconds since `base`: the shared clock of both threads.
#[inline]
pub(super) fn now(base: Instant) -> u64 {
    base.elapsed().as_nanos() as u64
}

/// Spins until `base` has advanced to `until`.
#[inline]
fn pause_until(base: Instant, until: u64) {
    while now(base) < until {
        std::hint::spin_loop();
    }
}

/// One-way: the sender stamps each message with the shared clock and pauses;
/// the receiver records arrival minus stamp.
fn oneway<C: Blocking<u64>>(cfg: &RunConfig) -> Sample {
    let cfg = *cfg;
    let (mut tx, mut rx) = C::channel(CAPACITY);
    let base = Instant::now();
    let total = cfg.warmup + cfg.messages;
    let gap = GAP.as_nanos() as u64;
    let sender = spawn_pinned(0, move || {
        let mut send = |n: u64| {
            for _ in 0..n {
                let stamp = now(base);
                C::send(&mut tx, stamp);
                pause_until(base, stamp + gap);
            }
        };
        send(cfg.warmup);
        (cfg.measure(|| send(cfg.messages)).1, tx)
    });
    let receiver = spawn_pinned(1, move || {
        let mut hist = latency_histogram();
        C::recv_n(&mut rx, cfg.warmup, |_| {});
        let ((), allocs) = cfg.measure(|| {
            C::recv_n(&mut rx, cfg.messages, |stamp| {
                hist.saturating_record(now(base).saturating_sub(stamp).max(1));
            })
        });
        (hist, allocs)
    });
    let (sent, tx) = sender.join().expect("sender");
    let (hist, received) = receiver.join().expect("receiver");
    drop(tx);
    debug_assert_eq!(hist.len(), cfg.messages.min(total));
    latency_sample(hist, sent + received)
}

/// The figure of a latency run: ns/message is the mean latency.
pub(super) fn latency_sample(
    hist: hdrhistogram::Histogram<u64>,
    allocs: zerocast_alloc::AllocStats,
) -> Sample {
    Sample {
        elapsed: Duration::from_nanos((hist.mean() * hist.len() as f64) as u64),
        messages: hist.len(),
        allocs,
        latency: Some(hist),
    }
}

/// Round trip: ping over one channel, echo over another; the pinger records
/// each round trip.
fn roundtrip<C: Blocking<u64>>(cfg: &RunConfig) -> Sample {
    let cfg = *cfg;
    let (mut ping_tx, mut ping_rx) = C::channel(CAPACITY);
    let (mut pong_tx, mut pong_rx) = C::channel(CAPACITY);
    let total = cfg.warmup + cfg.messages;
    let echo = spawn_pinned(1, move || {
        C::recv_n(&mut ping_rx, cfg.warmup, |v| C::send(&mut pong_tx, v));
        let allocs = cfg
            .measure(|| C::recv_n(&mut ping_rx, cfg.messages, |v| C::send(&mut pong_tx, v)))
            .1;
        (allocs, pong_tx, ping_rx)
    });
    let pinger = spawn_pinned(0, move || {
        let mut hist = latency_histogram();
        let base = Instant::now();
        let mut ping =
            |from: u64, to: u64, hist: &mut hdrhistogram::Histogram<u64>, record: bool| {
                for seq in from..to {
                    let start = now(base);
                    C::send(&mut ping_tx, seq);
                    C::recv_n(&mut pong_rx, 1, |v| assert_eq!(v, seq, "echo out of order"));
                    if record {
                        hist.saturating_record((now(base) - start).max(1));
                    }
                }
            };
        ping(0, cfg.warmup, &mut hist, false);
        let ((), allocs) = cfg.measure(|| ping(cfg.warmup, total, &mut hist, true));
        (hist, allocs, ping_tx, pong_rx)
    });
    let (hist, pinged, ..) = pinger.join().expect("pinger");
    let (echoed, ..) = echo.join().expect("echo");
    latency_sample(hist, pinged + echoed)
}

/// A cache line of its own for one atomic.
#[repr(align(128))]
#[derive(Default)]
struct Line(AtomicU64);

/// The one-way floor: the sender stores its stamp in one atomic, the receiver
/// spins on it and acknowledges through another (outside the measured hop), so
/// no stamp is ever overwritten unread.
fn floor_oneway(cfg: &RunConfig) -> Sample {
    let cfg = *cfg;
    let stamp_line = Arc::new(Line::default());
    let ack_line = Arc::new(Line::default());
    let base = Instant::now();
    let gap = GAP.as_nanos() as u64;
    let total = cfg.warmup + cfg.messages;
    let (stamps, acks) = (stamp_line.clone(), ack_line.clone());
    let sender = spawn_pinned(0, move || {
        for _ in 0..total {
            let stamp = now(base).max(1);
            stamps.0.store(stamp, Ordering::Release);
            pause_until(base, stamp + gap);
            while acks.0.load(Ordering::Acquire) != stamp {
                std::hint::spin_loop();
            }
        }
    });
    let receiver = spawn_pinned(1, move || {
        let mut hist = latency_histogram();
        let mut last = 0;
        let mut take = |n: u64, hist: &mut hdrhistogram::Histogram<u64>, record: bool| {
            for _ in 0..n {
                let stamp = loop {
                    let s = stamp_line.0.load(Ordering::Acquire);
                    if s != last {
                        break s;
                    }
                    std::hint::spin_loop();
                };
                if record {
                    hist.saturating_record(now(base).saturating_sub(stamp).max(1));
                }
                last = stamp;
                ack_line.0.store(stamp, Ordering::Release);
            }
        };
        take(cfg.warmup, &mut hist, false);
        let ((), allocs) = cfg.measure(|| take(cfg.messages, &mut hist, true));
        (hist, allocs)
    });
    sender.join().expect("sender");
    let (hist, allocs) = receiver.join().expect("receiver");
    latency_sample(hist, allocs)
}

/// The round-trip floor: two threads bounce a counter through one atomic.
fn floor_roundtrip(cfg: &RunConfig) -> Sample {
    let cfg = *cfg;
    let line = Arc::new(Line::default());
    let total = cfg.warmup + cfg.messages;
    let other = line.clone();
    // Odd values are pings, even values the echoes.
    let echo = spawn_pinned(1, move || {
        for i in 0..total {
            let ping = 2 * i + 1;
            while other.0.load(Ordering::Acquire) != ping {
                std::hint::spin_loop();
            }
            other.0.store(ping + 1, Ordering::Release);
        }
    });
    let pinger = spawn_pinned(0, move || {
        let mut hist = latency_histogram();
        let base = Instant::now();
        let ping = |from: u64, to: u64, hist: &mut hdrhistogram::Histogram<u64>, record: bool| {
            for i in from..to {
                let start = now(base);
                line.0.store(2 * i + 1, Ordering::Release);
                while line.0.load(Ordering::Acquire) != 2 * i + 2 {
                    std::hint::spin_loop();
                }
                if record {
                    hist.saturating_record((now(base) - start).max(1));
                }
            }
        };
        ping(0, cfg.warmup, &mut hist, false);
        let ((), allocs) = cfg.measure(|| ping(cfg.warmup, total, &mut hist, true));
        (hist, allocs)
    });
    let (hist, allocs) = pinger.join().expect("pinger");
    echo.join().expect("echo");
    latency_sample(hist, allocs)
}
