//! Loom models of the wait primitives: a registration racing a wake-up is
//! never lost, and a set wakes every registered subscriber.

use std::sync::Arc;
use std::task::Poll;

use loom::future::block_on;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

use super::{WaitCell, WakerSet};

/// Waits on `cell` until `flag` is set, by the register-then-check protocol.
async fn wait_for(flag: &AtomicBool, register: impl Fn(&std::task::Waker)) {
    core::future::poll_fn(|cx| {
        if flag.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        register(cx.waker());
        if flag.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await
}

#[test]
fn cell_register_racing_wake_is_never_lost() {
    loom::model(|| {
        let cell = Arc::new(WaitCell::new());
        let flag = Arc::new(AtomicBool::new(false));
        let notifier = {
            let (cell, flag) = (cell.clone(), flag.clone());
            thread::spawn(move || {
                flag.store(true, Ordering::Release);
                cell.wake();
            })
        };
        block_on(wait_for(&flag, |w| cell.register(w)));
        notifier.join().unwrap();
    });
}

#[test]
fn cell_two_notifiers_and_a_re_registering_waiter() {
    loom::model(|| {
        let cell = Arc::new(WaitCell::new());
        let flag = Arc::new(AtomicBool::new(false));
        let noise = {
            let cell = cell.clone();
            thread::spawn(move || cell.wake())
        };
        let notifier = {
            let (cell, flag) = (cell.clone(), flag.clone());
            thread::spawn(move || {
                flag.store(true, Ordering::Release);
                cell.wake();
            })
        };
        block_on(wait_for(&flag, |w| cell.register(w)));
        noise.join().unwrap();
        notifier.join().unwrap();
    });
}

#[test]
fn set_wakes_each_registered_subscriber() {
    loom::model(|| {
        let set = Arc::new(WakerSet::new(2));
        let flag = Arc::new(AtomicBool::new(false));
        let other = {
            let (set, flag) = (set.clone(), flag.clone());
            thread::spawn(move || block_on(wait_for(&flag, |w| set.register(1, w))))
        };
        let notifier = {
            let (set, flag) = (set.clone(), flag.clone());
            thread::spawn(move || {
                flag.store(true, Ordering::Release);
                set.wake_all();
            })
        };
        block_on(wait_for(&flag, |w| set.register(0, w)));
        other.join().unwrap();
        notifier.join().unwrap();
    });
}
