//! [`SharedWriter`]: many writers, one buffer at a time.

use std::boxed::Box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::vec::Vec;

use super::*;
use crate::pool::BufferPool;

/// Frames decoded from `bytes` (a whole number of frames).
fn frames(bytes: &[u8]) -> Vec<Vec<u8>> {
    let pool = BufferPool::new(bytes.len().max(8) + 8, 4);
    let mut framer = Framer::new(pool.register(), bytes.len().max(4));
    framer.try_write_buf().unwrap()[..bytes.len()].copy_from_slice(bytes);
    framer.commit(bytes.len()).unwrap();
    let mut out = Vec::new();
    while let Some(frame) = framer.next_frame().unwrap() {
        out.push(frame.to_vec());
    }
    framer.finish().unwrap();
    out
}

#[test]
fn messages_of_several_writers_share_one_buffer_and_one_segment() {
    let pool = BufferPool::new(64, 2);
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    let twin = writer.clone();
    let a = writer.try_reserve(3).unwrap();
    let mut b = twin.try_reserve(3).unwrap();
    b.copy_from_slice(b"bbb"); // the second reservation is written first
    drop(b);
    let mut a = a;
    a.copy_from_slice(b"aaa");
    drop(a);
    writer.try_flush().unwrap();
    let mut segments = Vec::new();
    flusher.drain(|bytes| segments.push(bytes.to_vec()));
    assert_eq!(segments, [b"aaabbb".to_vec()]);
    assert_eq!(pool.stats().out, 1, "one buffer for both");
}

#[test]
fn a_sealed_segment_waits_for_every_reservation_in_it() {
    let pool = BufferPool::new(64, 2);
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    let mut held = writer.try_reserve(2).unwrap();
    writer.try_reserve(2).unwrap().copy_from_slice(b"cd");
    assert_eq!(writer.try_flush(), Err(WriteError::Backlog));
    // Sealed: no reservation joins it, none opens another until it goes.
    assert_eq!(writer.try_reserve(1).unwrap_err(), WriteError::Backlog);
    assert_eq!(flusher.drain(|_| {}), 0);
    held.copy_from_slice(b"ab");
    let packet = held.commit(); // the last commit hands it over
    assert_eq!(&packet[..], b"ab");
    let mut out = Vec::new();
    flusher.drain(|bytes| out.extend_from_slice(bytes));
    assert_eq!(out, b"abcd");
    writer.try_reserve(1).unwrap().copy_from_slice(b"e");
    writer.try_flush().unwrap();
    flusher.drain(|bytes| out.extend_from_slice(bytes));
    assert_eq!(out, b"abcde");
}

#[test]
fn a_full_buffer_is_handed_over_and_a_fresh_one_taken() {
    let pool = BufferPool::new(8, 3);
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    for chunk in [b"012345", b"6789ab", b"cdefgh"] {
        writer.try_reserve(6).unwrap().copy_from_slice(chunk);
    }
    writer.try_flush().unwrap();
    let mut segments = Vec::new();
    flusher.drain(|bytes| segments.push(bytes.to_vec()));
    assert_eq!(
        segments,
        [b"012345".to_vec(), b"6789ab".to_vec(), b"cdefgh".to_vec()]
    );
    assert_eq!(
        writer.try_reserve(9).unwrap_err(),
        WriteError::TooLarge { len: 9, max: 8 }
    );
    assert_eq!(
        writer.try_reserve_frame(5).unwrap_err(),
        WriteError::TooLarge { len: 9, max: 8 }
    );
}

#[test]
fn the_last_handle_hands_over_what_is_left_and_frees_the_slot() {
    let pool = BufferPool::new(64, 2);
    let (mut flusher, queue) = WriteFlusher::new(1, 1);
    let writer = queue.shared_writer(&pool).unwrap();
    let twin = writer.clone();
    writer.try_reserve_frame(2).unwrap().copy_from_slice(b"hi");
    drop(writer);
    assert_eq!(
        queue.writer(&pool.register()).unwrap_err(),
        WriteError::NoWriterSlot
    );
    twin.try_reserve_frame(2).unwrap().copy_from_slice(b"yo");
    drop(twin);
    let mut out = Vec::new();
    flusher.drain(|bytes| out.extend_from_slice(bytes));
    assert_eq!(frames(&out), [b"hi".to_vec(), b"yo".to_vec()]);
    assert!(queue.writer(&pool.register()).is_ok());
    assert_eq!(pool.stats().out, 0, "every buffer is back");
}

#[test]
fn a_dropped_flusher_is_closed_to_shared_writers() {
    let pool = BufferPool::new(64, 2);
    let (flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    writer.try_reserve(1).unwrap().finish();
    drop(flusher);
    assert_eq!(writer.try_flush(), Err(WriteError::Closed));
    assert_eq!(writer.try_reserve(1).unwrap_err(), WriteError::Closed);
    drop(writer);
    assert_eq!(pool.stats().out, 0);
}

#[test]
fn a_torn_last_reservation_is_given_back_and_never_sent() {
    let pool = BufferPool::new(64, 2);
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    writer.try_reserve(2).unwrap().copy_from_slice(b"ok");
    let torn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut buf = writer.try_reserve(4).unwrap();
        buf[0] = b'x';
        panic!("mid-message");
    }));
    assert!(torn.is_err());
    writer.try_reserve(1).unwrap().copy_from_slice(b"!");
    writer.try_flush().unwrap();
    let mut out = Vec::new();
    flusher.drain(|bytes| out.extend_from_slice(bytes));
    assert_eq!(out, b"ok!");
}

#[test]
fn a_torn_reservation_under_later_ones_poisons_the_writer() {
    let pool = BufferPool::new(64, 2);
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    let later = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _torn = writer.try_reserve(4).unwrap();
        let later = writer.try_reserve(2).unwrap();
        // `later` outlives the panic: another writer's message.
        std::mem::forget(later);
        panic!("mid-message");
    }));
    assert!(later.is_err());
    assert_eq!(writer.try_reserve(1).unwrap_err(), WriteError::Poisoned);
    assert_eq!(writer.try_flush(), Err(WriteError::Poisoned));
    assert_eq!(
        flusher.drain(|_| {}),
        0,
        "nothing of the torn segment is sent"
    );
}

/// Polls `fut` with a waker that records whether it was woken.
fn poll_once<F: core::future::Future>(
    fut: core::pin::Pin<&mut F>,
    woken: &std::sync::Arc<Flag>,
) -> Poll<F::Output> {
    let waker = Waker::from(woken.clone());
    fut.poll(&mut Context::from_waker(&waker))
}

#[derive(Default)]
struct Flag(AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Flag {
    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

#[test]
fn waiting_tasks_are_woken_by_the_last_commit_and_by_the_flusher() {
    let pool = BufferPool::new(8, 4);
    let (mut flusher, queue) = WriteFlusher::new(1, 1);
    let writer = queue.shared_writer(&pool).unwrap();
    let held = writer.try_reserve(2).unwrap();
    writer.try_flush().unwrap_err(); // sealed, `held` outstanding
    let (a, b) = (
        std::sync::Arc::new(Flag::default()),
        std::sync::Arc::new(Flag::default()),
    );
    let mut first = core::pin::pin!(writer.reserve(1));
    let mut second = core::pin::pin!(writer.flush());
    assert!(poll_once(first.as_mut(), &a).is_pending());
    assert!(poll_once(second.as_mut(), &b).is_pending());
    drop(held); // handed over: the ring (one free slot kept) is now full
    assert!(a.take() && b.take(), "both look again");
    assert!(
        poll_once(second.as_mut(), &b).is_ready(),
        "its segment went over"
    );
    // The first writes into the open segment, which the ring cannot take.
    let Poll::Ready(Ok(buf)) = poll_once(first.as_mut(), &a) else {
        panic!("the segment is open")
    };
    drop(buf);
    let mut flush = core::pin::pin!(writer.flush());
    assert!(
        poll_once(flush.as_mut(), &b).is_pending(),
        "the ring is full"
    );
    assert_eq!(flusher.drain(|_| {}), 2);
    assert!(
        b.take(),
        "the flusher's release woke the writer, which woke it"
    );
    assert!(poll_once(flush.as_mut(), &b).is_ready());
    assert_eq!(flusher.drain(|_| {}), 1);
}

#[test]
fn a_cancelled_wait_leaves_the_others_queued() {
    let pool = BufferPool::new(8, 4);
    let (_flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    let held = writer.try_reserve(2).unwrap();
    writer.try_flush().unwrap_err();
    let flags: Vec<_> = (0..3)
        .map(|_| std::sync::Arc::new(Flag::default()))
        .collect();
    let mut kept1 = Box::pin(writer.reserve(1));
    let mut gone = Box::pin(writer.reserve(1));
    let mut kept2 = Box::pin(writer.reserve(1));
    assert!(poll_once(kept1.as_mut(), &flags[0]).is_pending());
    assert!(poll_once(gone.as_mut(), &flags[1]).is_pending());
    assert!(poll_once(kept2.as_mut(), &flags[2]).is_pending());
    drop(gone);
    drop(held);
    assert!(flags[0].take() && !flags[1].take() && flags[2].take());
    assert!(poll_once(kept1.as_mut(), &flags[0]).is_ready());
    assert!(poll_once(kept2.as_mut(), &flags[2]).is_ready());
}

#[test]
fn tasks_on_threads_share_a_writer_and_every_frame_arrives_once_in_order() {
    const THREADS: u32 = 4;
    let each: u32 = if cfg!(miri) { 50 } else { 5_000 };
    let pool = BufferPool::new(256, 8);
    let (mut flusher, queue) = WriteFlusher::new(1, 2);
    let writer = queue.shared_writer(&pool).unwrap();
    drop(queue); // the flusher is closed once the writer's handles are gone
    writer.flush_at(200);
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let writer = writer.clone();
            std::thread::spawn(move || {
                futures_executor::block_on(async {
                    for i in 0..each {
                        let message = [t.to_le_bytes(), i.to_le_bytes()].concat();
                        let mut frame = writer.reserve_frame(8).await.unwrap();
                        frame.copy_from_slice(&message);
                    }
                    writer.flush().await.unwrap();
                });
            })
        })
        .collect();
    drop(writer);
    let mut out = Vec::new();
    while flusher.write_to_blocking(&mut out).unwrap() > 0 {}
    for t in threads {
        t.join().unwrap();
    }
    let mut next = [0u32; THREADS as usize];
    for frame in frames(&out) {
        let t = u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize;
        let i = u32::from_le_bytes(frame[4..].try_into().unwrap());
        assert_eq!(
            i, next[t],
            "thread {t}'s frames in order, none lost or repeated"
        );
        next[t] += 1;
    }
    assert_eq!(next, [each; THREADS as usize]);
    assert_eq!(pool.stats().out, 0);
}

#[test]
fn a_waiting_writer_gets_a_buffer_when_one_comes_back() {
    let pool = BufferPool::new(4, 1);
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    writer.try_reserve(4).unwrap().copy_from_slice(b"full");
    let flag = std::sync::Arc::new(Flag::default());
    let mut next = core::pin::pin!(writer.reserve(2));
    assert!(
        poll_once(next.as_mut(), &flag).is_pending(),
        "no buffer left"
    );
    let mut out = Vec::new();
    flusher.drain(|bytes| out.extend_from_slice(bytes));
    assert!(flag.take(), "the released buffer went to the waiter");
    let Poll::Ready(Ok(mut buf)) = poll_once(next.as_mut(), &flag) else {
        panic!("granted")
    };
    buf.copy_from_slice(b"ok");
    drop(buf);
    writer.try_flush().unwrap();
    flusher.drain(|bytes| out.extend_from_slice(bytes));
    assert_eq!(out, b"fullok");
}

#[test]
fn shared_writers_and_their_futures_may_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<SharedWriter>();
    send_sync::<SharedWriteBuf<'static>>();
    let pool = BufferPool::new(8, 1);
    let (_flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    send(&writer.reserve(1));
    send(&writer.flush());
}

#[test]
fn written_messages_pack_in_order_with_reserved_ones() {
    let pool = BufferPool::new(512, 2);
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    let long = [7u8; 300];
    let mut held = writer.try_reserve(2).unwrap();
    writer.try_write(b"ab").unwrap();
    writer.try_write_frame(b"frame").unwrap();
    writer.try_write(&long).unwrap();
    writer.try_write(b"").unwrap();
    assert_eq!(
        writer.try_flush(),
        Err(WriteError::Backlog),
        "`held` is out"
    );
    assert_eq!(writer.try_write(b"x"), Err(WriteError::Backlog), "sealed");
    assert_eq!(flusher.drain(|_| {}), 0);
    held.copy_from_slice(b"01");
    drop(held); // the last reservation out: the segment goes over
    let mut out = Vec::new();
    flusher.drain(|bytes| out.extend_from_slice(bytes));
    let mut expected = b"01ab".to_vec();
    expected.extend_from_slice(&encode_header(5).unwrap());
    expected.extend_from_slice(b"frame");
    expected.extend_from_slice(&long);
    assert_eq!(out, expected);
}

#[test]
fn a_write_that_reaches_the_flush_mark_hands_its_segment_over() {
    let pool = BufferPool::new(64, 2);
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    writer.flush_at(4);
    writer.try_write(b"abc").unwrap();
    assert_eq!(flusher.drain(|_| {}), 0);
    writer.try_write(b"d").unwrap();
    assert_eq!(flusher.drain(|_| {}), 4, "handed over by the write itself");
    assert_eq!(writer.unflushed(), 0);
}

#[test]
fn writes_report_bad_sizes_an_empty_pool_and_a_gone_flusher() {
    let pool = BufferPool::new(8, 1);
    let (flusher, queue) = WriteFlusher::new(1, 4);
    let writer = queue.shared_writer(&pool).unwrap();
    let too_long = WriteError::TooLarge { len: 9, max: 8 };
    assert_eq!(writer.try_write(&[0; 9]), Err(too_long));
    assert_eq!(writer.try_write_frame(&[0; 5]), Err(too_long));
    writer.try_write(&[1; 8]).unwrap();
    // Full, and the pool has no other buffer: nothing is written.
    assert_eq!(writer.try_write(b"a"), Err(WriteError::Exhausted));
    assert_eq!(writer.unflushed(), 0, "the full buffer went to the flusher");
    drop(flusher);
    // Closed, not a wait for a buffer that would never go out.
    assert_eq!(writer.try_write(b"a"), Err(WriteError::Closed));
    assert_eq!(writer.try_reserve(1).unwrap_err(), WriteError::Closed);
    let waited = futures_executor::block_on(writer.reserve(1));
    assert_eq!(waited.unwrap_err(), WriteError::Closed);
    assert_eq!(
        futures_executor::block_on(writer.write(b"a")),
        Err(WriteError::Closed)
    );
}

#[test]
fn awaited_writes_wait_for_the_buffer_the_flusher_gives_back() {
    let pool = BufferPool::new(4, 1);
    let (mut flusher, queue) = WriteFlusher::new(1, 1);
    let writer = queue.shared_writer(&pool).unwrap();
    let woken = std::sync::Arc::new(Flag::default());
    let mut out = Vec::new();
    writer.try_write(b"abcd").unwrap();
    let mut next = core::pin::pin!(writer.write(b"ef"));
    assert!(poll_once(next.as_mut(), &woken).is_pending(), "no buffer");
    flusher.drain(|bytes| out.extend_from_slice(bytes)); // the buffer comes back
    assert!(woken.take());
    assert_eq!(poll_once(next.as_mut(), &woken), Poll::Ready(Ok(())));
    // A frame's 4 bytes do not fit after "ef": that segment goes over, and
    // the frame waits for its buffer again.
    let mut frame = core::pin::pin!(writer.write_frame(b""));
    assert!(poll_once(frame.as_mut(), &woken).is_pending(), "no buffer");
    flusher.drain(|bytes| out.extend_from_slice(bytes));
    assert!(woken.take());
    assert_eq!(poll_once(frame.as_mut(), &woken), Poll::Ready(Ok(())));
    writer.try_flush().unwrap();
    flusher.drain(|bytes| out.extend_from_slice(bytes));
    let mut expected = b"abcdef".to_vec();
    expected.extend_from_slice(&encode_header(0).unwrap());
    assert_eq!(out, expected);
}
