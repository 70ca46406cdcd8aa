use std::boxed::Box;
use std::format;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};
use std::thread;
use std::vec::Vec;

use super::*;
use crate::test_util::WakeCounter;

fn filled(local: &LocalPool, bytes: &[u8]) -> Packet {
    let mut buf = local.try_acquire().unwrap();
    buf[..bytes.len()].copy_from_slice(bytes);
    buf.freeze(bytes.len())
}

#[test]
fn a_buffer_returns_when_its_last_packet_drops() {
    let pool = BufferPool::builder(8, 2).cache(1).build();
    let local = pool.register();
    let mut buf = local.try_acquire().unwrap();
    buf[..3].copy_from_slice(b"abc");
    let a = buf.freeze(3);
    let a2 = a.clone();
    drop(buf);
    assert_eq!(pool.stats().out, 1);
    let _b = local.try_acquire().unwrap();
    assert!(local.try_acquire().is_none(), "both buffers are out");
    drop(a);
    assert!(local.try_acquire().is_none(), "a clone still holds it");
    assert_eq!(&a2[..], b"abc");
    drop(a2);
    let c = local.try_acquire().expect("the last packet returned it");
    assert_eq!(c.remaining(), 8);
}

#[test]
fn buffers_of_a_whole_number_of_lines_share_no_line() {
    // 192 bytes: three lines each, so every buffer starts on a line when
    // the pool's memory does (before, the global allocator's 16-byte
    // alignment could leave each buffer sharing a line with each neighbour).
    let pool = BufferPool::builder(192, 8).cache(8).build();
    let local = pool.register();
    let held: Vec<Buffer> = (0..8).map(|_| local.try_acquire().unwrap()).collect();
    for buf in &held {
        assert_eq!(buf.as_ptr() as usize % 64, 0);
    }
}

#[test]
fn packets_split_advance_and_truncate_within_their_bytes() {
    let local = BufferPool::new(16, 1).register();
    let mut p = filled(&local, b"0123456789");
    let head = p.split_to(3);
    let tail = p.split_off(4);
    assert_eq!(
        (&head[..], &p[..], &tail[..]),
        (&b"012"[..], &b"3456"[..], &b"789"[..])
    );
    p.advance(1);
    p.truncate(2);
    p.truncate(10);
    assert_eq!(&p[..], b"45");
    let empty = p.split_off(2);
    assert!(empty.is_empty());
    assert_eq!(p, p.clone());
}

#[test]
#[should_panic(expected = "out of range")]
fn splitting_past_the_end_panics_with_a_message() {
    let local = BufferPool::new(16, 1).register();
    filled(&local, b"ab").split_to(3);
}

#[test]
#[should_panic(expected = "remain")]
fn freezing_past_the_end_panics_with_a_message() {
    let local = BufferPool::new(4, 1).register();
    local.try_acquire().unwrap().freeze(5);
}

#[test]
fn the_cache_refills_and_spills_in_halves() {
    let pool = BufferPool::builder(8, 16).cache(4).build();
    let local = pool.register();
    let held: Vec<_> = (0..3).map(|_| local.try_acquire().unwrap()).collect();
    // Refills of 2: 3 buffers out, one still cached.
    assert_eq!((local.cached(), pool.stats().shared_free), (1, 12));
    drop(held);
    assert_eq!(local.cached(), 4);
    let one = local.try_acquire().unwrap();
    let two = local.try_acquire().unwrap();
    drop((one, two));
    drop(filled(&local, b"x"));
    assert_eq!(local.cached(), 4);
    local.spill();
    assert_eq!((local.cached(), pool.stats().shared_free), (0, 16));
    assert_eq!(pool.stats().high_water, 4);
}

#[test]
fn dropping_the_last_handle_returns_the_cache() {
    let pool = BufferPool::new(8, 4);
    let local = pool.register();
    let p = filled(&local, b"kept");
    drop(local);
    assert!(pool.stats().shared_free < 4);
    assert_eq!(&p[..], b"kept");
    drop(p);
    assert_eq!(pool.stats().shared_free, 4);
}

#[test]
fn buffers_and_packets_outliving_every_handle_keep_the_thread_state_until_the_last() {
    // Each ending in turn: a buffer, a packet sent away, a packet dropped, a
    // clone of a handle. Miri checks nothing is used after it is freed and
    // nothing leaks.
    let pool = BufferPool::builder(8, 8).cache(4).build();
    let local = pool.register();
    let second = local.clone();
    let mut buf = local.try_acquire().unwrap();
    buf[..2].copy_from_slice(b"ab");
    let a = buf.freeze(1);
    let b = buf.freeze(1);
    let other = filled(&local, b"z");
    let shared_copy = other.clone();
    drop(local);
    assert_eq!(&second.try_acquire().unwrap()[..1], &[0], "a live clone");
    drop(second); // no handle left; two buffers still counted
    drop(buf);
    let sent = a.send(); // the count of `a`'s buffer stays (b holds it)
    drop(b); // `a`'s buffer: count zero, one left
    drop(other);
    let last = shared_copy.send(); // the last counted reference: frees the state
    assert_eq!((&sent[..], &last[..]), (&b"a"[..], &b"z"[..]));
    drop((sent, last));
    assert_eq!(pool.stats().shared_free, 8, "every buffer came home");
}

#[test]
fn buffers_without_packets_outliving_every_handle_free_the_thread_state_last() {
    // A buffer that never made a packet skips the counts on its fast path;
    // without a handle it must take the counted one. Miri checks the state
    // is freed exactly once, by the last of them.
    let pool = BufferPool::builder(8, 8).cache(4).build();
    let local = pool.register();
    let first = local.try_acquire().unwrap();
    let mut second = local.try_acquire().unwrap();
    drop(local);
    second[0] = 1;
    drop(first);
    assert_eq!(second[0], 1, "the state lives while a buffer does");
    drop(second);
    assert_eq!(pool.stats().shared_free, 8, "every buffer came home");
}

#[test]
fn a_packet_sent_to_another_thread_is_read_and_returned_there() {
    let pool = BufferPool::builder(8, 2).cache(1).build();
    let local = pool.register();
    let p = filled(&local, b"hop");
    let kept = p.clone();
    let sent = p.send();
    let pool2 = pool.clone();
    let back = thread::spawn(move || {
        let local = pool2.register();
        let p = sent.receive(&local).unwrap();
        let copy = p.clone();
        assert_eq!(&copy[..], b"hop");
        copy.send()
    })
    .join()
    .unwrap();
    assert_eq!(&back[..], b"hop");
    let back = back.receive(&local).unwrap();
    drop((kept, back));
    local.spill();
    assert_eq!(pool.stats().shared_free, 2);
}

#[test]
fn a_send_packet_dropped_on_another_thread_frees_its_buffer() {
    let pool = BufferPool::builder(8, 1).cache(1).build();
    let local = pool.register();
    let sent = filled(&local, b"x").send();
    thread::spawn(move || drop(sent)).join().unwrap();
    assert_eq!(pool.stats().shared_free, 1);
    assert!(local.try_acquire().is_some());
}

#[test]
fn a_send_packet_refuses_a_foreign_pool() {
    let local = BufferPool::new(8, 1).register();
    let other = BufferPool::new(8, 1).register();
    let sent = filled(&local, b"x").send();
    let sent = sent.receive(&other).unwrap_err();
    assert_eq!(&sent.receive(&local).unwrap()[..], b"x");
}

#[test]
fn waiters_are_served_in_fifo_order_and_woken_once() {
    let pool = BufferPool::builder(8, 1).cache(1).build();
    let local = pool.register();
    let held = local.try_acquire().unwrap();
    let (first_wakes, first_waker) = WakeCounter::new();
    let (second_wakes, second_waker) = WakeCounter::new();
    let mut first = pin!(local.acquire());
    let mut second = pin!(local.acquire());
    let mut cx1 = Context::from_waker(&first_waker);
    let mut cx2 = Context::from_waker(&second_waker);
    assert!(first.as_mut().poll(&mut cx1).is_pending());
    assert!(second.as_mut().poll(&mut cx2).is_pending());
    assert_eq!((pool.stats().waiting, pool.stats().waits), (2, 2));
    assert!(local.try_acquire().is_none());
    drop(held);
    assert_eq!((first_wakes.get(), second_wakes.get()), (1, 0));
    assert!(second.as_mut().poll(&mut cx2).is_pending(), "not its turn");
    let Poll::Ready(buf) = first.as_mut().poll(&mut cx1) else {
        panic!("the first waiter was granted the buffer");
    };
    drop(buf);
    assert_eq!(second_wakes.get(), 1);
    assert!(second.as_mut().poll(&mut cx2).is_ready());
    assert_eq!(pool.stats().waiting, 0);
}

#[test]
fn a_cancelled_waiter_passes_its_grant_on() {
    let pool = BufferPool::builder(8, 1).cache(1).build();
    let local = pool.register();
    let held = local.try_acquire().unwrap();
    let (wakes, waker) = WakeCounter::new();
    let mut cx = Context::from_waker(&waker);
    let mut first = Box::pin(local.acquire());
    let mut second = pin!(local.acquire());
    let mut third = Box::pin(local.acquire());
    assert!(first.as_mut().poll(&mut cx).is_pending());
    assert!(second.as_mut().poll(&mut cx).is_pending());
    assert!(third.as_mut().poll(&mut cx).is_pending());
    drop(third); // cancelled while queued: unlinked
    drop(held); // granted to `first`
    drop(first); // cancelled holding a grant: passed to `second`
    assert_eq!(wakes.get(), 2);
    assert!(second.as_mut().poll(&mut cx).is_ready());
    assert_eq!(pool.stats().waiting, 0);
}

#[test]
fn a_waiter_is_woken_by_a_release_on_another_thread() {
    let pool = BufferPool::builder(8, 1).cache(1).build();
    let local = pool.register();
    let sent = filled(&local, b"x").send();
    let releaser = thread::spawn(move || drop(sent));
    let buf = futures_executor::block_on(local.acquire());
    releaser.join().unwrap();
    assert_eq!(buf.remaining(), 8);
}

#[test]
fn a_release_while_someone_waits_skips_the_cache() {
    let pool = BufferPool::builder(8, 2).cache(4).build();
    let a = pool.register();
    let b = pool.register();
    let held = a.try_acquire().unwrap();
    let other = a.try_acquire().unwrap();
    let (wakes, waker) = WakeCounter::new();
    let mut cx = Context::from_waker(&waker);
    let mut waiting = pin!(b.acquire());
    assert!(waiting.as_mut().poll(&mut cx).is_pending());
    drop(held);
    assert_eq!((wakes.get(), a.cached()), (1, 0));
    assert!(waiting.as_mut().poll(&mut cx).is_ready());
    drop(other);
}

#[test]
fn debug_output_names_the_types() {
    let pool = BufferPool::new(8, 1);
    let local = pool.register();
    assert!(format!("{pool:?}").contains("BufferPool"));
    assert!(format!("{local:?}").contains("LocalPool"));
    let mut buf = local.try_acquire().unwrap();
    assert!(format!("{buf:?}").contains("Buffer"));
    let p = buf.freeze(1);
    assert!(format!("{p:?}").contains("Packet"));
    assert!(format!("{:?}", local.acquire()).contains("Acquire"));
    assert!(format!("{:?}", p.send()).contains("SendPacket"));
}

#[test]
fn a_thread_that_only_frees_buffers_does_not_cache_them() {
    let pool = BufferPool::builder(8, 8).cache(2).build();
    let producer = pool.register();
    let consumer = pool.register();
    let sent = filled(&producer, b"x").send();
    let p = sent.receive(&consumer).unwrap();
    drop(p);
    assert_eq!(
        consumer.cached(),
        0,
        "not its buffer: back to the shared list"
    );
    let mine = filled(&consumer, b"y");
    drop(mine);
    assert_eq!(consumer.cached(), 1, "its own buffer: back to its cache");
}
