//! Property tests of the byte path: random frames cut into random reads
//! come out of `Framer` exactly (whether earlier packets are kept or
//! dropped), a stream cut short is `Truncated`, and frames written through
//! `Writer` with random flush points come out of `WriteFlusher` in order.
#![cfg(not(zerocast_loom))]

use proptest::prelude::*;
use zerocast::io::{encode_header, FrameError, Framer, WriteError, WriteFlusher, HEADER_LEN};
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
