//! Pools: acquire a 1033-byte buffer, touch it, release it, on one thread; and
//! 64 KiB payloads placed on one core, read and dropped on another.
//!
//! Every row hides the buffer it touched from the optimiser (`black_box` of
//! the buffer: a `&Vec`, a slice or a pointer), not the guard that lends it:
//! a guard passed to `black_box` would have to be reloaded from memory before
//! its drop, a cost of the benchmark, not of the pool.

use std::hint::black_box;
use std::time::Instant;

use crate::harness::{warm_then_measure, Contender, Kind, RunConfig, Sample, Scenario, Size};
use crate::threads::spawn_pinned;

const BUFFER: usize = 1033;

pub(super) fn scenarios() -> Vec<Scenario> {
    let size = |messages| Size {
        messages,
        b0_messages: 20_000,
        warmup: 1_000,
    };
    let roundtrip = |messages| Size {
        messages,
        b0_messages: 2_000,
        warmup: 200,
    };
    vec![
        Scenario {
            name: "pool/acquire-release/1033",
            kind: Kind::Throughput,
            quick: size(200_000),
            full: size(2_000_000),
            contenders: vec![
                Contender::new("zerocast", run_object_pool),
                Contender::new("zerocast-slab", run_slab_pool),
                Contender::new("zerocast-slab-ticket", run_slab_ticket),
                Contender::new("zerocast-bufferpool", run_buffer_pool),
                Contender::new("zerocast-shared", run_shared_object_pool),
                Contender::new("bab", run_bab),
                Contender::new("lockfree-object-pool", run_lockfree_object_pool),
                Contender::new("sharded-slab", run_sharded_slab),
                Contender::new("std", run_vec),
            ],
        },
        Scenario {
            name: "pool/cross-thread/64KiB",
            kind: Kind::Throughput,
            quick: roundtrip(20_000),
            full: roundtrip(100_000),
            contenders: vec![
                Contender::new("zerocast-slab", |cfg: &RunConfig| {
                    let pool = zerocast::pool::SlabPool::new(0, BIG, 64).expect("pool");
                    run_cross_thread(cfg, move |payload| loop {
                        match pool.alloc(payload) {
                            Ok(ticket) => return ticket,
                            Err(zerocast::pool::SlabError::Exhausted) => {
                                if pool.drain() == 0 {
                                    std::thread::yield_now();
                                }
                            }
                            Err(e) => panic!("{e}"),
                        }
                    })
                }),
                Contender::new("std", |cfg: &RunConfig| {
                    run_cross_thread(cfg, |payload| payload.to_vec())
                }),
            ],
        },
    ]
}

/// The cross-thread payload size.
const BIG: usize = 64 * 1024;

/// A payload carrier: its bytes, wherever they live.
trait Carrier: Send + 'static {
    fn bytes(&self) -> &[u8];
}

impl Carrier for zerocast::pool::SlabTicket {
    fn bytes(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Carrier for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

/// Core 0 places each 64 KiB payload (`place`: into a slab page, or a fresh
/// `Vec`) and sends it over a zerocast SPSC channel; core 1 reads every byte
/// (a checksum) and drops it — the slab page goes home, drained by core 0
/// when it runs out. ns/payload; GB/s is 65 536 / ns.
fn run_cross_thread<C: Carrier>(
    cfg: &RunConfig,
    mut place: impl FnMut(&[u8]) -> C + Send + 'static,
) -> Sample {
    let cfg = *cfg;
    let (mut tx, mut rx) = zerocast::spsc::channel::<C>(32);
    let total = cfg.warmup + cfg.messages;
    let producer = spawn_pinned(0, move || {
        let mut payload = vec![0u8; BIG];
        let mut send = |from: u64, to: u64| {
            for i in from..to {
                payload[0] = i as u8;
                tx.push_blocking(place(&payload)).expect("consumer alive");
            }
        };
        send(0, cfg.warmup);
        cfg.measure(|| send(cfg.warmup, total)).1
    });
    let consumer = spawn_pinned(1, move || {
        let mut take = |from: u64, to: u64| {
            for i in from..to {
                let carrier = rx.pop_blocking().expect("producer alive");
                let bytes = carrier.bytes();
                assert_eq!(bytes[0], i as u8, "payload out of order");
                let sum = bytes.chunks_exact(8).fold(0u64, |acc, c| {
                    acc ^ u64::from_ne_bytes(c.try_into().expect("8 bytes"))
                });
                black_box(sum);
            }
        };
        take(0, cfg.warmup);
        let start = Instant::now();
        let ((), allocs) = cfg.measure(|| take(cfg.warmup, total));
        (start.elapsed(), allocs)
    });
    let placed = producer.join().expect("producer");
    let (elapsed, read) = consumer.join().expect("consumer");
    Sample {
        elapsed,
        messages: cfg.messages,
        allocs: placed + read,
        latency: None,
    }
}

/// Runs `op` `warmup` times, then `messages` times timed (and counted in B0).
fn ops(cfg: &RunConfig, mut op: impl FnMut(u64)) -> Sample {
    warm_then_measure(cfg, |from, to| (from..to).for_each(&mut op))
}

fn run_object_pool(cfg: &RunConfig) -> Sample {
    // 64 buffers, as bab's pool below; cleared on return, as lockfree-object-pool's.
    let pool: zerocast::pool::ObjectPool<Vec<u8>, 64, _> =
        zerocast::pool::ObjectPool::with(|_| Vec::with_capacity(BUFFER)).reset(Vec::clear);
    ops(cfg, |i| {
        let mut buffer = pool.acquire().expect("a free buffer");
        buffer.push(i as u8);
        black_box(&*buffer);
    })
}

fn run_slab_pool(cfg: &RunConfig) -> Sample {
    // A page lent to the owning thread, touched, and dropped straight back
    // onto the free list: the same work as the other rows.
    let pool = zerocast::pool::SlabPool::new(0, BUFFER, 64).expect("pool");
    ops(cfg, |i| {
        let mut page = pool.alloc_local(BUFFER).expect("a free page");
        page[0] = i as u8;
        black_box(&page[..]);
    })
}

fn run_slab_ticket(cfg: &RunConfig) -> Sample {
    // The cross-thread path, on one thread: the 1033 bytes are copied into a
    // page, the `Send` ticket is read and dropped (its page queued home), and
    // the owner drains every 64 payloads.
    let pool = zerocast::pool::SlabPool::new(0, BUFFER, 64).expect("pool");
    let payload = [0x5au8; BUFFER];
    ops(cfg, |i| {
        let ticket = pool.alloc(&payload).expect("a free page");
        black_box(ticket.as_slice()[i as usize % BUFFER]);
        drop(ticket);
        if i % 64 == 63 {
            pool.drain();
        }
    })
}

fn run_shared_object_pool(cfg: &RunConfig) -> Sample {
    // The thread-safe pool, used from one thread: a lock-free pop and push,
    // plus the guard's handle (an `Arc` clone) per operation.
    let pool = zerocast::pool::SharedObjectPool::new(64, |_| Vec::<u8>::with_capacity(BUFFER))
        .reset(Vec::clear);
    ops(cfg, |i| {
        let mut buffer = pool.try_acquire().expect("a free buffer");
        buffer.push(i as u8);
        black_box(&*buffer);
    })
}

fn run_buffer_pool(cfg: &RunConfig) -> Sample {
    // As many buffers as bab's pool below, a per-thread cache of its batch
    // size: acquire from this thread's cache, touch, release to it.
    let pool = zerocast::pool::BufferPool::builder(BUFFER, 64 * 64)
        .cache(64)
        .build();
    let local = pool.register();
    ops(cfg, |i| {
        let mut buffer = local.try_acquire().expect("a free buffer");
        buffer[0] = i as u8;
        black_box(&buffer[..]);
    })
}

fn run_bab(cfg: &RunConfig) -> Sample {
    // Sized as in bab's own benchmark of this operation.
    let pool = bab::HeapBufferPool::new(BUFFER, 64, 64);
    ops(cfg, |i| {
        let buffer = pool.try_acquire().expect("a free buffer");
        // SAFETY: the buffer was just acquired from `pool`, is exclusively ours,
        // holds `BUFFER` bytes, and is released exactly once.
        unsafe {
            *buffer.data() = i as u8;
            black_box(buffer.data());
            pool.release(buffer);
        }
    })
}

fn run_lockfree_object_pool(cfg: &RunConfig) -> Sample {
    let pool = lockfree_object_pool::LinearObjectPool::new(
        || Vec::<u8>::with_capacity(BUFFER),
        |v| v.clear(),
    );
    ops(cfg, |i| {
        let mut buffer = pool.pull();
        buffer.push(i as u8);
        black_box(&*buffer);
    })
}

fn run_sharded_slab(cfg: &RunConfig) -> Sample {
    let pool: sharded_slab::Pool<Vec<u8>> = sharded_slab::Pool::new();
    ops(cfg, |i| {
        let key = pool
            .create_with(|buffer| {
                buffer.reserve(BUFFER);
                buffer.push(i as u8);
            })
            .expect("a free slot");
        black_box(key);
        pool.clear(key);
    })
}

fn run_vec(cfg: &RunConfig) -> Sample {
    ops(cfg, |i| {
        let mut buffer = Vec::<u8>::with_capacity(BUFFER);
        buffer.push(i as u8);
        black_box(&*buffer);
    })
}
