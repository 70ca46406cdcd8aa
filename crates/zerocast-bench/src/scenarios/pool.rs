//! Buffer pools: acquire a 1033-byte buffer, touch it, release it, on one thread.

use std::hint::black_box;

use crate::harness::{warm_then_measure, Contender, Kind, RunConfig, Sample, Scenario, Size};

const BUFFER: usize = 1033;

pub(super) fn scenarios() -> Vec<Scenario> {
    let size = |messages| Size {
        messages,
        b0_messages: 20_000,
        warmup: 1_000,
    };
    vec![Scenario {
        name: "pool/acquire-release/1033",
        kind: Kind::Throughput,
        quick: size(200_000),
        full: size(2_000_000),
        contenders: vec![
            Contender::new("zerocast", run_object_pool),
            Contender::new("zerocast-slab", run_slab_pool),
            Contender::new("bab", run_bab),
            Contender::new("lockfree-object-pool", run_lockfree_object_pool),
            Contender::new("sharded-slab", run_sharded_slab),
            Contender::new("std", run_vec),
        ],
    }]
}

/// Runs `op` `warmup` times, then `messages` times timed (and counted in B0).
fn ops(cfg: &RunConfig, mut op: impl FnMut(u64)) -> Sample {
    warm_then_measure(cfg, |from, to| (from..to).for_each(&mut op))
}

fn run_object_pool(cfg: &RunConfig) -> Sample {
    // 64 buffers, as bab's pool below; cleared on return, as lockfree-object-pool's.
    let pool: zerocast::pool::ObjectPool<Vec<u8>, 64> =
        zerocast::pool::ObjectPool::with(|_| Vec::with_capacity(BUFFER)).reset(Vec::clear);
    ops(cfg, |i| {
        let mut buffer = pool.acquire().expect("a free buffer");
        buffer.push(i as u8);
        black_box(&buffer);
    })
}

fn run_slab_pool(cfg: &RunConfig) -> Sample {
    // A page per payload: the 1033 bytes are copied in, the ticket is read and
    // dropped (its page queued home), and the owner drains every 64 payloads.
    let mut pool = zerocast::pool::SlabPool::new(0, BUFFER, 64).expect("pool");
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
        black_box(&buffer);
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
        black_box(&buffer);
    })
}
