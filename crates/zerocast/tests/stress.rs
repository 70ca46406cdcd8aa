//! Multi-thread stress: millions of messages, none lost, duplicated or
//! reordered, through the blocking and the async paths; for the lossy
//! buffers, every message delivered or accounted for (lag, overwrite handed
//! back), never duplicated, never out of order.
#![cfg(not(zerocast_loom))]
#![cfg(not(miri))]

mod common;

use common::{tag_frame, tagged_frames_in_order, Dropping, Value};
use zerocast::pool::{SlabError, SlabPool};
use zerocast::{broadcast, mailbox, multicast, spsc, watch, Closed, RecvError};

#[test]
fn spsc_two_million_blocking_messages_in_order() {
    const N: u64 = 2_000_000;
    let (mut tx, mut rx) = spsc::channel::<u64>(64);
    let producer = std::thread::spawn(move || {
        let mut i = 0;
        while i < N {
            // Mix single pushes and batches.
            if i % 7 == 0 && i + 4 <= N {
                let batch = [i, i + 1, i + 2, i + 3];
                let mut sent = 0;
                while sent < 4 {
                    sent += tx.push_slice(&batch[sent..]);
                    if sent < 4 {
                        std::thread::yield_now();
                    }
                }
                i += 4;
            } else {
                tx.push_blocking(i).unwrap();
                i += 1;
            }
        }
    });
    let mut expected = 0;
    let mut buf = [0u64; 16];
    loop {
        let n = rx.pop_slice(&mut buf);
        for v in &buf[..n] {
            assert_eq!(*v, expected);
            expected += 1;
        }
        if n == 0 {
            match rx.pop_blocking() {
                Ok(v) => {
                    assert_eq!(v, expected);
                    expected += 1;
                }
                Err(Closed) => break,
            }
        }
    }
    producer.join().unwrap();
    assert_eq!(expected, N);
}

#[test]
fn spsc_one_million_async_messages_across_threads() {
    const N: u64 = 1_000_000;
    let (mut tx, mut rx) = spsc::channel::<u64>(16);
    let producer = std::thread::spawn(move || {
        futures_executor::block_on(async {
            for i in 0..N {
                tx.push(i).await.unwrap();
            }
        })
    });
    let received = futures_executor::block_on(async {
        let mut expected = 0;
        while let Ok(v) = rx.pop().await {
            assert_eq!(v, expected);
            expected += 1;
        }
        expected
    });
    producer.join().unwrap();
    assert_eq!(received, N);
}

#[test]
fn multicast_one_million_messages_to_four_subscribers() {
    multicast_one_million_messages::<u64>();
    multicast_one_million_messages::<Dropping>();
}

fn multicast_one_million_messages<T: Value>() {
    const N: u64 = 1_000_000;
    let (mut publisher, subs) = multicast::channel::<T>(64, 4);
    let readers: Vec<_> = subs
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            std::thread::spawn(move || {
                let mut expected = 0;
                if i % 2 == 0 {
                    while let Ok(v) = s.recv_blocking() {
                        assert_eq!(v, T::from(expected));
                        expected += 1;
                    }
                } else {
                    futures_executor::block_on(async {
                        while let Ok(g) = s.recv_ref().await {
                            assert_eq!(*g, T::from(expected));
                            expected += 1;
                        }
                    });
                }
                expected
            })
        })
        .collect();
    for i in 0..N {
        publisher.publish_blocking(T::from(i)).unwrap();
    }
    drop(publisher);
    for r in readers {
        assert_eq!(r.join().unwrap(), N);
    }
}

#[test]
fn multicast_subscribers_leaving_under_load_never_stall_the_rest() {
    multicast_subscribers_leaving_under_load::<u64>();
    multicast_subscribers_leaving_under_load::<Dropping>();
}

fn multicast_subscribers_leaving_under_load<T: Value>() {
    const N: u64 = 200_000;
    let (mut publisher, subs) = multicast::channel::<T>(8, 4);
    let readers: Vec<_> = subs
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            std::thread::spawn(move || {
                // Subscriber i leaves after i * N / 4 messages (0 stays to the end).
                let leave_at = if i == 0 { u64::MAX } else { i as u64 * N / 4 };
                let mut expected = 0;
                while expected < leave_at {
                    match s.recv_blocking() {
                        Ok(v) => {
                            assert_eq!(v, T::from(expected));
                            expected += 1;
                        }
                        Err(Closed) => break,
                    }
                }
                expected
            })
        })
        .collect();
    for i in 0..N {
        publisher.publish_blocking(T::from(i)).unwrap();
    }
    drop(publisher);
    let counts: Vec<u64> = readers.into_iter().map(|r| r.join().unwrap()).collect();
    assert_eq!(counts[0], N);
    for (i, c) in counts.iter().enumerate().skip(1) {
        assert_eq!(*c, i as u64 * N / 4);
    }
}

/// Sends `make(sender, seq)` for `seq` in `0..per_sender` from two threads
/// (senders 0 and 1), then drops the last sender, closing the channel.
fn send_from_two_threads<T: Clone + Send + Sync + 'static>(
    tx: broadcast::Sender<T>,
    per_sender: u64,
    make: fn(u64, u64) -> T,
) {
    let senders: Vec<_> = (0..2u64)
        .map(|id| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for seq in 0..per_sender {
                    tx.send(make(id, seq)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    for s in senders {
        s.join().unwrap();
    }
}

#[test]
fn broadcast_two_senders_three_receivers_account_for_every_message() {
    const PER_SENDER: u64 = 1_000_000;
    let (tx, first) = broadcast::channel::<u64>(1024);
    let mut receivers = vec![first, tx.subscribe(), tx.subscribe()];
    let readers: Vec<_> = receivers
        .drain(..)
        .map(|mut rx| {
            std::thread::spawn(move || {
                // Per sender: the next sequence number at least expected.
                let mut next = [0u64; 2];
                let (mut delivered, mut lagged) = (0u64, 0u64);
                loop {
                    match rx.recv_blocking() {
                        Ok(v) => {
                            let (sender, seq) = ((v >> 32) as usize, v & 0xffff_ffff);
                            assert!(seq >= next[sender], "duplicated or reordered");
                            next[sender] = seq + 1;
                            delivered += 1;
                        }
                        Err(RecvError::Lagged(n)) => lagged += n,
                        Err(RecvError::Closed) => return (delivered, lagged),
                    }
                }
            })
        })
        .collect();
    send_from_two_threads(tx, PER_SENDER, |id, seq| id << 32 | seq);
    for r in readers {
        let (delivered, lagged) = r.join().unwrap();
        assert_eq!(
            delivered + lagged,
            2 * PER_SENDER,
            "every message delivered or counted"
        );
        assert!(delivered > 0);
    }
}

#[test]
fn broadcast_values_read_in_place_while_senders_lap_the_ring_are_never_torn() {
    // A small ring lapped all the time: each value is four copies of one
    // number, so a read that met a rewrite of its slot would see a mix.
    const PER_SENDER: u64 = 500_000;
    let (tx, first) = broadcast::channel::<[u64; 4]>(2);
    let mut receivers = vec![first, tx.subscribe()];
    let readers: Vec<_> = receivers
        .drain(..)
        .map(|mut rx| {
            std::thread::spawn(move || {
                let (mut read, mut lagged) = (0u64, 0u64);
                loop {
                    match rx.try_recv_ref() {
                        Ok(value) => {
                            assert!(value.iter().all(|&v| v == value[0]), "torn: {value:?}");
                            read += 1;
                        }
                        Err(zerocast::TryRecvError::Lagged(n)) => lagged += n,
                        Err(zerocast::TryRecvError::Empty) => std::hint::spin_loop(),
                        Err(zerocast::TryRecvError::Closed) => return (read, lagged),
                    }
                }
            })
        })
        .collect();
    send_from_two_threads(tx, PER_SENDER, |id, seq| [id << 32 | seq; 4]);
    for r in readers {
        let (read, lagged) = r.join().unwrap();
        assert_eq!(
            read + lagged,
            2 * PER_SENDER,
            "every message read or counted"
        );
    }
}

#[test]
fn watch_readers_see_versions_in_order_and_the_last_one() {
    const N: u64 = 1_000_000;
    let (mut tx, rx) = watch::channel(0u64);
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let mut rx = rx.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                while rx.changed_blocking().is_ok() {
                    let v = *rx.borrow_and_update();
                    assert!(v >= last, "went backwards");
                    last = v;
                }
                last
            })
        })
        .collect();
    drop(rx);
    for v in 1..=N {
        tx.send(v).unwrap();
    }
    drop(tx);
    for r in readers {
        assert_eq!(r.join().unwrap(), N);
    }
}

#[test]
fn mailbox_racing_senders_and_receivers_lose_and_duplicate_nothing() {
    const PER_SENDER: u32 = 500_000;
    let (tx, rx) = mailbox::channel::<u32>();
    let receivers: Vec<_> = (0..2)
        .map(|_| {
            let mut rx = rx.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                while let Ok(v) = rx.recv_blocking() {
                    got.push(v);
                }
                got
            })
        })
        .collect();
    let senders: Vec<_> = (0..2u32)
        .map(|id| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut replaced = Vec::new();
                for i in 0..PER_SENDER {
                    replaced.extend(tx.send(id * PER_SENDER + i).unwrap());
                }
                replaced
            })
        })
        .collect();
    drop(tx);
    let mut all: Vec<u32> = senders
        .into_iter()
        .flat_map(|s| s.join().unwrap())
        .collect();
    drop(rx);
    for r in receivers {
        all.extend(r.join().unwrap());
    }
    all.sort_unstable();
    assert_eq!(
        all.len(),
        2 * PER_SENDER as usize,
        "each value exactly once"
    );
    assert!(all.iter().copied().eq(0..2 * PER_SENDER));
}

#[test]
fn slab_tickets_returned_from_many_threads_never_leak_or_double_hand_out() {
    const PAYLOADS: u64 = 1_000_000;
    const READERS: usize = 3;
    let pool = SlabPool::new(0, 16, 256).unwrap();
    let mut queues = Vec::new();
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (tx, mut rx) = spsc::channel::<zerocast::pool::SlabTicket>(64);
            queues.push(tx);
            std::thread::spawn(move || {
                let mut n = 0u64;
                while let Ok(t) = rx.pop_blocking() {
                    // Every byte of the page is the payload's own: a page
                    // handed out twice would show another payload's bytes.
                    let first = t.as_slice()[0];
                    assert!(t.as_slice().iter().all(|&b| b == first), "page shared");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut sent = 0u64;
    while sent < PAYLOADS {
        match pool.alloc(&[sent as u8; 16]) {
            Ok(t) => {
                queues[(sent % READERS as u64) as usize]
                    .push_blocking(t)
                    .unwrap();
                sent += 1;
            }
            Err(SlabError::Exhausted) => {
                if pool.drain() == 0 {
                    std::thread::yield_now();
                }
            }
            Err(e) => panic!("{e}"),
        }
    }
    drop(queues);
    let read: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert_eq!(read, PAYLOADS);
    pool.drain();
    let stats = pool.stats();
    assert_eq!(pool.available(), 256, "every page came home");
    assert_eq!((stats.allocations, stats.returns), (PAYLOADS, PAYLOADS));
    assert_eq!((stats.rejected, stats.lost), (0, 0));
}

#[test]
fn many_writer_threads_through_one_flusher_lose_and_tear_nothing() {
    writer_threads_through_one_flusher(Writers::Own);
}

#[test]
fn many_threads_sharing_one_writer_lose_and_tear_nothing() {
    writer_threads_through_one_flusher(Writers::SharedReserve);
}

#[test]
fn many_threads_writing_one_step_into_one_writer_lose_and_tear_nothing() {
    writer_threads_through_one_flusher(Writers::SharedWrite);
}

/// How the threads of `writer_threads_through_one_flusher` write.
#[derive(Clone, Copy, PartialEq)]
enum Writers {
    /// Each through a `Writer` of its own.
    Own,
    /// All into one `SharedWriter`, reserving each frame and writing it in.
    SharedReserve,
    /// All into one `SharedWriter`, each frame by `write_frame`.
    SharedWrite,
}

/// Four threads write 250k frames each, through a writer of their own or
/// one `SharedWriter` they all pack into (see [`Writers`]); the flusher's
/// output, framed back, holds each thread's frames whole, in its order.
fn writer_threads_through_one_flusher(how: Writers) {
    use zerocast::io::WriteFlusher;
    use zerocast::pool::BufferPool;

    const WRITERS: u64 = 4;
    const EACH: u64 = 250_000;
    let pool = BufferPool::builder(4096, 64).cache(4).build();
    let (mut flusher, queue) = WriteFlusher::new(WRITERS as usize, 8);
    let one = (how != Writers::Own).then(|| queue.shared_writer(&pool).unwrap());
    if let Some(one) = &one {
        one.flush_at(1024);
    }
    let len = |seq: u64| 16 + (seq % 48) as usize;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (pool, queue, one) = (pool.clone(), queue.clone(), one.clone());
            std::thread::spawn(move || {
                let frame = |seq: u64, bytes: &mut [u8]| tag_frame(w, seq, bytes);
                futures_executor::block_on(async {
                    if let Some(one) = one {
                        let mut bytes = [0u8; 64];
                        for seq in 0..EACH {
                            if how == Writers::SharedWrite {
                                let bytes = &mut bytes[..len(seq)];
                                frame(seq, bytes);
                                one.write_frame(bytes).await.unwrap();
                            } else {
                                frame(seq, &mut one.reserve_frame(len(seq)).await.unwrap());
                            }
                        }
                        one.flush().await.unwrap();
                        return;
                    }
                    let local = pool.register();
                    let mut writer = queue.writer(&local).unwrap();
                    writer.flush_at(1024);
                    for seq in 0..EACH {
                        frame(seq, &mut writer.reserve_frame(len(seq)).await.unwrap());
                    }
                    writer.flush().await.unwrap();
                });
            })
        })
        .collect();
    drop((queue, one));
    let mut wire = Vec::new();
    while flusher.write_to_blocking(&mut wire).unwrap() > 0 {}
    for w in writers {
        w.join().unwrap();
    }
    // Frame it back: each writer's messages whole, in its order.
    let next = tagged_frames_in_order(&wire, WRITERS as usize, len);
    assert_eq!(next, [EACH; WRITERS as usize]);
    assert_eq!(pool.stats().shared_free, 64, "every buffer came back");
}

#[test]
fn shared_object_pool_four_threads_never_share_a_value() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use zerocast::pool::SharedObjectPool;

    let pool = SharedObjectPool::new(3, |_| AtomicUsize::new(0));
    let clashes = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        let pool = &pool;
        for t in 0..4 {
            let clashes = clashes.clone();
            s.spawn(move || {
                for i in 0..250_000 {
                    // Half wait asynchronously, half try and spin.
                    let v = if (i + t) % 2 == 0 {
                        futures_executor::block_on(pool.acquire())
                    } else {
                        loop {
                            if let Some(v) = pool.try_acquire() {
                                break v;
                            }
                            std::thread::yield_now();
                        }
                    };
                    if v.fetch_add(1, Ordering::Relaxed) != 0 {
                        clashes.fetch_add(1, Ordering::Relaxed);
                    }
                    v.fetch_sub(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(clashes.load(Ordering::Relaxed), 0, "a value was lent twice");
    assert_eq!(
        (0..3).filter_map(|_| pool.try_acquire()).count(),
        3,
        "none leaked"
    );
    assert_eq!(pool.waiting(), 0);
}
