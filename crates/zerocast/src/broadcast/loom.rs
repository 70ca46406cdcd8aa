//! Loom models of the broadcast protocol: a sender moving the limit past a
//! reader, lag accounting, racing senders, close, and the wake-up of a
//! receiver that waits.

use loom::future::block_on;
use loom::thread;

use super::{channel, Receiver};
use crate::error::RecvError;
use crate::test_util::recv_trying_between_polls;

/// Receives until close; every message is either delivered or counted in a
/// lag, and with one sender (`ordered`) deliveries come in send order. Returns
/// (delivered, accounted for).
fn drain(rx: &mut Receiver<usize>, ordered: bool) -> (usize, u64) {
    block_on(async {
        let (mut delivered, mut accounted, mut last) = (0, 0, None);
        loop {
            match rx.recv().await {
                Ok(v) => {
                    assert!(last != Some(v), "delivered twice");
                    assert!(!ordered || last.is_none_or(|l| v > l), "out of order");
                    last = Some(v);
                    delivered += 1;
                    accounted += 1;
                }
                Err(RecvError::Lagged(n)) => accounted += n,
                Err(RecvError::Closed) => return (delivered, accounted),
            }
        }
    })
}

/// One sender sends `0..messages` while the receiver drains: every message
/// is delivered or counted in a lag, the last one is never lost.
fn a_sender_against_a_draining_receiver(messages: usize) {
    loom::model(move || {
        let (tx, mut rx) = channel::<usize>(1);
        let sender = thread::spawn(move || {
            for i in 0..messages {
                tx.send(i).unwrap();
            }
        });
        let (delivered, accounted) = drain(&mut rx, true);
        assert!(delivered >= 1, "the last message is never lost");
        assert_eq!(accounted, messages as u64);
        sender.join().unwrap();
    });
}

#[test]
fn a_waiting_receiver_gets_each_message_or_a_counted_lag() {
    a_sender_against_a_draining_receiver(2);
}

#[test]
fn two_senders_racing_for_one_slot() {
    // Loom's rings have two slots: positions 0 and 2 share one. The
    // write-write race on it, the stale sender that must not overwrite a
    // newer value, and the sender of 2 moving the limit on.
    loom::model(|| {
        let (tx, mut rx) = channel::<usize>(1);
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.send(0).unwrap());
        tx2.send(1).unwrap();
        tx2.send(2).unwrap();
        a.join().unwrap();
        drop(tx2);
        let (delivered, accounted) = drain(&mut rx, false);
        assert_eq!((delivered, accounted), (1, 3), "the newest one is held");
    });
}

#[test]
fn a_sender_lapping_a_reader_waits_for_its_read() {
    // Position 2 rewrites the slot of position 0, which the receiver may be
    // reading: its sender releases 0 and waits for the read (loom checks
    // that the value's cell is never written while it is read).
    a_sender_against_a_draining_receiver(3);
}

#[test]
fn try_recv_between_pending_polls_keeps_the_wake_up() {
    loom::model(|| {
        let (tx, mut rx) = channel::<usize>(2);
        let sender = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(block_on(recv_trying_between_polls(&mut rx)), Ok(7));
        sender.join().unwrap();
    });
}
