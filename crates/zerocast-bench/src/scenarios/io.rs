//! The byte path: a writer thread packing messages for a flusher thread that
//! writes them to a sink, and a framer turning a byte stream back into
//! packets — zerocast's `io` against bab's and a `Vec<u8>` + `write_all`
//! baseline.

use std::future::Future;
use std::hint::black_box;
use std::io::{self, IoSlice, Write};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use zerocast::io::{
    encode_header, Framer, SharedWriter, WriteBatch, WriteBuf, WriteError, WriteFlusher, Writer,
    HEADER_LEN,
};
use zerocast::pool::BufferPool;

use crate::harness::{
    warm_then_measure, Contender, Kind, RunConfig, Sample, Scenario, Size, FLOOR,
};
use crate::peers::bytes;
use crate::threads::spawn_pinned;

/// Bytes per pooled buffer, on every side.
const BUFFER: usize = 16 * 1024;
/// Buffers per pool.
const BUFFERS: usize = 256;
/// Messages between explicit flushes (bab's own writer benchmark flushes
/// every 1000).
const FLUSH_EVERY: u64 = 256;
/// Whether every writer flushes after message `i` of a call writing up to
/// `to`: each [`FLUSH_EVERY`] messages, and after the call's last.
#[inline(always)]
fn flush_after(i: u64, to: u64) -> bool {
    i % FLUSH_EVERY == FLUSH_EVERY - 1 || i + 1 == to
}

/// Bytes handed to the framer per simulated socket read.
const READ: usize = 16 * 1024;

pub(super) fn scenarios() -> Vec<Scenario> {
    let size = |messages| Size {
        messages,
        b0_messages: 50_000,
        warmup: 10_000,
    };
    let scenario = |name, contenders| Scenario {
        name,
        kind: Kind::Throughput,
        quick: size(2_000_000),
        full: size(10_000_000),
        contenders,
    };
    let writer = |name, payload: usize| {
        scenario(
            name,
            vec![
                Contender::new("zerocast", move |cfg: &RunConfig| {
                    run_zerocast_writer(cfg, payload, Put::CopyFromSlice)
                }),
                // The same writer, the message copied by the slice method
                // (`memcpy`) instead of `WriteBuf::copy_from_slice`: what
                // that copy is worth, side by side.
                Contender::new("zerocast-slice-copy", move |cfg: &RunConfig| {
                    run_zerocast_writer(cfg, payload, Put::SliceMethod)
                }),
                // The same writer through a `WriteBatch`: its position in
                // registers for each call's run of messages.
                Contender::new("zerocast-batch", move |cfg: &RunConfig| {
                    run_zerocast_writer(cfg, payload, Put::Batch)
                }),
                // One `SharedWriter` (which threads may share), driven from
                // the one writer thread: what its locked reservation and
                // commit cost against a writer of the thread's own.
                Contender::new("zerocast-shared", move |cfg: &RunConfig| {
                    run_zerocast_shared_writer(cfg, payload, false)
                }),
                // The same through `SharedWriter::try_write`: each message
                // reserved, copied and committed under one hold of the lock.
                Contender::new("zerocast-shared-write", move |cfg: &RunConfig| {
                    run_zerocast_shared_writer(cfg, payload, true)
                }),
                Contender::new("bab", move |cfg: &RunConfig| {
                    run_bab_writer(cfg, payload, BabCursor::Local)
                }),
                // bab's writer with its atomic cursor (`Writer::new_shared`),
                // the form of it that threads may share: the peer of
                // `zerocast-shared`.
                Contender::new("bab-shared", move |cfg: &RunConfig| {
                    run_bab_writer(cfg, payload, BabCursor::Shared)
                }),
                Contender::new("std", move |cfg: &RunConfig| run_vec_writer(cfg, payload)),
                Contender::new(FLOOR, move |cfg: &RunConfig| run_floor_writer(cfg, payload)),
            ],
        )
    };
    let framer = |name, payload: usize| {
        scenario(
            name,
            vec![
                Contender::new("zerocast", move |cfg: &RunConfig| {
                    run_zerocast_framer(cfg, payload)
                }),
                Contender::new("bab", move |cfg: &RunConfig| run_bab_framer(cfg, payload)),
            ],
        )
    };
    vec![
        writer("io/writer-flusher/16B", 16),
        writer("io/writer-flusher/256B", 256),
        framer("io/framer/16B", 16),
        framer("io/framer/256B", 256),
    ]
}

/// A sink standing in for a socket: copies every byte it is given (as the
/// kernel would) into a reused 64 KiB area, and counts them.
struct CopySink {
    area: Box<[u8]>,
    at: usize,
    bytes: usize,
}

impl CopySink {
    fn new() -> Self {
        Self {
            area: vec![0; 64 * 1024].into_boxed_slice(),
            at: 0,
            bytes: 0,
        }
    }
}

impl Write for CopySink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for chunk in buf.chunks(self.area.len()) {
            if self.at + chunk.len() > self.area.len() {
                self.at = 0;
            }
            self.area[self.at..self.at + chunk.len()].copy_from_slice(chunk);
            self.at += chunk.len();
        }
        self.bytes += buf.len();
        black_box(&self.area[0]);
        Ok(buf.len())
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        bufs.iter().map(|b| self.write(b)).sum()
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer on core 0 (`make_writer()`, called there, gives `write(from,
/// to)`, which writes and hands over messages `from..to`), a flusher on core
/// 1 (`flush(sink)` writes what was handed over to the sink, without
/// waiting). Timed on the flusher, from the end of the `flush` call that
/// completes the warm-up to the end of the one that completes the run, over
/// the messages the sink took in between: one call can take more than the
/// warm-up's rest, and those messages are not counted as timed.
fn writer_flusher<W: FnMut(u64, u64)>(
    cfg: &RunConfig,
    payload: usize,
    make_writer: impl FnOnce() -> W + Send + 'static,
    flush: impl FnMut(&mut CopySink) + Send + 'static,
) -> Sample {
    let cfg = *cfg;
    let total = cfg.warmup + cfg.messages;
    let writer = spawn_pinned(0, move || {
        let mut write = make_writer();
        write(0, cfg.warmup);
        cfg.measure(|| write(cfg.warmup, total)).1
    });
    let mut flush = flush;
    let flusher = spawn_pinned(1, move || {
        let mut sink = CopySink::new();
        let mut until = |sink: &mut CopySink, messages: u64| {
            while (sink.bytes as u64) < messages * payload as u64 {
                flush(sink);
            }
        };
        until(&mut sink, cfg.warmup);
        let warm = sink.bytes;
        let start = Instant::now();
        let ((), allocs) = cfg.measure(|| until(&mut sink, total));
        let elapsed = start.elapsed();
        (elapsed, ((sink.bytes - warm) / payload) as u64, allocs)
    });
    let written = writer.join().expect("writer");
    let (elapsed, messages, flushed) = flusher.join().expect("flusher");
    Sample {
        elapsed,
        messages,
        allocs: written + flushed,
        latency: None,
    }
}

/// Spins politely while the other side catches up.
fn wait_a_little() {
    std::thread::yield_now();
}

/// How a zerocast row puts each message into its writer.
#[derive(Clone, Copy)]
enum Put {
    /// `try_reserve`, then `WriteBuf::copy_from_slice`.
    CopyFromSlice,
    /// `try_reserve`, then the slice method's `copy_from_slice` (`memcpy`).
    SliceMethod,
    /// `WriteBatch::try_write`, one batch per call.
    Batch,
}

/// A writer as the zerocast rows drive it: write one message, flush.
trait Messages {
    fn try_write(&mut self, bytes: &[u8]) -> Result<(), WriteError>;
    fn try_flush(&mut self) -> Result<(), WriteError>;
}

/// A [`Writer`] reserving each message, copying it in with `copy`.
struct Reserving<'w, C> {
    writer: &'w mut Writer,
    copy: C,
}

impl<C: Fn(&mut WriteBuf<'_>, &[u8])> Messages for Reserving<'_, C> {
    #[inline(always)]
    fn try_write(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        let mut buf = self.writer.try_reserve(bytes.len())?;
        (self.copy)(&mut buf, bytes);
        Ok(())
    }
    fn try_flush(&mut self) -> Result<(), WriteError> {
        self.writer.try_flush()
    }
}

impl Messages for &SharedWriter {
    #[inline(always)]
    fn try_write(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        self.try_reserve(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }
    fn try_flush(&mut self) -> Result<(), WriteError> {
        SharedWriter::try_flush(self)
    }
}

/// A [`SharedWriter`] written through [`SharedWriter::try_write`].
struct OneStep<'w>(&'w SharedWriter);

impl Messages for OneStep<'_> {
    #[inline(always)]
    fn try_write(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        self.0.try_write(bytes)
    }
    fn try_flush(&mut self) -> Result<(), WriteError> {
        self.0.try_flush()
    }
}

impl Messages for WriteBatch<'_> {
    #[inline(always)]
    fn try_write(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        WriteBatch::try_write(self, bytes)
    }
    fn try_flush(&mut self) -> Result<(), WriteError> {
        WriteBatch::try_flush(self)
    }
}

/// Writes messages `from..to` of `bytes`, flushing as every row does,
/// waiting while the flusher is behind or no buffer is free.
#[inline(always)]
fn write_messages(out: &mut impl Messages, bytes: &[u8], from: u64, to: u64) {
    for i in from..to {
        loop {
            match out.try_write(bytes) {
                Ok(()) => break,
                Err(WriteError::Backlog | WriteError::Exhausted) => wait_a_little(),
                Err(e) => panic!("{e}"),
            }
        }
        if flush_after(i, to) {
            while out.try_flush() == Err(WriteError::Backlog) {
                wait_a_little();
            }
        }
    }
}

/// zerocast's writer; `put` says how each message goes in.
fn run_zerocast_writer(cfg: &RunConfig, payload: usize, put: Put) -> Sample {
    let pool = BufferPool::builder(BUFFER, BUFFERS).cache(16).build();
    let (flusher, queue) = WriteFlusher::new(1, 64);
    let bytes = vec![0x5au8; payload];
    let make_writer = move || {
        let mut writer = queue.writer(&pool.register()).expect("a writer slot");
        move |from: u64, to: u64| match put {
            Put::CopyFromSlice => {
                let copy = |buf: &mut WriteBuf<'_>, b: &[u8]| buf.copy_from_slice(b);
                let mut out = Reserving {
                    writer: &mut writer,
                    copy,
                };
                write_messages(&mut out, &bytes, from, to);
            }
            Put::SliceMethod => {
                let copy = |buf: &mut WriteBuf<'_>, b: &[u8]| buf[..].copy_from_slice(b);
                let mut out = Reserving {
                    writer: &mut writer,
                    copy,
                };
                write_messages(&mut out, &bytes, from, to);
            }
            Put::Batch => write_messages(&mut writer.batch(), &bytes, from, to),
        }
    };
    writer_flusher(cfg, payload, make_writer, flush_zerocast(flusher))
}

/// zerocast's shared writer, from one thread: each message reserved and
/// copied in, or (`one_step`) written by `try_write`.
fn run_zerocast_shared_writer(cfg: &RunConfig, payload: usize, one_step: bool) -> Sample {
    let pool = BufferPool::builder(BUFFER, BUFFERS).cache(16).build();
    let (flusher, queue) = WriteFlusher::new(1, 64);
    let bytes = vec![0x5au8; payload];
    let make_writer = move || {
        let writer = queue.shared_writer(&pool).expect("a writer slot");
        move |from: u64, to: u64| {
            if one_step {
                write_messages(&mut OneStep(&writer), &bytes, from, to)
            } else {
                write_messages(&mut &writer, &bytes, from, to)
            }
        }
    };
    writer_flusher(cfg, payload, make_writer, flush_zerocast(flusher))
}

/// The zerocast rows' flusher step: write what was handed over, or wait a
/// little if nothing was.
fn flush_zerocast(mut flusher: WriteFlusher) -> impl FnMut(&mut CopySink) + Send + 'static {
    move |sink| {
        if flusher.try_write_to(sink).expect("a sink that never fails") == 0 {
            wait_a_little();
        }
    }
}

/// Which of bab's writer cursors a bab row uses.
#[derive(Clone, Copy)]
enum BabCursor {
    /// `Writer::new_local_flush`: one thread's, in a `Cell`.
    Local,
    /// `Writer::new_shared`: an atomic cursor, for a writer threads share.
    Shared,
}

fn run_bab_writer(cfg: &RunConfig, payload: usize, cursor: BabCursor) -> Sample {
    let pool = bab::HeapBufferPool::new(BUFFER, 16, 16);
    let (flush_sender, mut flush_receiver) = bab::new_writer_flusher();
    let bytes = vec![0x5au8; payload];
    let writer_pool = pool.clone();
    // The same loop for either cursor, each compiled for its own writer type
    // (bab's cursor trait is sealed, so the loop cannot be generic over it);
    // boxed only as the closure that runs a whole call's messages.
    macro_rules! writes {
        ($writer:expr) => {{
            let writer = $writer;
            Box::new(move |from: u64, to: u64| {
                let _registered = writer_pool.register_thread();
                for i in from..to {
                    loop {
                        if let Some(mut buf) = writer.try_reserve(payload) {
                            buf[..].copy_from_slice(&bytes);
                            break;
                        }
                        wait_a_little();
                    }
                    if flush_after(i, to) {
                        writer.flush();
                    }
                }
            }) as Box<dyn FnMut(u64, u64)>
        }};
    }
    let make_writer = move || match cursor {
        BabCursor::Local => {
            writes!(bab::Writer::new_local_flush(
                writer_pool.clone(),
                0,
                flush_sender,
                0
            ))
        }
        BabCursor::Shared => {
            writes!(bab::Writer::new_shared(
                writer_pool.clone(),
                0,
                flush_sender,
                0
            ))
        }
    };
    writer_flusher(cfg, payload, make_writer, move |sink| {
        let _registered = pool.register_thread();
        let mut cx = Context::from_waker(Waker::noop());
        let mut next = pin!(flush_receiver.flush());
        match next.as_mut().poll(&mut cx) {
            Poll::Ready(flushes) => {
                for flush in flushes {
                    sink.write_all(&flush[..]).expect("a sink that never fails");
                }
            }
            Poll::Pending => wait_a_little(),
        }
    })
}

fn run_vec_writer(cfg: &RunConfig, payload: usize) -> Sample {
    let (tx, rx) = crossbeam_channel::bounded::<Vec<u8>>(64);
    let bytes = vec![0x5au8; payload];
    let batch = FLUSH_EVERY as usize * payload;
    let make_writer = move || {
        let mut pending = Vec::with_capacity(batch);
        move |from: u64, to: u64| {
            for i in from..to {
                pending.extend_from_slice(&bytes);
                if flush_after(i, to) {
                    let full = std::mem::replace(&mut pending, Vec::with_capacity(batch));
                    tx.send(full).expect("flusher alive");
                }
            }
        }
    };
    writer_flusher(cfg, payload, make_writer, move |sink| match rx.try_recv() {
        Ok(batch) => sink.write_all(&batch).expect("a sink that never fails"),
        Err(_) => wait_a_little(),
    })
}

/// The scenario's floor ([`bytes::channel`]): the same messages, flush
/// cadence and sink, through one ring of bytes the size of zerocast's pool.
fn run_floor_writer(cfg: &RunConfig, payload: usize) -> Sample {
    let (mut writer, mut flusher) = bytes::channel(BUFFER * BUFFERS);
    let message = vec![0x5au8; payload];
    let make_writer = move || {
        move |from: u64, to: u64| {
            for i in from..to {
                writer.write(&message);
                if flush_after(i, to) {
                    writer.publish();
                }
            }
        }
    };
    writer_flusher(cfg, payload, make_writer, move |sink| {
        if flusher.write_to(sink).expect("a sink that never fails") == 0 {
            wait_a_little();
        }
    })
}

/// `frames` frames of `payload` bytes in the wire format, back to back.
fn wire(payload: usize, frames: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(frames * (HEADER_LEN + payload));
    for i in 0..frames {
        out.extend_from_slice(&encode_header(payload).expect("a small frame"));
        out.extend((0..payload).map(|b| (b ^ i) as u8));
    }
    out
}

/// Frames in the simulated stream (it is replayed from the start when it
/// runs out).
const WIRE_FRAMES: usize = 4096;

fn run_zerocast_framer(cfg: &RunConfig, payload: usize) -> Sample {
    let wire = wire(payload, WIRE_FRAMES);
    let local = BufferPool::builder(BUFFER, BUFFERS)
        .cache(16)
        .build()
        .register();
    let mut framer = Framer::new(local, BUFFER - HEADER_LEN);
    let mut at = 0;
    warm_then_measure(cfg, |from, to| {
        let mut frames = from;
        while frames < to {
            // One socket read: up to READ bytes of the stream.
            let staging = framer.try_write_buf().expect("packets are dropped as read");
            let n = staging.len().min(READ).min(wire.len() - at);
            staging[..n].copy_from_slice(&wire[at..at + n]);
            framer.commit(n).expect("within the staging area");
            at = (at + n) % wire.len();
            while let Some(packet) = framer.next_frame().expect("a well-formed stream") {
                black_box(packet[0]);
                frames += 1;
            }
        }
    })
}

fn run_bab_framer(cfg: &RunConfig, payload: usize) -> Sample {
    // bab's framer leaves the framing to the caller: parse each header, copy
    // the frame in and commit it, then finish it — with `next_buffer` when
    // the next frame will not fit the buffer's rest, as bab's own benchmark
    // does (every frame here has the same size).
    let wire = wire(payload, WIRE_FRAMES);
    let pool = bab::HeapBufferPool::new(BUFFER, 16, 16);
    let _registered = pool.register_thread();
    let mut framer = bab::Framer::new(pool.clone());
    let mut at = 0;
    warm_then_measure(cfg, |from, to| {
        for _ in from..to {
            let header: [u8; HEADER_LEN] = wire[at..at + HEADER_LEN].try_into().expect("4 bytes");
            let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
            let frame = &wire[at..at + HEADER_LEN + len];
            let staging = framer.try_write().expect("packets are dropped as read");
            staging[..frame.len()].copy_from_slice(frame);
            framer.commit(frame.len());
            let packet = if framer.remaining_on_buffer() < frame.len() {
                framer.next_buffer()
            } else {
                framer.finish_frame()
            };
            black_box(packet.expect("a frame was committed")[HEADER_LEN]);
            at = (at + frame.len()) % wire.len();
        }
    })
}
