//! Property tests of the byte path: random frames cut into random reads
//! come out of `Framer` exactly (whether earlier packets are kept or
//! dropped), a stream cut short is `Truncated`, frames written through
//! `Writer` with random flush points come out of `WriteFlusher` in order,
//! and so do frames reserved through two `SharedWriter` handles, several
//! held open at once and committed in random order, with random flushes
//! and drains.
#![cfg(not(zerocast_loom))]

use proptest::prelude::*;
use zerocast::io::{
    encode_header, FrameError, Framer, SharedWriteBuf, SharedWriter, WriteError, WriteFlusher,
    HEADER_LEN,
};
use zerocast::pool::{BufferPool, Packet};

const MAX: usize = 100;

fn frames() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..=MAX), 0..40)
}

fn wire(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        out.extend_from_slice(&encode_header(f.len()).unwrap());
        out.extend_from_slice(f);
    }
    out
}

/// Feeds `bytes` in reads of the sizes in `cuts` (cycled), keeping every
/// `keep`-th packet alive to the end. Returns the payloads in order.
fn framed(bytes: &[u8], cuts: &[usize], keep: usize) -> Result<Vec<Vec<u8>>, FrameError> {
    let local = BufferPool::builder(MAX + HEADER_LEN + 3, 64)
        .cache(4)
        .build()
        .register();
    let mut framer = Framer::new(local, MAX);
    let (mut out, mut kept): (Vec<Vec<u8>>, Vec<Packet>) = (Vec::new(), Vec::new());
    let mut rest = bytes;
    let mut cut = cuts.iter().cycle();
    while !rest.is_empty() {
        let staging = framer.try_write_buf()?;
        let n = (*cut.next().unwrap()).min(staging.len()).min(rest.len());
        staging[..n].copy_from_slice(&rest[..n]);
        framer.commit(n)?;
        rest = &rest[n..];
        while let Some(p) = framer.next_frame()? {
            out.push(p.to_vec());
            if out.len() % keep == 0 {
                kept.push(p);
            }
        }
    }
    framer.finish()?;
    for p in &kept {
        assert!(out.iter().any(|o| o[..] == p[..]), "a kept packet changed");
    }
    Ok(out)
}

proptest! {
    #[test]
    fn random_frames_in_random_reads_round_trip_exactly(
        frames in frames(),
        cuts in prop::collection::vec(1usize..64, 1..8),
        keep in 1usize..5,
    ) {
        prop_assert_eq!(framed(&wire(&frames), &cuts, keep).unwrap(), frames);
    }

    #[test]
    fn a_stream_cut_inside_a_frame_is_truncated(
        frames in frames().prop_filter("non-empty", |f| !f.is_empty()),
        cuts in prop::collection::vec(1usize..64, 1..8),
        short in 1usize..=HEADER_LEN,
    ) {
        let bytes = wire(&frames);
        // Cut 1 to 4 bytes, but never the whole last frame.
        let cut = bytes.len() - short.min(frames.last().unwrap().len() + HEADER_LEN - 1);
        let err = framed(&bytes[..cut], &cuts, 1).unwrap_err();
        let truncated = matches!(err, FrameError::Truncated { pending } if pending > 0);
        prop_assert!(truncated, "{:?}", err);
    }

    #[test]
    fn frames_written_with_random_flushes_arrive_in_order(
        frames in frames(),
        flushes in prop::collection::vec(any::<bool>(), 1..16),
    ) {
        let pool = BufferPool::new(MAX + HEADER_LEN, 16);
        let (mut flusher, queue) = WriteFlusher::new(1, 4);
        let mut writer = queue.writer(&pool.register()).unwrap();
        let mut out = Vec::new();
        for (f, flush) in frames.iter().zip(flushes.iter().cycle()) {
            loop {
                match writer.try_reserve_frame(f.len()) {
                    Ok(mut frame) => {
                        frame.copy_from_slice(f);
                        break;
                    }
                    Err(WriteError::Backlog | WriteError::Exhausted) => {
                        flusher.try_write_to(&mut out).unwrap();
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            if *flush {
                while writer.try_flush() == Err(WriteError::Backlog) {
                    flusher.try_write_to(&mut out).unwrap();
                }
            }
        }
        drop((writer, queue));
        while flusher.try_write_to(&mut out).unwrap() > 0 {}
        prop_assert_eq!(out, wire(&frames));
    }
}

/// Reservations of the shared-writer model held open: each with the index
/// of the frame written into it.
type Open<'w> = Vec<(SharedWriteBuf<'w>, usize)>;

/// Commits open reservation `pick` (mod their count); with `packet`,
/// checks the packet the commit returns.
fn commit_one(open: &mut Open<'_>, pick: usize, packet: bool, frames: &[Vec<u8>]) {
    let (buf, i) = open.remove(pick % open.len());
    if packet {
        assert_eq!(&buf.commit()[..], &frames[i][..]);
    }
}

/// Reserves frame `i` through `writer` and writes it, holding it open, or
/// (`one_step`) writes it with `try_write_frame`. When the writer cannot
/// take it, commits the oldest open reservation (a sealed segment may be
/// waiting for it) or, with none open, lets the flusher write into `out`.
fn reserve_one<'w>(
    writer: &'w SharedWriter,
    (i, one_step): (usize, bool),
    frames: &[Vec<u8>],
    open: &mut Open<'w>,
    flusher: &mut WriteFlusher,
    out: &mut Vec<u8>,
) {
    loop {
        let taken = if one_step {
            writer.try_write_frame(&frames[i])
        } else {
            writer.try_reserve_frame(frames[i].len()).map(|mut buf| {
                buf.copy_from_slice(&frames[i]);
                open.push((buf, i));
            })
        };
        match taken {
            Ok(()) => return,
            Err(WriteError::Backlog | WriteError::Exhausted) if !open.is_empty() => {
                commit_one(open, 0, false, frames);
            }
            Err(WriteError::Backlog | WriteError::Exhausted) => {
                flusher.try_write_to(out).unwrap();
            }
            Err(e) => panic!("{e}"),
        }
    }
}

proptest! {
    #[test]
    fn shared_writer_frames_written_or_committed_in_any_order_arrive_in_reservation_order(
        frames in frames(),
        ops in prop::collection::vec((0u8..4, any::<u8>()), 0..120),
    ) {
        let pool = BufferPool::new(MAX + HEADER_LEN, 16);
        let (mut flusher, queue) = WriteFlusher::new(1, 2);
        let writer = queue.shared_writer(&pool).unwrap();
        let handles = [writer.clone(), writer];
        let mut out = Vec::new();
        {
            let mut open: Open<'_> = Vec::new();
            let mut next = 0;
            for &(op, arg) in &ops {
                let handle = &handles[arg as usize % 2];
                match op {
                    0 if next < frames.len() => {
                        let one_step = arg & 4 != 0;
                        reserve_one(handle, (next, one_step), &frames, &mut open, &mut flusher, &mut out);
                        next += 1;
                    }
                    1 if !open.is_empty() => {
                        commit_one(&mut open, arg as usize, arg % 4 < 2, &frames);
                    }
                    2 => match handle.try_flush() {
                        Ok(()) | Err(WriteError::Backlog) => {}
                        Err(e) => panic!("{e}"),
                    },
                    _ => {
                        flusher.try_write_to(&mut out).unwrap();
                    }
                }
            }
            for i in next..frames.len() {
                reserve_one(&handles[i % 2], (i, i % 3 == 0), &frames, &mut open, &mut flusher, &mut out);
            }
            while !open.is_empty() {
                commit_one(&mut open, 0, true, &frames);
            }
        }
        drop((handles, queue));
        while flusher.try_write_to(&mut out).unwrap() > 0 {}
        prop_assert_eq!(out, wire(&frames));
    }
}
