//! Loom models of the writer → flusher hand-off: segments handed over by a
//! writer on another thread all reach the flusher, in order, and the flusher
//! sees the close once the writer and the queue are gone; and of the shared
//! writer's reservation, seal, hand-over and wake-up protocol.

use std::vec::Vec;

use ::loom::future::block_on;
use ::loom::thread;

use super::*;
use crate::pool::BufferPool;

#[test]
fn segments_handed_over_across_threads_arrive_in_order_then_close() {
    ::loom::model(|| {
        let pool = BufferPool::builder(2, 2).cache(1).build();
        let (mut flusher, queue) = WriteFlusher::new(1, 1);
        let writer_pool = pool.clone();
        let writer = thread::spawn(move || {
            let local = writer_pool.register();
            let mut writer = queue.writer(&local).unwrap();
            writer.try_reserve(2).unwrap().copy_from_slice(b"ab");
            writer.try_flush().unwrap();
            // The buffer is full: a new one, and "c" goes over at drop.
            block_on(writer.reserve(1)).unwrap().copy_from_slice(b"c");
            drop(writer);
            drop(queue);
        });
        let mut seen = Vec::new();
        while block_on(core::future::poll_fn(|cx| flusher.poll_ready(cx))).is_ok() {
            flusher.drain(|bytes| seen.extend_from_slice(bytes));
        }
        writer.join().unwrap();
        assert_eq!(seen, b"abc");
        assert_eq!(pool.stats().shared_free, 2, "every buffer came back");
    });
}

/// Two threads share one [`SharedWriter`] whose buffers hold one message
/// each: the second reservation seals the first's segment and waits for its
/// commit, the last commit hands it over, the flush waits for the flusher's
/// ring (depth 1, its last slot kept) and is woken through the writer's own
/// waker, and every message reaches the flusher once, whole.
#[test]
fn a_shared_writer_across_threads_hands_every_message_over_once() {
    two_threads_share_a_writer(false);
}

/// As the model above, with each message written in one step
/// ([`SharedWriter::write`](crate::io::SharedWriter::write): reserved,
/// copied and committed under one hold of the lock), waiting for buffers
/// and for the flusher's ring as it must.
#[test]
fn one_step_writes_across_threads_arrive_once_each() {
    two_threads_share_a_writer(true);
}

/// The body of the two models above: each thread writes its two bytes by
/// reserving them or (`one_step`) by `write`.
fn two_threads_share_a_writer(one_step: bool) {
    ::loom::model(move || {
        let pool = BufferPool::builder(2, 2).cache(1).build();
        let (mut flusher, queue) = WriteFlusher::new(1, 1);
        let writer = queue.shared_writer(&pool).unwrap();
        drop(queue);
        let twin = writer.clone();
        let put = move |writer: &SharedWriter, bytes: &'static [u8]| {
            if one_step {
                block_on(writer.write(bytes)).unwrap();
            } else {
                block_on(writer.reserve(2)).unwrap().copy_from_slice(bytes);
            }
        };
        let other = thread::spawn(move || {
            put(&twin, b"bb");
            block_on(twin.flush()).unwrap();
        });
        put(&writer, b"aa");
        drop(writer);
        let mut seen = Vec::new();
        while block_on(core::future::poll_fn(|cx| flusher.poll_ready(cx))).is_ok() {
            flusher.drain(|bytes| seen.extend_from_slice(bytes));
        }
        other.join().unwrap();
        assert!(seen == b"aabb" || seen == b"bbaa", "{seen:?}");
        assert_eq!(pool.stats().shared_free, 2, "every buffer came back");
    });
}
