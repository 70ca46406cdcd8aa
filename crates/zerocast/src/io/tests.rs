use std::format;
use std::task::{Context, Poll, Waker};
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

fn frames_of(bytes: &[u8], max: usize) -> Vec<Vec<u8>> {
    let local = BufferPool::new(max + HEADER_LEN, 8).register();
    let mut framer = Framer::new(local, max);
    let frames = frame_all(&mut framer, bytes, 4096).unwrap();
    framer.finish().unwrap();
    frames
}

#[test]
fn writers_pack_frames_and_the_flusher_writes_them_in_order() {
    let pool = BufferPool::builder(32, 8).cache(2).build();
    let (mut flusher, queue) = WriteFlusher::new(2, 4);
    let mut writer = queue.writer(&pool.register()).unwrap();
    let mut expected = Vec::new();
    let mut out = Vec::new();
    for i in 0..100u8 {
        let len = usize::from(i % 20);
        let payload: Vec<u8> = (0..len as u8).map(|b| b ^ i).collect();
        let mut frame = loop {
            match writer.try_reserve_frame(len) {
                Ok(frame) => break frame,
                Err(WriteError::Backlog | WriteError::Exhausted) => {
                    flusher.try_write_to(&mut out).unwrap();
                }
                Err(e) => panic!("{e}"),
            }
        };
        frame.copy_from_slice(&payload);
        if i % 2 == 0 {
            assert_eq!(&frame.commit()[..], &payload[..]);
        } else {
            frame.finish();
        }
        expected.push(payload);
        if i % 7 == 0 {
            while writer.try_flush() == Err(WriteError::Backlog) {
                flusher.try_write_to(&mut out).unwrap();
            }
        }
    }
    drop(writer);
    drop(queue);
    while flusher.try_write_to(&mut out).unwrap() > 0 {}
    assert_eq!(frames_of(&out, 28), expected);
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(flusher.poll_ready(&mut cx), Poll::Ready(Err(crate::Closed)));
    assert_eq!(
        pool.stats().out,
        pool.register().cached(),
        "every buffer came back"
    );
}

/// What the flusher writes out when `write` is handed a writer (32-byte
/// buffers, handing over at 20 bytes by size) and a way to drain the
/// flusher.
fn written_with(write: impl FnOnce(&mut Writer, &mut dyn FnMut())) -> Vec<u8> {
    let pool = BufferPool::new(32, 4);
    let (mut flusher, queue) = WriteFlusher::new(1, 2);
    let mut writer = queue.writer(&pool.register()).unwrap();
    writer.flush_at(20);
    let mut out = Vec::new();
    write(&mut writer, &mut || {
        flusher.try_write_to(&mut out).unwrap();
    });
    drop(writer);
    while flusher.try_write_to(&mut out).unwrap() > 0 {}
    out
}

#[test]
fn a_batch_writes_the_bytes_one_reservation_at_a_time_would() {
    // Lengths around the buffer's 32 bytes and the 20-byte flush mark, so
    // writes take the fast path, a fresh buffer and a size-based flush; the
    // flusher is drained after every message, so no write meets a full
    // ring or an empty pool.
    let messages: Vec<Vec<u8>> = (0..200u8)
        .map(|i| (0..(i % 29)).map(|b| b ^ i).collect())
        .collect();
    for frame in [false, true] {
        let one_at_a_time = written_with(|w, drain| {
            for (i, m) in messages.iter().enumerate() {
                let buf = if frame {
                    w.try_reserve_frame(m.len())
                } else {
                    w.try_reserve(m.len())
                };
                buf.unwrap().copy_from_slice(m);
                if i % 5 == 4 {
                    w.try_flush().unwrap();
                }
                drain();
            }
            w.try_flush().unwrap();
        });
        let write = |batch: &mut WriteBatch<'_>, m: &[u8]| {
            if frame {
                batch.try_write_frame(m).unwrap();
            } else {
                batch.try_write(m).unwrap();
            }
        };
        // One batch across every message, and a batch per message: each
        // gives the writer its position back.
        let one_batch = written_with(|w, drain| {
            let mut batch = w.batch();
            for (i, m) in messages.iter().enumerate() {
                write(&mut batch, m);
                if i % 5 == 4 {
                    batch.try_flush().unwrap();
                }
                drain();
            }
            batch.try_flush().unwrap();
        });
        let batch_each = written_with(|w, drain| {
            for (i, m) in messages.iter().enumerate() {
                write(&mut w.batch(), m);
                if i % 5 == 4 {
                    w.try_flush().unwrap();
                }
                drain();
            }
            w.try_flush().unwrap();
        });
        assert_eq!(one_batch, one_at_a_time);
        assert_eq!(batch_each, one_at_a_time);
        if frame {
            assert_eq!(frames_of(&one_at_a_time, 28), messages);
        } else {
            assert_eq!(one_at_a_time, messages.concat());
        }
    }
}

#[test]
fn a_batch_reports_the_writers_errors_and_keeps_what_it_wrote() {
    let (mut flusher, queue) = WriteFlusher::new(1, 1);
    let mut writer = queue.writer(&BufferPool::new(8, 2).register()).unwrap();
    let mut batch = writer.batch();
    assert_eq!(
        batch.try_write(&[0; 9]),
        Err(WriteError::TooLarge { len: 9, max: 8 })
    );
    assert_eq!(
        batch.try_write_frame(&[0; 5]),
        Err(WriteError::TooLarge { len: 9, max: 8 })
    );
    batch.try_write(b"abcdefgh").unwrap();
    batch.try_write(b"ijklmnop").unwrap(); // a fresh buffer: hands "a.." over
    assert_eq!(batch.try_write(b"q"), Err(WriteError::Backlog));
    assert_eq!(std::format!("{batch:?}"), "WriteBatch { filled: 8, .. }");
    drop(batch);
    assert_eq!(writer.unflushed(), 8, "the batch gave its position back");
    let mut out = Vec::new();
    flusher.try_write_to(&mut out).unwrap();
    let mut batch = writer.batch();
    batch.try_write(b"q").unwrap(); // the buffer written out came back
    while batch.try_flush() == Err(WriteError::Backlog) {
        flusher.try_write_to(&mut out).unwrap();
    }
    drop(batch);
    drop(writer);
    while flusher.try_write_to(&mut out).unwrap() > 0 {}
    assert_eq!(out, b"abcdefghijklmnopq");

    // One buffer, handed over and not yet written out: none is free.
    let (_flusher, queue) = WriteFlusher::new(1, 2);
    let mut writer = queue.writer(&BufferPool::new(8, 1).register()).unwrap();
    let mut batch = writer.batch();
    batch.try_write(b"abcdefgh").unwrap();
    batch.try_flush().unwrap();
    assert_eq!(batch.try_write(b"q"), Err(WriteError::Exhausted));
}

/// Writes `bytes` with `writer` and hands them over.
fn hand_over(writer: &mut Writer, bytes: &[u8]) {
    writer
        .try_reserve(bytes.len())
        .unwrap()
        .copy_from_slice(bytes);
    writer.try_flush().unwrap();
}

#[test]
fn a_write_pass_ends_while_a_writer_keeps_handing_over() {
    /// A sink whose every write makes the writer hand over one more segment:
    /// a pass that took segments until none were left would never end.
    struct Refills {
        writer: Writer,
        out: Vec<u8>,
    }
    impl std::io::Write for Refills {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.out.extend_from_slice(buf);
            hand_over(&mut self.writer, b"+");
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let pool = BufferPool::new(64, 4);
    let local = pool.register();
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let mut writer = queue.writer(&local).unwrap();
    hand_over(&mut writer, b"a");
    hand_over(&mut writer, b"b");
    let mut sink = Refills {
        writer,
        out: Vec::new(),
    };
    // The two segments there when the pass began, one write each.
    assert_eq!(flusher.try_write_to(&mut sink).unwrap(), 2);
    assert_eq!(sink.out, b"ab");
    // The two handed over meanwhile, in the next pass.
    assert_eq!(flusher.try_write_to(&mut sink).unwrap(), 2);
    assert_eq!(sink.out, b"ab++");
    // `drain` passes the same way.
    let mut writer = sink.writer;
    let mut seen = Vec::new();
    let passed = flusher.drain(|bytes| {
        seen.extend_from_slice(bytes);
        hand_over(&mut writer, b"-");
    });
    assert_eq!((passed, &seen[..]), (2, &b"++"[..]));
    assert_eq!(flusher.drain(|bytes| seen.extend_from_slice(bytes)), 2);
    assert_eq!(seen, b"++--");
}

#[test]
fn a_reservation_dropped_by_a_panic_is_discarded_not_sent() {
    // One buffer: the second frame is reserved over the first one's bytes.
    let pool = BufferPool::builder(8, 1).cache(1).build();
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let mut writer = queue.writer(&pool.register()).unwrap();
    writer
        .try_reserve_frame(4)
        .unwrap()
        .copy_from_slice(b"SECR");
    writer.try_flush().unwrap();
    let mut out = Vec::new();
    flusher.try_write_to(&mut out).unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut frame = writer.try_reserve_frame(4).unwrap();
        frame[..2].copy_from_slice(b"ok");
        panic!("a panic while the frame is half written");
    }));
    assert!(panicked.is_err());
    // Committed, it would have sent "okCR": the rest left from the last frame.
    assert_eq!(writer.unflushed(), 0, "the half-written frame is discarded");
    writer.try_reserve_frame(2).unwrap().copy_from_slice(b"hi");
    writer.try_flush().unwrap();
    flusher.try_write_to(&mut out).unwrap();
    assert_eq!(out, wire(&[b"SECR", b"hi"]));
}

/// One 8-byte segment handed over; `interrupt` starts writing it, gets three
/// bytes out (returned) and breaks off. The batch is dropped, as after a
/// sink's error: a second segment then reaches a fresh sink alone, and every
/// buffer comes back.
fn an_interrupted_write_never_repeats_its_batch(
    interrupt: impl FnOnce(&mut WriteFlusher) -> Vec<u8>,
) {
    let pool = BufferPool::new(8, 4);
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let local = pool.register();
    let mut writer = queue.writer(&local).unwrap();
    writer.try_reserve(8).unwrap().copy_from_slice(b"aaaaaaaa");
    writer.try_flush().unwrap();
    assert_eq!(interrupt(&mut flusher), b"aaa");
    writer.try_reserve(8).unwrap().copy_from_slice(b"bbbbbbbb");
    writer.try_flush().unwrap();
    let mut out = Vec::new();
    flusher.try_write_to(&mut out).unwrap();
    assert_eq!(
        out, b"bbbbbbbb",
        "the interrupted batch is not written again"
    );
    drop(writer);
    assert_eq!(pool.stats().out, local.cached(), "every buffer came back");
}

#[test]
fn a_sink_that_panics_mid_batch_drops_that_batch_not_repeats_it() {
    /// Takes three bytes, then panics.
    struct Breaks(Vec<u8>);
    impl std::io::Write for Breaks {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if !self.0.is_empty() {
                panic!("a sink that breaks mid-batch");
            }
            self.0.extend_from_slice(&buf[..3]);
            Ok(3)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    an_interrupted_write_never_repeats_its_batch(|flusher| {
        let mut breaks = Breaks(Vec::new());
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            flusher.try_write_to(&mut breaks)
        }));
        assert!(panicked.is_err());
        breaks.0
    });
}

#[cfg(feature = "tokio")]
#[test]
fn a_write_to_tokio_cancelled_mid_batch_drops_that_batch() {
    use core::pin::Pin;

    /// Takes three bytes, then is never ready again.
    struct Stalls(Vec<u8>);
    impl tokio::io::AsyncWrite for Stalls {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            if !self.0.is_empty() {
                return Poll::Pending;
            }
            self.0.extend_from_slice(&buf[..3]);
            Poll::Ready(Ok(3))
        }
        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }
    an_interrupted_write_never_repeats_its_batch(|flusher| {
        let mut stalls = Stalls(Vec::new());
        {
            let mut cx = Context::from_waker(Waker::noop());
            let write = core::pin::pin!(flusher.write_to_tokio(&mut stalls));
            assert!(core::future::Future::poll(write, &mut cx).is_pending());
        } // cancelled, with three bytes of the batch written
        stalls.0
    });
}

#[test]
fn a_full_ring_is_backlog_and_loses_nothing() {
    let pool = BufferPool::new(8, 8);
    let (mut flusher, queue) = WriteFlusher::new(1, 1);
    let mut writer = queue.writer(&pool.register()).unwrap();
    writer.try_reserve(8).unwrap().copy_from_slice(b"aaaaaaaa");
    writer.try_reserve(8).unwrap().copy_from_slice(b"bbbbbbbb"); // hands "a" over
    assert_eq!(writer.try_reserve(1).unwrap_err(), WriteError::Backlog);
    assert_eq!(writer.try_flush(), Err(WriteError::Backlog));
    assert_eq!(writer.unflushed(), 8);
    let mut out = Vec::new();
    assert_eq!(flusher.try_write_to(&mut out).unwrap(), 8);
    writer.try_flush().unwrap();
    drop(writer); // uses the kept slot: nothing to hand over
    flusher.try_write_to(&mut out).unwrap();
    assert_eq!(out, b"aaaaaaaabbbbbbbb");
}

/// A writer takes a slot only while its ring has room for two segments:
/// the one slot its drop needs stays free even when the writer before it
/// used its own last slot. (Before this check, the third of these writers
/// lost its message: its drop found the ring full.)
#[test]
fn a_writer_never_takes_a_ring_without_room_for_its_last_segment() {
    let pool = BufferPool::new(64, 8);
    let local = pool.register();
    let (mut flusher, queue) = WriteFlusher::new(1, 1);
    let mut out = Vec::new();
    for byte in [b"a", b"b", b"c"] {
        let mut writer = match queue.writer(&local) {
            Ok(writer) => writer,
            Err(e) => {
                // The last writer's segment fills the ring but for one slot.
                assert_eq!(e, WriteError::Backlog);
                flusher.drain(|bytes| out.extend_from_slice(bytes));
                queue.writer(&local).unwrap()
            }
        };
        writer.try_reserve(1).unwrap().copy_from_slice(byte);
    }
    let shared = queue.shared_writer(&pool);
    assert_eq!(shared.unwrap_err(), WriteError::Backlog);
    flusher.drain(|bytes| out.extend_from_slice(bytes));
    assert_eq!(out, b"abc");
}

#[test]
fn reservations_too_large_for_a_buffer_are_errors() {
    let (_flusher, queue) = WriteFlusher::new(1, 2);
    let mut writer = queue.writer(&BufferPool::new(16, 1).register()).unwrap();
    assert_eq!(
        writer.try_reserve_frame(13).unwrap_err(),
        WriteError::TooLarge { len: 17, max: 16 }
    );
    assert_eq!(
        writer.try_reserve_frame(MAX_FRAME_LEN + 1).unwrap_err(),
        WriteError::TooLarge {
            len: MAX_FRAME_LEN + 1 + HEADER_LEN,
            max: 16
        }
    );
    writer.try_reserve_frame(12).unwrap().finish();
}

#[test]
fn an_oversize_reservation_leaves_the_current_buffer_and_its_segment_alone() {
    let (mut flusher, queue) = WriteFlusher::new(1, 2);
    let mut writer = queue.writer(&BufferPool::new(16, 2).register()).unwrap();
    writer.try_reserve(3).unwrap().copy_from_slice(b"abc");
    let err = WriteError::TooLarge { len: 17, max: 16 };
    assert_eq!(writer.try_reserve(17).unwrap_err(), err);
    assert_eq!(
        futures_executor::block_on(writer.reserve(17)).unwrap_err(),
        err
    );
    assert_eq!(writer.unflushed(), 3, "nothing handed over, nothing lost");
    // An empty reservation commits nothing; the next bytes follow on.
    writer.try_reserve(0).unwrap().finish();
    writer.try_reserve(2).unwrap().copy_from_slice(b"de");
    writer.try_flush().unwrap();
    let mut out = Vec::new();
    flusher.try_write_to(&mut out).unwrap();
    assert_eq!(out, b"abcde");
}

#[test]
fn flush_at_counts_from_the_last_hand_over() {
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let mut writer = queue.writer(&BufferPool::new(16, 2).register()).unwrap();
    writer.try_reserve(3).unwrap().finish();
    writer.flush_at(4); // 3 bytes pending: the next commit reaches 4
    writer.try_reserve(1).unwrap().finish();
    assert_eq!(writer.unflushed(), 0, "handed over at 4 bytes");
    writer.try_reserve(3).unwrap().finish();
    assert_eq!(writer.unflushed(), 3, "4 more needed after the hand-over");
    writer.try_reserve(1).unwrap().finish();
    assert_eq!(writer.unflushed(), 0);
    let mut out = Vec::new();
    while flusher.try_write_to(&mut out).unwrap() > 0 {}
    assert_eq!(out.len(), 8);
}

#[test]
fn a_dropped_flusher_is_closed_to_writers() {
    let (flusher, queue) = WriteFlusher::new(1, 2);
    let mut writer = queue.writer(&BufferPool::new(16, 2).register()).unwrap();
    writer.try_reserve(4).unwrap().finish();
    drop(flusher);
    assert_eq!(writer.try_flush(), Err(WriteError::Closed));
}

#[test]
fn async_writers_wait_for_the_flusher_and_for_buffers() {
    let pool = BufferPool::new(8, 2);
    let (mut flusher, queue) = WriteFlusher::new(1, 1);
    let local = pool.register();
    let writer = std::thread::spawn(move || {
        let local = pool.register();
        let mut writer = queue.writer(&local).unwrap();
        futures_executor::block_on(async {
            for i in 0..200u8 {
                writer.reserve(8).await.unwrap().copy_from_slice(&[i; 8]);
            }
            writer.flush().await.unwrap();
        });
    });
    let mut out = Vec::new();
    while flusher.write_to_blocking(&mut out).unwrap() > 0 {}
    writer.join().unwrap();
    let expected: Vec<u8> = (0..200u8).flat_map(|i| [i; 8]).collect();
    assert_eq!(out, expected);
    drop(local);
}

#[test]
fn the_drain_callback_sees_each_segment() {
    let (mut flusher, queue) = WriteFlusher::new(2, 4);
    let local = BufferPool::new(16, 4).register();
    let mut a = queue.writer(&local).unwrap();
    let mut b = queue.writer(&local).unwrap();
    a.try_reserve(2).unwrap().copy_from_slice(b"a1");
    b.try_reserve(2).unwrap().copy_from_slice(b"b1");
    a.try_reserve(2).unwrap().copy_from_slice(b"a2");
    a.try_flush().unwrap();
    b.try_flush().unwrap();
    let mut segments = Vec::new();
    flusher.drain(|s| segments.push(s.to_vec()));
    segments.sort();
    assert_eq!(segments, [b"a1a2".to_vec(), b"b1".to_vec()]);
    assert!(format!("{flusher:?}{queue:?}{a:?}").contains("Writer"));
}

#[test]
fn copy_from_slice_copies_every_length_exactly_and_nothing_past_it() {
    // Every length through the small copy's branches and past them (into
    // `memcpy`), from every source offset in 0..8, against the bytes asked
    // for; the byte after each reservation, filled beforehand, is untouched;
    // a frame's payload lands after its header.
    let pool = BufferPool::new(128, 2);
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let mut writer = queue.writer(&pool.register()).unwrap();
    let source: Vec<u8> = (0..80u8).map(|b| b.wrapping_mul(37) ^ 0x5a).collect();
    let mut sink = Vec::new();
    for len in 0..=70 {
        for from in 0..8 {
            let src = &source[from..from + len];
            let mut room = writer.try_reserve(len + 1).unwrap();
            room.fill(0xee);
            room.discard();
            let mut buf = writer.try_reserve(len).unwrap();
            buf.copy_from_slice(src);
            assert_eq!(&buf.commit()[..], src, "{len} bytes from offset {from}");
            let next = writer.try_reserve(1).unwrap();
            assert_eq!(next[0], 0xee, "a {len}-byte copy wrote past its end");
            next.discard();
            // A frame: the payload goes after the header.
            let mut frame = writer.try_reserve_frame(len).unwrap();
            frame.copy_from_slice(src);
            assert_eq!(&frame.commit()[..], src, "a {len}-byte frame");
            writer.try_flush().unwrap();
            flusher.try_write_to(&mut sink).unwrap();
        }
    }
}

#[test]
#[should_panic(expected = "a 3-byte source for a 4-byte reservation")]
fn copy_from_slice_of_the_wrong_length_panics_as_the_slice_method_does() {
    let (_flusher, queue) = WriteFlusher::new(1, 4);
    let mut writer = queue.writer(&BufferPool::new(16, 1).register()).unwrap();
    writer.try_reserve(4).unwrap().copy_from_slice(b"abc");
}
