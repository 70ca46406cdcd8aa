//! One publisher, N subscribers, lossless: every subscriber sees every message
//! and the slowest applies backpressure. Threads, and futures on one runtime.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use super::{CAPACITY, THROUGHPUT};
use crate::harness::{Contender, Kind, RunConfig, Sample, Scenario, Size};
use crate::peers::fanout::{self, FanoutAsync, FanoutBlocking};
use crate::peers::{runtime, Order};
use crate::threads::spawn_pinned;

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![threads(1), threads(4), asynchronous(1), asynchronous(4)]
}

const WORK_DISTRIBUTING: &str = "work-distributing MPMC: each message reaches one receiver";

fn sizes(s: Size) -> Size {
    Size {
        messages: s.messages / 2,
        ..s
    }
}

fn threads(readers: usize) -> Scenario {
    Scenario {
        name: if readers == 1 {
            "fanout1/threads/u64"
        } else {
            "fanout4/threads/u64"
        },
        kind: Kind::Throughput,
        quick: sizes(THROUGHPUT.0),
        full: sizes(THROUGHPUT.1),
        contenders: vec![
            threaded::<fanout::Zerocast>(readers),
            threaded::<fanout::Disruptor>(readers),
            threaded::<fanout::Bus>(readers),
            threaded::<fanout::TokioBroadcast>(readers),
            Contender::not_applicable("async-broadcast", "async only"),
            Contender::not_applicable("crossbeam-channel", WORK_DISTRIBUTING),
            Contender::not_applicable("flume", WORK_DISTRIBUTING),
            Contender::not_applicable("kanal", WORK_DISTRIBUTING),
            Contender::not_applicable("thingbuf", "MPSC: one receiver"),
            Contender::not_applicable("rtrb", "SPSC: one receiver"),
            Contender::not_applicable("std", "MPSC: one receiver"),
        ],
    }
}

fn threaded<C: FanoutBlocking<u64>>(readers: usize) -> Contender {
    Contender::new(C::NAME, move |cfg: &RunConfig| {
        run_threads::<C>(cfg, readers)
    })
}

/// The publisher on core 0 and the subscribers spread over the cores; the time
/// runs from the first subscriber's start to the last subscriber's finish.
fn run_threads<C: FanoutBlocking<u64>>(cfg: &RunConfig, readers: usize) -> Sample {
    let cfg = *cfg;
    let (mut tx, rxs) = C::channel(CAPACITY, readers);
    let total = cfg.warmup + cfg.messages;
    let subscribers: Vec<_> = rxs
        .into_iter()
        .enumerate()
        .map(|(i, mut rx)| {
            spawn_pinned(i + 1, move || {
                let mut order = Order::default();
                C::recv_n(&mut rx, cfg.warmup, |m| order.check(&m));
                let start = Instant::now();
                let ((), allocs) =
                    cfg.measure(|| C::recv_n(&mut rx, cfg.messages, |m| order.check(&m)));
                (start, Instant::now(), allocs)
            })
        })
        .collect();
    let publisher = spawn_pinned(0, move || {
        for seq in 0..cfg.warmup {
            C::send(&mut tx, seq);
        }
        let allocs = cfg
            .measure(|| {
                for seq in cfg.warmup..total {
                    C::send(&mut tx, seq);
                }
            })
            .1;
        (allocs, tx)
    });
    let (mut allocs, tx) = publisher.join().expect("publisher");
    let mut first = None::<Instant>;
    let mut last = None::<Instant>;
    for s in subscribers {
        let (start, end, a) = s.join().expect("subscriber");
        allocs += a;
        first = Some(first.map_or(start, |f| f.min(start)));
        last = Some(last.map_or(end, |l| l.max(end)));
    }
    drop(tx);
    let (first, last) = (first.expect("a subscriber"), last.expect("a subscriber"));
    Sample {
        elapsed: last - first,
        messages: cfg.messages,
        allocs,
        latency: None,
    }
}

fn asynchronous(readers: usize) -> Scenario {
    Scenario {
        name: if readers == 1 {
            "fanout1/async/u64"
        } else {
            "fanout4/async/u64"
        },
        kind: Kind::Throughput,
        quick: sizes(THROUGHPUT.0),
        full: sizes(THROUGHPUT.1),
        contenders: vec![
            awaited::<fanout::Zerocast>(readers),
            awaited::<fanout::TokioBroadcast>(readers),
            awaited::<fanout::AsyncBroadcast>(readers),
            Contender::not_applicable("disruptor", "no async API"),
            Contender::not_applicable("bus", "no async API"),
            Contender::not_applicable("crossbeam-channel", WORK_DISTRIBUTING),
            Contender::not_applicable("flume", WORK_DISTRIBUTING),
            Contender::not_applicable("kanal", WORK_DISTRIBUTING),
            Contender::not_applicable("thingbuf", "MPSC: one receiver"),
        ],
    }
}

fn awaited<C: FanoutAsync<u64>>(readers: usize) -> Contender {
    Contender::new(C::NAME, move |cfg: &RunConfig| run_async::<C>(cfg, readers))
}

type Task<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Polls every unfinished task on each poll: a join over a runtime-sized set
/// that allocates nothing while it runs (its tasks are boxed before counting).
struct JoinAll<'a> {
    tasks: Vec<Option<Task<'a>>>,
}

impl Future for JoinAll<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut pending = false;
        for slot in self.tasks.iter_mut() {
            if let Some(task) = slot {
                if task.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    pending = true;
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

fn exchange<'a, C: FanoutAsync<u64>>(
    tx: &'a mut C::Tx,
    rxs: &'a mut [C::Rx],
    from: u64,
    to: u64,
) -> JoinAll<'a> {
    let mut tasks: Vec<Option<Task<'a>>> = Vec::with_capacity(rxs.len() + 1);
    tasks.push(Some(Box::pin(async move {
        for seq in from..to {
            C::send(tx, seq).await;
        }
    })));
    for rx in rxs.iter_mut() {
        tasks.push(Some(Box::pin(async move {
            let mut order = Order::starting_at(from);
            for _ in from..to {
                order.check(&C::recv(rx).await);
            }
        })));
    }
    JoinAll { tasks }
}

/// The publisher and every subscriber as futures joined on one current-thread
/// runtime.
fn run_async<C: FanoutAsync<u64>>(cfg: &RunConfig, readers: usize) -> Sample {
    let rt = runtime();
    let (mut tx, mut rxs) = C::channel(CAPACITY, readers);
    rt.block_on(exchange::<C>(&mut tx, &mut rxs, 0, cfg.warmup));
    let measured = exchange::<C>(&mut tx, &mut rxs, cfg.warmup, cfg.warmup + cfg.messages);
    let start = Instant::now();
    let ((), allocs) = cfg.measure(|| rt.block_on(measured));
    Sample {
        elapsed: start.elapsed(),
        messages: cfg.messages,
        allocs,
        latency: None,
    }
}
