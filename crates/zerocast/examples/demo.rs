//! zerocast's demo: a three-stage pipeline whose every thread proves it made
//! zero allocations per message — waiting and waking included — and a stage
//! that allocates, caught by `#[hot_path]`.
//!
//! `cargo run --example demo` (add `--release` for throughput figures)

use std::hint::black_box;
use std::thread;
use std::time::Instant;

use zerocast::{multicast, spsc};
use zerocast_alloc::{count_allocs, hot_path, AllocStats, GuardedAlloc, HotPathGuard};

#[global_allocator]
static GLOBAL: GuardedAlloc = GuardedAlloc::system();

/// A 24-byte telemetry record.
#[derive(Clone, Copy, Debug, Default)]
struct Record {
    sensor: u32,
    seq: u64,
    value: f64,
}

const MESSAGES: u64 = 1_000_000;
/// Messages each thread handles before it starts counting.
const WARMUP: u64 = 10_000;
const SUBSCRIBERS: usize = 3;

/// Runs `f` for the warm-up messages uncounted, then for the rest counted.
fn warm_then_count(mut f: impl FnMut(u64)) -> AllocStats {
    (0..WARMUP).for_each(&mut f);
    count_allocs(|| (WARMUP..MESSAGES).for_each(&mut f)).1
}

fn per_message(stats: AllocStats) -> f64 {
    stats.allocations() as f64 / (MESSAGES - WARMUP) as f64
}

/// The clean routing step: no allocation, checked in debug builds.
#[hot_path]
fn route(publisher: &mut multicast::Publisher<Record>, record: Record) {
    publisher
        .publish_blocking(record)
        .expect("subscribers alive");
}

/// The same step with a log line built per message.
#[hot_path]
fn route_and_log(publisher: &mut multicast::Publisher<Record>, record: Record) -> String {
    route(publisher, record);
    format!("routed {record:?}")
}

fn main() {
    let (mut ingest, mut router_in) = spsc::channel::<Record>(1024);
    let (mut router_out, subscribers) = multicast::channel::<Record>(1024, SUBSCRIBERS);
    let start = Instant::now();

    let source = thread::spawn(move || {
        warm_then_count(|seq| {
            let record = Record {
                sensor: (seq % 16) as u32,
                seq,
                value: seq as f64 * 0.5,
            };
            ingest.push_blocking(record).expect("router alive");
        })
    });
    let router = thread::spawn(move || {
        let stats = warm_then_count(|_| {
            let record = router_in.pop_blocking().expect("source alive");
            route(&mut router_out, record);
        });
        (stats, router_out)
    });
    let sinks: Vec<_> = subscribers
        .into_iter()
        .map(|mut sub| {
            thread::spawn(move || {
                let mut sum = 0.0;
                let mut expected = 0;
                let stats = warm_then_count(|_| {
                    let r = sub.recv_blocking().expect("router alive");
                    assert_eq!(r.seq, expected, "in order, nothing lost");
                    expected += 1;
                    sum += r.value + f64::from(r.sensor);
                });
                (stats, sum)
            })
        })
        .collect();

    let source_stats = source.join().expect("source");
    let (router_stats, router_out) = router.join().expect("router");
    let sink_results: Vec<_> = sinks.into_iter().map(|s| s.join().expect("sink")).collect();
    let elapsed = start.elapsed();

    println!(
        "pipeline: source -> spsc -> router -> multicast -> {SUBSCRIBERS} subscribers, \
         {MESSAGES} records of 24 bytes"
    );
    println!(
        "  {:.1} M records/s end to end ({:.0} ms)",
        MESSAGES as f64 / elapsed.as_secs_f64() / 1e6,
        elapsed.as_secs_f64() * 1e3
    );
    println!("  allocations per message, counted on each thread after {WARMUP} warm-up messages:");
    println!("    source     {:.3}", per_message(source_stats));
    println!("    router     {:.3}", per_message(router_stats));
    for (i, (stats, sum)) in sink_results.iter().enumerate() {
        println!(
            "    subscriber {i} {:.3}  (checksum {sum:.0})",
            per_message(*stats)
        );
    }

    if !zerocast_alloc::ENFORCING {
        println!("(release build without feature `enforce`: #[hot_path] is compiled out)");
        return;
    }
    println!("\nallocating stage: one call to `route_and_log` under #[hot_path]");
    // The pipeline's subscribers are gone: use a fresh channel with a reader,
    // warmed up like any hot path (this thread's first blocking call builds
    // its parking waker, once).
    drop(router_out);
    let (mut publisher, mut reader) = multicast::channel::<Record>(4, 1);
    publisher
        .publish_blocking(Record::default())
        .expect("reader alive");
    reader[0].try_recv().expect("published above");
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _outer = HotPathGuard::enter("demo::main");
        black_box(route_and_log(&mut publisher, Record::default()))
    }));
    let _ = std::panic::take_hook();
    match caught {
        Err(payload) => match payload.downcast::<String>() {
            Ok(message) => println!("  caught: {message}"),
            Err(_) => println!("  caught a panic without a message"),
        },
        Ok(line) => println!("  not caught (unexpected): {line}"),
    }
}
