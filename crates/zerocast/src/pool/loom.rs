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
