//! Loom models of the wait primitives: a registration racing a wake-up is
//! never lost, and a set wakes every registered subscriber.

use std::sync::Arc;
use std::task::{Poll, Waker};

use loom::future::block_on;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

use super::{WaitCell, WakerSet};

/// Waits on `cell` until `flag` is set, by the register-then-check protocol.
async fn wait_for(flag: &AtomicBool, register: impl Fn(&Waker)) {
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

/// A waiter that re-registers through `register` until a flag is set, racing
/// two notifiers that `wake` the slot, one of them with nothing to say.
fn two_notifiers_and_a_re_registering_waiter<S: Send + Sync + 'static>(
    make: fn() -> S,
    wake: fn(&S),
    register: fn(&S, &Waker),
) {
    loom::model(move || {
        let slot = Arc::new(make());
        let flag = Arc::new(AtomicBool::new(false));
        let noise = {
            let slot = slot.clone();
            thread::spawn(move || wake(&slot))
        };
        let notifier = {
            let (slot, flag) = (slot.clone(), flag.clone());
            thread::spawn(move || {
                flag.store(true, Ordering::Release);
                wake(&slot);
            })
        };
        block_on(wait_for(&flag, |w| register(&slot, w)));
        noise.join().unwrap();
        notifier.join().unwrap();
    });
}

#[test]
fn cell_two_notifiers_and_a_re_registering_waiter() {
    two_notifiers_and_a_re_registering_waiter(WaitCell::new, WaitCell::wake, WaitCell::register);
}

#[test]
fn owned_cell_two_notifiers_and_a_re_registering_waiter() {
    // The sole registrant's path: after the first poll the stored waker is
    // the task's, so each later registration only marks a waiter.
    two_notifiers_and_a_re_registering_waiter(WaitCell::new, WaitCell::wake, |cell, w| {
        // SAFETY: the waiting thread is the cell's only registrant.
        unsafe { cell.register_owned(w) }
    });
}

#[test]
fn owned_set_slot_two_notifiers_and_a_re_registering_waiter() {
    two_notifiers_and_a_re_registering_waiter(
        || WakerSet::new(1),
        WakerSet::wake_all,
        |set, w| {
            // SAFETY: the waiting thread is id 0's only registrant.
            unsafe { set.register_owned(0, w) }
        },
    );
}

#[test]
fn owned_set_slot_released_while_a_notifier_wakes_it() {
    // A subscriber registers, then goes away (its slot released, its waker
    // dropped) while a notifier may be waking that very waker.
    loom::model(|| {
        let set = Arc::new(WakerSet::new(1));
        let notifier = {
            let set = set.clone();
            thread::spawn(move || set.wake_all())
        };
        // SAFETY: this thread is id 0's only registrant.
        unsafe { set.register_owned(0, std::task::Waker::noop()) };
        set.release(0);
        notifier.join().unwrap();
        assert!(!set.is_waiting(0));
    });
}

#[test]
fn set_wakes_each_registered_subscriber() {
    loom::model(|| {
        let set = Arc::new(WakerSet::new(2));
        let flag = Arc::new(AtomicBool::new(false));
        let other = {
            let (set, flag) = (set.clone(), flag.clone());
            thread::spawn(move || {
                block_on(wait_for(&flag, |w| {
                    // SAFETY: this thread is id 1's only registrant.
                    unsafe { set.register_owned(1, w) }
                }))
            })
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
