//! Loom models of the watch protocol: triple-buffered slots read while the
//! sender writes, version publication, close, and waiting receivers.

use loom::future::block_on;
use loom::thread;

use super::channel;
use crate::test_util::recv_trying_between_polls;

#[test]
fn a_waiting_receiver_ends_on_the_last_value_then_close() {
    loom::model(|| {
        let (mut tx, mut rx) = channel(0usize);
        rx.borrow_and_update();
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send_modify(|v| *v += 1);
        });
        let last = block_on(async {
            let mut last = 0;
            while rx.changed().await.is_ok() {
                let v = *rx.borrow_and_update();
                assert!(v > last, "a version is seen at most once, in order");
                last = v;
            }
            last
        });
        assert_eq!(last, 2);
        sender.join().unwrap();
    });
}

#[test]
fn readers_borrow_while_the_sender_cycles_the_slots() {
    loom::model(|| {
        let (mut tx, rx) = channel([0usize; 2]);
        let reader = thread::spawn(move || {
            let v = *rx.borrow();
            assert_eq!(v[0], v[1], "torn read");
        });
        for i in 1..=2 {
            tx.send([i, i]).unwrap_or(());
        }
        reader.join().unwrap();
    });
}

#[test]
fn try_recv_between_pending_polls_keeps_the_wake_up() {
    loom::model(|| {
        let (mut tx, mut rx) = channel(0usize);
        rx.borrow_and_update();
        let sender = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(block_on(recv_trying_between_polls(&mut rx)), Ok(7));
        sender.join().unwrap();
    });
}
