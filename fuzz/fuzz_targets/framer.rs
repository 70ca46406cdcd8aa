//! Fuzzes `zerocast::io::Framer` with untrusted bytes: any stream, cut into
//! any reads, with any maximum frame size, must give exactly the frames a
//! simple reference parser finds, then the same error (corrupt header, too
//! large, truncated) — never a panic, never an out-of-bounds slice.
//!
//! Input: byte 0 picks the maximum frame (1..=64), byte 1 the read sizes,
//! the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zerocast::io::{FrameError, Framer, HEADER_LEN};
use zerocast::pool::BufferPool;

/// What the reference parser finds: the frames, then how the stream ends.
fn reference(stream: &[u8], max: usize) -> (Vec<&[u8]>, Result<(), FrameError>) {
    let mut frames = Vec::new();
    let mut rest = stream;
    loop {
        let Some(header) = rest.first_chunk::<HEADER_LEN>() else {
            return match rest.len() {
                0 => (frames, Ok(())),
                pending => (frames, Err(FrameError::Truncated { pending })),
            };
        };
        let [b0, b1, b2, check] = *header;
        if check != 0xA5 ^ b0 ^ b1 ^ b2 {
            return (frames, Err(FrameError::CorruptHeader { header: *header }));
        }
        let len = u32::from_le_bytes([b0, b1, b2, 0]) as usize;
        if len > max {
            return (frames, Err(FrameError::TooLarge { len, max }));
        }
        if rest.len() < HEADER_LEN + len {
            return (frames, Err(FrameError::Truncated { pending: rest.len() }));
        }
        frames.push(&rest[HEADER_LEN..HEADER_LEN + len]);
        rest = &rest[HEADER_LEN + len..];
    }
}

fuzz_target!(|data: &[u8]| {
    let [max_seed, cut_seed, stream @ ..] = data else {
        return;
    };
    let max = 1 + usize::from(*max_seed % 64);
    let local = BufferPool::builder(max + HEADER_LEN + usize::from(cut_seed % 5), 8)
        .cache(2)
        .build()
        .register();
    let mut framer = Framer::new(local, max);
    let (expected, end) = reference(stream, max);

    let mut got: Vec<Vec<u8>> = Vec::new();
    let mut error = None;
    let mut rest = stream;
    let mut step = 0usize;
    'feed: while !rest.is_empty() {
        let staging = match framer.try_write_buf() {
            Ok(staging) => staging,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        let spare = staging.len();
        assert!(spare > 0, "a staging area is never empty");
        step += 1;
        let want = 1 + (usize::from(*cut_seed) * step) % 23;
        let n = want.min(spare).min(rest.len());
        staging[..n].copy_from_slice(&rest[..n]);
        // Committing past the staging area is refused and changes nothing.
        assert_eq!(
            framer.commit(spare + 1),
            Err(FrameError::CommitOutOfBounds { len: spare + 1, spare })
        );
        framer.commit(n).unwrap();
        rest = &rest[n..];
        loop {
            match framer.next_frame() {
                Ok(Some(p)) => got.push(p.to_vec()),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break 'feed;
                }
            }
        }
    }
    let end_seen = match error {
        Some(e) => Err(e),
        None => framer.finish(),
    };
    assert_eq!(got, expected, "frames differ from the reference");
    match (end_seen, end) {
        (Ok(()), Ok(())) => {}
        // The framer stops at the first bad header it sees; a truncated
        // frame before it is reported at the end only.
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("framer ended {a:?}, reference {b:?}"),
    }
});
