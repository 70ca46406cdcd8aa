//! zerocast's demo: prove a hot path allocation-free, and catch one that is not.
//!
//! `cargo run --example demo`

use std::collections::VecDeque;
use std::hint::black_box;

use zerocast_alloc::{count_allocs, hot_path, GuardedAlloc, HotPathGuard};

#[global_allocator]
static GLOBAL: GuardedAlloc = GuardedAlloc::system();

/// A 24-byte telemetry record, the kind a pipeline moves millions of.
#[derive(Clone, Copy, Debug, Default)]
struct Record {
    sensor: u32,
    seq: u64,
    value: f64,
}

/// The clean stage: decode into a queue whose capacity was reserved at start-up.
#[hot_path]
fn ingest(queue: &mut VecDeque<Record>, seq: u64) -> Option<Record> {
    queue.push_back(Record {
        sensor: (seq % 16) as u32,
        seq,
        value: seq as f64 * 0.5,
    });
    queue.pop_front()
}

/// The same stage with a hidden allocation: a log line built per message.
#[hot_path]
fn ingest_with_log(queue: &mut VecDeque<Record>, seq: u64) -> String {
    let record = ingest(queue, seq);
    format!("processed {record:?}")
}

fn main() {
    let mut queue = VecDeque::with_capacity(1024);
    for seq in 0..1_000 {
        ingest(&mut queue, seq); // warm-up
    }

    let messages = 1_000_000u64;
    let (checksum, stats) = count_allocs(|| {
        let mut checksum = 0u64;
        for seq in 0..messages {
            if let Some(r) = ingest(&mut queue, seq) {
                checksum = checksum.wrapping_add(r.seq ^ u64::from(r.sensor) ^ r.value.to_bits());
            }
        }
        checksum
    });
    println!("clean path: {messages} messages through `ingest` (checksum {checksum:x})");
    println!(
        "  allocations/message: {:.3}   bytes/message: {:.3}",
        stats.allocations() as f64 / messages as f64,
        stats.bytes as f64 / messages as f64
    );

    if !zerocast_alloc::ENFORCING {
        println!("(release build without feature `enforce`: #[hot_path] is compiled out)");
        return;
    }
    println!("\nallocating path: one call to `ingest_with_log` under #[hot_path]");
    // Keep the default hook's "thread panicked" line out of the demo output.
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(move || {
        let _outer = HotPathGuard::enter("demo::main");
        black_box(ingest_with_log(&mut queue, 1))
    });
    let _ = std::panic::take_hook();
    match caught {
        Err(payload) => match payload.downcast::<String>() {
            Ok(message) => println!("  caught: {message}"),
            Err(_) => println!("  caught a panic without a message"),
        },
        Ok(line) => println!("  not caught (unexpected): {line}"),
    }
}
