//! Loom models of the slab pool's return queue: racing returns all arrive,
//! none is overwritten, and a full queue says so.

use std::vec::Vec;

use loom::sync::Arc;
use loom::thread;

use super::queue::{Full, ReturnQueue};

#[test]
fn two_racing_pushes_both_arrive_once() {
    loom::model(|| {
        let q = Arc::new(ReturnQueue::new(2));
        let pushers: Vec<_> = (1..=2u64)
            .map(|id| {
                let q = q.clone();
                thread::spawn(move || q.push(id).unwrap())
            })
            .collect();
        let mut got = Vec::new();
        while got.len() < 2 {
            // SAFETY: this thread is the only popper.
            if let Some(id) = unsafe { q.pop() } {
                got.push(id);
            } else {
                thread::yield_now();
            }
        }
        for p in pushers {
            p.join().unwrap();
        }
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

#[test]
fn a_full_queue_reports_full_and_keeps_what_it_holds() {
    loom::model(|| {
        let q = Arc::new(ReturnQueue::new(2));
        q.push(0).unwrap();
        let a = {
            let q = q.clone();
            thread::spawn(move || q.push(1))
        };
        let b = {
            let q = q.clone();
            thread::spawn(move || q.push(2))
        };
        let (ra, rb) = (a.join().unwrap(), b.join().unwrap());
        // SAFETY: the only popper.
        assert_eq!(unsafe { q.pop() }, Some(0));
        // SAFETY: the only popper.
        let held = unsafe { q.pop() };
        match (ra, rb) {
            (Ok(()), Err(Full)) => assert_eq!(held, Some(1)),
            (Err(Full), Ok(())) => assert_eq!(held, Some(2)),
            other => panic!("one push must win, one must see Full: {other:?}"),
        }
        // SAFETY: the only popper.
        assert_eq!(unsafe { q.pop() }, None);
    });
}

mod shared {
    use std::boxed::Box;
    use std::future::Future;
    use std::task::{Context, Waker};

    use loom::future::block_on;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::thread;

    use super::super::SharedObjectPool;

    #[test]
    fn racing_acquire_release_never_shares_a_value() {
        loom::model(|| {
            let pool: &'static _ =
                Box::leak(Box::new(SharedObjectPool::new(1, |_| AtomicUsize::new(0))));
            let use_it = |pool: &SharedObjectPool<AtomicUsize>| {
                if let Some(v) = pool.try_acquire() {
                    assert_eq!(v.fetch_add(1, Ordering::Relaxed), 0, "shared!");
                    v.fetch_sub(1, Ordering::Relaxed);
                }
            };
            let other = thread::spawn(move || use_it(pool));
            use_it(pool);
            other.join().unwrap();
            assert!(pool.try_acquire().is_some(), "the value came back");
        });
    }

    #[test]
    fn a_waiter_racing_a_release_on_another_thread_is_served() {
        loom::model(|| {
            let pool: &'static _ = Box::leak(Box::new(SharedObjectPool::new(1, |_| 7u8)));
            let held = pool.try_acquire().unwrap();
            let releaser = thread::spawn(move || drop(held));
            assert_eq!(*block_on(pool.acquire()), 7);
            releaser.join().unwrap();
            assert_eq!(pool.waiting(), 0);
        });
    }

    #[test]
    fn a_waiter_cancelled_while_a_release_races_loses_no_value() {
        loom::model(|| {
            let pool: &'static _ = Box::leak(Box::new(SharedObjectPool::new(1, |_| ())));
            let held = pool.try_acquire().unwrap();
            let mut waiting = Box::pin(pool.acquire());
            let mut cx = Context::from_waker(Waker::noop());
            assert!(waiting.as_mut().poll(&mut cx).is_pending());
            let releaser = thread::spawn(move || drop(held));
            drop(waiting);
            releaser.join().unwrap();
            assert!(pool.try_acquire().is_some());
            assert_eq!(pool.waiting(), 0);
        });
    }
}
