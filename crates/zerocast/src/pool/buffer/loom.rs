//! Loom models of the buffer pool: the shared free list under racing
//! returns, the owner count of a packet shared between threads, and the
//! waiter queue (a release racing a waiter, a waiter cancelled while granted).

use std::boxed::Box;
use std::future::Future;
use std::task::Context;

use ::loom::future::block_on;
use ::loom::thread;

use super::*;

fn filled(local: &LocalPool) -> Packet {
    let mut buf = local.try_acquire().unwrap();
    buf[0] = 7;
    buf.freeze(1)
}

#[test]
fn racing_returns_all_reach_the_free_list() {
    ::loom::model(|| {
        let pool = BufferPool::builder(4, 2).cache(1).build();
        let local = pool.register();
        let a = filled(&local).send();
        let b = filled(&local).send();
        let t = thread::spawn(move || drop(a));
        drop(b);
        t.join().unwrap();
        assert_eq!(pool.stats().shared_free, 2);
    });
}

#[test]
fn a_packet_shared_by_two_threads_returns_its_buffer_once() {
    ::loom::model(|| {
        let pool = BufferPool::builder(4, 1).cache(1).build();
        let local = pool.register();
        let p = filled(&local);
        let sent = p.clone().send();
        let pool2 = pool.clone();
        let t = thread::spawn(move || {
            let there = pool2.register();
            let p = sent.receive(&there).unwrap();
            assert_eq!(p[0], 7);
        });
        drop(p);
        t.join().unwrap();
        local.spill();
        assert_eq!(pool.stats().shared_free, 1);
        assert!(local.try_acquire().is_some());
    });
}

#[test]
fn a_waiter_racing_a_release_is_woken() {
    ::loom::model(|| {
        let pool = BufferPool::builder(4, 1).cache(1).build();
        let local = pool.register();
        let sent = filled(&local).send();
        let t = thread::spawn(move || drop(sent));
        let buf = block_on(local.acquire());
        assert_eq!(buf.remaining(), 4);
        t.join().unwrap();
    });
}

#[test]
fn a_waiter_cancelled_while_a_release_races_loses_no_buffer() {
    ::loom::model(|| {
        let pool = BufferPool::builder(4, 1).cache(1).build();
        let local = pool.register();
        let sent = filled(&local).send();
        let mut waiting = Box::pin(local.acquire());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        let t = thread::spawn(move || drop(sent));
        drop(waiting);
        t.join().unwrap();
        // Granted or not, the buffer is back: free for the next acquire.
        assert!(local.try_acquire().is_some());
        assert_eq!(pool.stats().waiting, 0);
    });
}
