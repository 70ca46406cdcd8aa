//! Loom models of the mailbox: racing senders leave the last value and hand
//! the other back; a waiting receiver is woken.

use loom::future::block_on;
use loom::thread;

use super::channel;
use crate::test_util::recv_trying_between_polls;

#[test]
fn racing_senders_leave_the_last_value_and_hand_the_other_back() {
    loom::model(|| {
        let (tx, mut rx) = channel::<usize>();
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.send(1).unwrap());
        let b = thread::spawn(move || tx2.send(2).unwrap());
        let (ra, rb) = (a.join().unwrap(), b.join().unwrap());
        let survivor = rx.try_recv().unwrap();
        match (ra, rb) {
            (None, Some(1)) => assert_eq!(survivor, 2, "b sent last"),
            (Some(2), None) => assert_eq!(survivor, 1, "a sent last"),
            other => panic!("a value lost or duplicated: {other:?}"),
        }
    });
}

#[test]
fn a_waiting_receiver_takes_the_value_then_sees_close() {
    loom::model(|| {
        let (tx, mut rx) = channel::<usize>();
        let sender = thread::spawn(move || {
            tx.send(5).unwrap();
        });
        block_on(async {
            assert_eq!(rx.recv().await, Ok(5));
            assert!(rx.recv().await.is_err());
        });
        sender.join().unwrap();
    });
}

#[test]
fn try_recv_between_pending_polls_keeps_the_wake_up() {
    loom::model(|| {
        let (tx, mut rx) = channel::<usize>();
        let sender = thread::spawn(move || {
            tx.send(7).unwrap();
        });
        assert_eq!(block_on(recv_trying_between_polls(&mut rx)), Ok(7));
        sender.join().unwrap();
    });
}
