//! Zero allocations, proven, for the buffer pool and I/O path:
//! `pool::BufferPool` acquire and release (the cache refilling and spilling,
//! and a waiter that is `Pending`, woken and then served), `Packet` clone,
//! split, drop, send and receive (on one thread and across threads),
//! `io::Writer` reserve, commit and flush, `io::WriteFlusher` vectored writes
//! (on one thread, and across two: a writer waiting for room to hand over, a
//! flusher parked and woken by the hand-over), `io::SharedWriter` reserve,
//! commit and flush (a task `Pending` on a sealed segment, on the flusher's
//! ring and on the pool, woken and served; and two threads sharing one
//! writer with a flusher on a third), and `io::Framer` framing —
//! each after a warm-up, under `zerocast-alloc`'s counter.
#![cfg(not(zerocast_loom))]

mod common;

use std::future::Future;
use std::io::{self, Write};
use std::pin::pin;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll};

use common::WakeCount;
use zerocast::io::{encode_header, FrameError, Framer, WriteError, WriteFlusher, HEADER_LEN};
use zerocast::pool::{BufferPool, SendPacket};
use zerocast::spsc;
use zerocast_alloc::{assert_no_alloc, count_allocs, AllocStats};

const N: u64 = 10_000;

static WAKES: WakeCount = WakeCount::new();

/// A sink that checks nothing and keeps nothing: counts bytes and calls.
#[derive(Default)]
struct CountingSink {
    bytes: usize,
    writes: usize,
}

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        self.bytes += buf.len();
        Ok(buf.len())
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.writes += 1;
        let n = bufs.iter().map(|b| b.len()).sum::<usize>();
        self.bytes += n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `run(1_000)` as a warm-up, then asserts that `run(N)` allocates
/// nothing on this thread.
fn no_allocs_after_warm_up(mut run: impl FnMut(u64)) {
    run(1_000);
    let ((), stats) = count_allocs(|| run(N));
    assert_eq!(stats, AllocStats::ZERO);
}

/// Runs `op` until it succeeds, letting `flusher` write to `sink` each time
/// it reports the flusher behind or no buffer free.
fn retrying<T>(
    mut op: impl FnMut() -> Result<T, WriteError>,
    flusher: &mut WriteFlusher,
    sink: &mut CountingSink,
) -> T {
    loop {
        match op() {
            Ok(done) => return done,
            Err(WriteError::Backlog | WriteError::Exhausted) => {
                flusher.try_write_to(sink).unwrap();
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn buffer_pool_acquire_release_and_packets_allocate_nothing() {
    let pool = BufferPool::builder(1033, 64).cache(8).build();
    let local = pool.register();
    let run = || {
        for i in 0..N {
            // Enough at once to refill and spill the cache of 8.
            let mut held: [_; 12] = std::array::from_fn(|_| local.try_acquire().unwrap());
            let buf = &mut held[(i % 12) as usize];
            buf[..4].copy_from_slice(&(i as u32).to_le_bytes());
            let mut packet = buf.freeze(4);
            let copy = packet.clone();
            let head = packet.split_to(2);
            packet.advance(1);
            packet.truncate(1);
            let back = copy.send().receive(&local).unwrap();
            assert_eq!(&back[..], &(i as u32).to_le_bytes());
            drop((head, packet, back, held));
        }
        assert!(local.try_acquire().is_some());
    };
    run();
    assert_no_alloc(run);
    assert_eq!(pool.stats().out, local.cached());
}

#[test]
fn buffer_pool_pending_wake_ready_and_cancel_allocate_nothing() {
    let pool = BufferPool::builder(64, 1).cache(1).build();
    let local = pool.register();
    let waker = WAKES.waker();
    let round = || {
        let held = local.try_acquire().unwrap();
        let mut cx = Context::from_waker(&waker);
        let before = WAKES.get();
        let mut first = pin!(local.acquire());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        {
            // A second waiter, cancelled while queued.
            let mut second = pin!(local.acquire());
            assert!(second.as_mut().poll(&mut cx).is_pending());
        }
        drop(held);
        assert_eq!(WAKES.get(), before + 1, "the release wakes the waiter");
        let Poll::Ready(buf) = first.as_mut().poll(&mut cx) else {
            panic!("the waiter was granted the buffer");
        };
        drop(buf);
    };
    for _ in 0..100 {
        round();
    }
    assert_no_alloc(|| {
        for _ in 0..N {
            round();
        }
    });
}

#[test]
fn packets_freed_on_another_thread_wake_a_waiting_acquire_without_allocating() {
    // Two buffers: the sender keeps waiting (parked) for the receiver to free
    // one, and the receiver's frees go back to the shared list, waking it.
    let pool = BufferPool::builder(256, 2).cache(1).build();
    let (mut tx, mut rx) = spsc::channel::<SendPacket>(8);
    let counted = Arc::new(Barrier::new(2));
    let there = {
        let (pool, counted) = (pool.clone(), counted.clone());
        std::thread::spawn(move || {
            let local = pool.register();
            let mut read = |n: u64| {
                for i in 0..n {
                    let p = rx.pop_blocking().unwrap().receive(&local).unwrap();
                    let copy = p.clone();
                    assert_eq!((p[0], copy[1]), (i as u8, !(i as u8)));
                } // both dropped: the buffer goes back to the shared list
            };
            read(1_000);
            let ((), stats) = count_allocs(|| read(N));
            counted.wait();
            stats
        })
    };
    let local = pool.register();
    let mut send = |n: u64| {
        for i in 0..n {
            let mut buf = futures_executor::block_on(local.acquire());
            buf[..2].copy_from_slice(&[i as u8, !(i as u8)]);
            tx.push_blocking(buf.freeze(2).send()).unwrap();
        }
    };
    send(1_000);
    let waits_before = pool.stats().waits;
    let ((), stats) = count_allocs(|| send(N));
    counted.wait();
    assert_eq!(stats, AllocStats::ZERO);
    assert_eq!(there.join().unwrap(), AllocStats::ZERO);
    assert!(pool.stats().waits > waits_before, "the sender did wait");
}

#[test]
fn writer_reserve_commit_flush_and_vectored_writes_allocate_nothing() {
    let pool = BufferPool::new(4096, 32);
    let local = pool.register();
    let (mut flusher, queue) = WriteFlusher::new(2, 8);
    let mut writer = queue.writer(&local).unwrap();
    let mut sink = CountingSink::default();
    let mut run = |n: u64| {
        for i in 0..n {
            let len = 16 + (i % 200) as usize;
            let mut frame = loop {
                match writer.try_reserve_frame(len) {
                    Ok(frame) => break frame,
                    Err(WriteError::Backlog) => {
                        flusher.try_write_to(&mut sink).unwrap();
                    }
                    Err(e) => panic!("{e}"),
                }
            };
            // `WriteBuf::copy_from_slice`: lengths 16..216 take both its
            // inline path (up to 32 bytes) and its `memcpy` path.
            let mut payload = [0u8; 216];
            payload[0] = i as u8;
            frame.copy_from_slice(&payload[..len]);
            if i % 3 == 0 {
                assert_eq!(frame.commit()[0], i as u8);
            } else {
                drop(frame); // commits
            }
            if i % 64 == 0 {
                while writer.try_flush() == Err(WriteError::Backlog) {
                    flusher.try_write_to(&mut sink).unwrap();
                }
                flusher.try_write_to(&mut sink).unwrap();
            }
        }
    };
    no_allocs_after_warm_up(&mut run);
    assert!(sink.bytes > 0 && sink.writes > 0);
}

#[test]
fn batched_writes_frames_and_flushes_allocate_nothing() {
    let pool = BufferPool::new(4096, 32);
    let local = pool.register();
    let (mut flusher, queue) = WriteFlusher::new(1, 8);
    let mut writer = queue.writer(&local).unwrap();
    writer.flush_at(2048);
    let mut sink = CountingSink::default();
    let payload = [7u8; 216];
    let mut run = |n: u64| {
        let mut batch = writer.batch();
        for i in 0..n {
            // Fast writes, fresh buffers, size-based flushes and, when the
            // ring is full, `Backlog` handled by draining.
            let len = 1 + (i % 216) as usize;
            retrying(
                || {
                    if i % 2 == 0 {
                        batch.try_write(&payload[..len])
                    } else {
                        batch.try_write_frame(&payload[..len])
                    }
                },
                &mut flusher,
                &mut sink,
            );
            if i % 100 == 0 {
                while batch.try_flush() == Err(WriteError::Backlog) {
                    flusher.try_write_to(&mut sink).unwrap();
                }
            }
        }
    };
    no_allocs_after_warm_up(&mut run);
    assert!(sink.bytes > 0 && sink.writes > 0);
}

#[test]
fn a_writer_and_a_flusher_on_two_threads_wait_for_each_other_without_allocating() {
    // A hand-over depth of 2 and a sink that stalls now and then: the writer
    // waits (`Pending`, woken by the flusher) for room to hand over; and a
    // writer that pauses now and then lets the flusher's spin run out, so it
    // parks and is woken by the next hand-over.
    const FRAME: usize = 40;
    const STALL_EVERY: usize = 997;
    /// Sleeps for a millisecond every `STALL_EVERY` writes.
    struct Stalls(CountingSink);
    impl Write for Stalls {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[io::IoSlice::new(buf)])
        }
        fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
            if self.0.writes % STALL_EVERY == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            self.0.write_vectored(bufs)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let pool = BufferPool::builder(256, 8).cache(2).build();
    let (mut flusher, queue) = WriteFlusher::new(1, 2);
    let counted = Arc::new(Barrier::new(2));
    let there = {
        let counted = counted.clone();
        std::thread::spawn(move || {
            let mut sink = Stalls(CountingSink::default());
            let mut take = |frames: u64| {
                while (sink.0.bytes as u64) < frames * (HEADER_LEN + FRAME) as u64 {
                    assert!(flusher.write_to_blocking(&mut sink).unwrap() > 0);
                }
            };
            take(1_000);
            let ((), stats) = count_allocs(|| take(1_000 + N));
            counted.wait();
            stats
        })
    };
    let local = pool.register();
    let mut writer = queue.writer(&local).unwrap();
    let mut backlogged = 0;
    let mut write = |from: u64, to: u64| {
        for i in from..to {
            let mut frame = futures_executor::block_on(writer.reserve_frame(FRAME)).unwrap();
            frame[0] = i as u8;
            drop(frame);
            // Every frame its own hand-over: the flusher sees each one. While
            // the sink stalls the ring is full, and `flush` waits.
            if writer.try_flush() == Err(WriteError::Backlog) {
                backlogged += 1;
                futures_executor::block_on(writer.flush()).unwrap();
            }
            // Long past the flusher's spin budget (50 µs at most): it parks.
            if i % STALL_EVERY as u64 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    };
    write(0, 1_000);
    let ((), stats) = count_allocs(|| write(1_000, 1_000 + N));
    counted.wait();
    assert_eq!(stats, AllocStats::ZERO);
    assert_eq!(there.join().unwrap(), AllocStats::ZERO);
    assert!(backlogged > 0, "the writer did wait for the flusher");
}

#[test]
fn shared_writer_reserve_commit_flush_and_waits_allocate_nothing() {
    let pool = BufferPool::new(512, 4);
    let (mut flusher, queue) = WriteFlusher::new(1, 2);
    let writer = queue.shared_writer(&pool).unwrap();
    let twin = writer.clone();
    let mut sink = CountingSink::default();
    let waker = WAKES.waker();
    let mut cx = Context::from_waker(&waker);
    let mut run = |n: u64| {
        for i in 0..n {
            let len = 8 + (i % 100) as usize;
            // Two handles' reservations interleaved in one buffer.
            let mut first = retrying(|| writer.try_reserve_frame(len), &mut flusher, &mut sink);
            first[0] = i as u8;
            if i % 16 == 0 {
                // Sealed with `first` outstanding: a task waits on the
                // segment (`Pending`), is woken by the commit, and writes.
                assert!(matches!(twin.try_flush(), Err(WriteError::Backlog)));
                let before = WAKES.get();
                let mut next = pin!(twin.reserve(len));
                assert!(next.as_mut().poll(&mut cx).is_pending());
                assert_eq!(&first.commit()[..1], &[i as u8]);
                assert_eq!(WAKES.get(), before + 1, "the last commit wakes it");
                let mut buf = loop {
                    match next.as_mut().poll(&mut cx) {
                        Poll::Ready(buf) => break buf.unwrap(),
                        // The flusher's ring (or the pool) holds it up: the
                        // flusher's release wakes it.
                        Poll::Pending => {
                            let before = WAKES.get();
                            flusher.try_write_to(&mut sink).unwrap();
                            assert!(WAKES.get() > before, "the flusher wakes it");
                        }
                    }
                };
                buf.fill(i as u8);
            } else {
                drop(first); // commits
                let mut second = retrying(|| twin.try_reserve(len), &mut flusher, &mut sink);
                second.fill(1);
            }
            if i % 8 == 0 || i + 1 == n {
                retrying(|| writer.try_flush(), &mut flusher, &mut sink);
            }
        }
        flusher.try_write_to(&mut sink).unwrap();
    };
    no_allocs_after_warm_up(&mut run);
    assert!(sink.bytes > 0 && sink.writes > 0);
}

#[test]
fn shared_writer_one_step_writes_and_their_waits_allocate_nothing() {
    let pool = BufferPool::new(512, 2);
    let (mut flusher, queue) = WriteFlusher::new(1, 2);
    let writer = queue.shared_writer(&pool).unwrap();
    let short = [3u8; 24];
    let long = [4u8; 200];
    let mut sink = CountingSink::default();
    // Its own count: tests run at once, and others count exact wake-ups.
    static WRITE_WAKES: WakeCount = WakeCount::new();
    let waker = WRITE_WAKES.waker();
    let mut cx = Context::from_waker(&waker);
    let mut run = |n: u64| {
        for i in 0..n {
            let (f, k) = (&mut flusher, &mut sink);
            match i % 3 {
                0 => retrying(|| writer.try_write(&short), f, k),
                1 => retrying(|| writer.try_write_frame(&short), f, k),
                _ => retrying(|| writer.try_write(&long), f, k),
            }
            if i % 32 == 0 {
                // Both buffers taken (one with the flusher, one full): the
                // awaited write is `Pending` until the flusher gives a
                // buffer back, woken, then written.
                while writer.try_write(&long).is_ok() {}
                let mut next = pin!(writer.write(&short));
                let before = WRITE_WAKES.get();
                while next.as_mut().poll(&mut cx).is_pending() {
                    flusher.try_write_to(&mut sink).unwrap();
                    assert!(WRITE_WAKES.get() > before, "the flusher's release wakes it");
                }
            }
        }
        retrying(|| writer.try_flush(), &mut flusher, &mut sink);
        flusher.try_write_to(&mut sink).unwrap();
    };
    no_allocs_after_warm_up(&mut run);
    assert!(sink.bytes > 0 && sink.writes > 0);
}

#[test]
fn two_threads_share_a_writer_and_a_flusher_on_a_third_without_allocating() {
    const FRAME: usize = 24;
    const THREADS: usize = 2;
    let pool = BufferPool::new(256, 8);
    let (mut flusher, queue) = WriteFlusher::new(1, 2);
    let writer = queue.shared_writer(&pool).unwrap();
    drop(queue);
    writer.flush_at(128);
    // Each thread counts its own allocations after its warm-up; all three
    // wait for each other before they stop counting.
    let counted = Arc::new(Barrier::new(THREADS + 1));
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (writer, counted) = (writer.clone(), counted.clone());
            std::thread::spawn(move || {
                let write = |from: u64, to: u64| {
                    futures_executor::block_on(async {
                        for i in from..to {
                            let mut frame = writer.reserve_frame(FRAME).await.unwrap();
                            frame[0] = t as u8;
                            frame[1] = i as u8;
                        }
                        writer.flush().await.unwrap();
                    })
                };
                write(0, 1_000);
                let ((), stats) = count_allocs(|| write(1_000, 1_000 + N));
                counted.wait();
                stats
            })
        })
        .collect();
    drop(writer);
    let mut sink = CountingSink::default();
    let frames = |sink: &CountingSink| (sink.bytes / (HEADER_LEN + FRAME)) as u64;
    while frames(&sink) < THREADS as u64 * 1_000 {
        flusher.write_to_blocking(&mut sink).unwrap();
    }
    let ((), stats) = count_allocs(|| {
        while frames(&sink) < THREADS as u64 * (1_000 + N) {
            flusher.write_to_blocking(&mut sink).unwrap();
        }
    });
    counted.wait();
    assert_eq!(stats, AllocStats::ZERO);
    for w in writers {
        assert_eq!(w.join().unwrap(), AllocStats::ZERO);
    }
    assert_eq!(
        flusher.write_to_blocking(&mut sink).unwrap(),
        0,
        "closed, all written"
    );
}

#[test]
fn framing_relocation_and_bad_input_allocate_nothing() {
    let local = BufferPool::builder(1024, 16).cache(4).build().register();
    let mut framer = Framer::new(local.clone(), 1020);
    // A stream of frames of 0..=300 bytes, fed in 700-byte reads, so frames
    // span reads and buffers.
    let mut wire = Vec::new();
    for len in 0..=300usize {
        wire.extend_from_slice(&encode_header(len).unwrap());
        wire.extend((0..len).map(|i| (i ^ len) as u8));
    }
    let mut run = || {
        let mut frames = 0;
        for mut chunk in wire.chunks(700) {
            while !chunk.is_empty() {
                let staging = framer.try_write_buf().unwrap();
                let n = staging.len().min(chunk.len());
                staging[..n].copy_from_slice(&chunk[..n]);
                framer.commit(n).unwrap();
                chunk = &chunk[n..];
                while let Some(p) = framer.next_frame().unwrap() {
                    assert_eq!(p.len(), frames);
                    frames += 1;
                }
            }
        }
        framer.finish().unwrap();
        assert_eq!(frames, 301);
        // Bad input: a corrupt header, reported without allocating.
        let mut bad = Framer::new(local.clone(), 1020);
        bad.try_write_buf().unwrap()[..4].copy_from_slice(&[1, 2, 3, 4]);
        bad.commit(4).unwrap();
        assert!(matches!(
            bad.next_frame(),
            Err(FrameError::CorruptHeader { .. })
        ));
        assert!(matches!(
            bad.commit(2000),
            Err(FrameError::CommitOutOfBounds { .. })
        ));
    };
    run();
    assert_no_alloc(|| {
        for _ in 0..100 {
            run();
        }
    });
}
