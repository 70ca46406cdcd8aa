use std::vec::Vec;

use super::*;
use crate::pool::BufferPool;

fn wire(payloads: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        out.extend_from_slice(&encode_header(p.len()).unwrap());
        out.extend_from_slice(p);
    }
    out
}

/// Feeds `bytes` in chunks of `chunk`, collecting every frame.
fn frame_all(framer: &mut Framer, bytes: &[u8], chunk: usize) -> Result<Vec<Vec<u8>>, FrameError> {
    let mut frames = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let staging = framer.try_write_buf()?;
        let n = staging.len().min(chunk).min(rest.len());
        staging[..n].copy_from_slice(&rest[..n]);
        framer.commit(n)?;
        rest = &rest[n..];
        while let Some(p) = framer.next_frame()? {
            frames.push(p.to_vec());
        }
    }
    Ok(frames)
}

#[test]
fn frames_spanning_reads_and_buffers_come_out_whole() {
    let local = BufferPool::builder(16, 4).cache(1).build().register();
    let mut framer = Framer::new(local, 12);
    let payloads: [&[u8]; 5] = [b"", b"a", b"hello world!", b"0123456789", b"xy"];
    for chunk in 1..=16 {
        let frames = frame_all(&mut framer, &wire(&payloads), chunk).unwrap();
        assert_eq!(frames, payloads.map(|p| p.to_vec()), "chunk {chunk}");
        framer.finish().unwrap();
    }
}

#[test]
fn packets_keep_their_buffers_while_the_framer_moves_on() {
    let pool = BufferPool::builder(8, 2).cache(1).build();
    let mut framer = Framer::new(pool.register(), 4);
    let frames = frame_all(&mut framer, &wire(&[b"abcd", b"efgh"]), 8).unwrap();
    assert_eq!(frames.len(), 2);
    let mut held = Vec::new();
    for payload in [&b"ijkl"[..], b"mnop"] {
        let bytes = wire(&[payload]);
        framer.try_write_buf().unwrap()[..8].copy_from_slice(&bytes);
        framer.commit(8).unwrap();
        held.push(framer.next_frame().unwrap().unwrap());
    }
    // Both buffers are out on held packets: the framer has none to stage into.
    assert_eq!(framer.try_write_buf().unwrap_err(), FrameError::Exhausted);
    assert_eq!((&held[0][..], &held[1][..]), (&b"ijkl"[..], &b"mnop"[..]));
    drop(held);
    assert_eq!(framer.try_write_buf().unwrap().len(), 8);
}

#[test]
fn a_too_large_frame_and_a_corrupt_header_are_told_apart_and_stick() {
    let local = BufferPool::new(16, 2).register();
    let mut framer = Framer::new(local.clone(), 8);
    let err = frame_all(&mut framer, &wire(&[b"123456789"]), 16).unwrap_err();
    assert_eq!(err, FrameError::TooLarge { len: 9, max: 8 });
    assert_eq!(framer.next_frame().unwrap_err(), err);
    assert_eq!(framer.try_write_buf().unwrap_err(), err);
    assert_eq!(framer.finish().unwrap_err(), err);
    drop(framer);

    let mut framer = Framer::new(local, 8);
    let mut bytes = wire(&[b"ok"]);
    bytes.extend_from_slice(&[9, 0, 0, 0]);
    let err = frame_all(&mut framer, &bytes, 3).unwrap_err();
    assert_eq!(
        err,
        FrameError::CorruptHeader {
            header: [9, 0, 0, 0]
        }
    );
}

#[test]
fn a_stream_cut_inside_a_frame_is_truncated() {
    let local = BufferPool::new(16, 2).register();
    let mut framer = Framer::new(local, 8);
    let bytes = wire(&[b"abc", b"defgh"]);
    let frames = frame_all(&mut framer, &bytes[..bytes.len() - 2], 5).unwrap();
    assert_eq!(frames, [b"abc".to_vec()]);
    assert_eq!(framer.finish(), Err(FrameError::Truncated { pending: 7 }));
    assert_eq!(framer.pending(), 7);
}

#[test]
fn commit_is_bounds_checked() {
    let local = BufferPool::new(16, 1).register();
    let mut framer = Framer::new(local, 8);
    assert_eq!(
        framer.commit(1),
        Err(FrameError::CommitOutOfBounds { len: 1, spare: 0 })
    );
    framer.try_write_buf().unwrap();
    framer.commit(10).unwrap();
    assert_eq!(
        framer.commit(7),
        Err(FrameError::CommitOutOfBounds { len: 7, spare: 6 })
    );
    assert_eq!(framer.pending(), 10);
}

#[test]
fn errors_display_what_went_wrong() {
    use std::string::ToString;
    let cases = [
        (FrameError::TooLarge { len: 9, max: 8 }, "exceeds"),
        (
            FrameError::CorruptHeader {
                header: [1, 2, 3, 4],
            },
            "corrupt",
        ),
        (FrameError::Truncated { pending: 2 }, "ended"),
        (
            FrameError::CommitOutOfBounds { len: 3, spare: 2 },
            "committed",
        ),
        (FrameError::Exhausted, "no buffer"),
    ];
    for (error, text) in cases {
        assert!(error.to_string().contains(text), "{error}");
    }
}

#[test]
#[should_panic(expected = "must fit")]
fn a_maximum_that_cannot_fit_a_buffer_panics_at_construction() {
    let _ = Framer::new(BufferPool::new(16, 1).register(), 13);
}
