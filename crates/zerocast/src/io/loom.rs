//! Loom model of the writer → flusher hand-off: segments handed over by a
//! writer on another thread all reach the flusher, in order, and the flusher
//! sees the close once the writer and the queue are gone.

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
