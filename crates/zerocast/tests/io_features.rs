//! The optional integrations (`--features bytes,tokio`): a writer thread's
//! frames flushed by `write_to_tokio` into a real tokio TCP socket on
//! 127.0.0.1, framed on the other side, and handed on as `bytes::Bytes`
//! without copying. Run by CI with `cargo test -p zerocast --features
//! bytes,tokio --test io_features`.
#![cfg(all(feature = "bytes", feature = "tokio", not(zerocast_loom)))]

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use zerocast::io::{Framer, WriteFlusher};
use zerocast::pool::BufferPool;

const MESSAGES: u32 = 100_000;

#[tokio::test(flavor = "current_thread")]
async fn frames_cross_a_tokio_socket_and_become_bytes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (mut flusher, queue) = WriteFlusher::new(1, 16);
    let pool = BufferPool::new(8192, 32);
    let writer = std::thread::spawn(move || {
        let local = pool.register();
        let mut writer = queue.writer(&local).unwrap();
        writer.flush_at(4096);
        futures_executor::block_on(async {
            for i in 0..MESSAGES {
                let mut frame = writer.reserve_frame(4 + (i % 20) as usize).await.unwrap();
                frame[..4].copy_from_slice(&i.to_le_bytes());
            }
            writer.flush().await.unwrap();
        });
    });
    let send = async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        while flusher.write_to_tokio(&mut stream).await.unwrap() > 0 {}
    };
    let receive = async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut framer = Framer::new(BufferPool::new(8192, 32).register(), 1024);
        let mut kept = Vec::new();
        let mut seen = 0u32;
        loop {
            let n = stream
                .read(framer.write_buf().await.unwrap())
                .await
                .unwrap();
            if n == 0 {
                break;
            }
            framer.commit(n).unwrap();
            while let Some(p) = framer.next_frame().unwrap() {
                assert_eq!(p[..4], seen.to_le_bytes());
                assert_eq!(p.len(), 4 + (seen % 20) as usize);
                if seen % 10_000 == 0 {
                    kept.push(p.into_bytes()); // zero-copy, and `Send`
                }
                seen += 1;
            }
        }
        framer.finish().unwrap();
        (seen, kept)
    };
    let ((), (seen, kept)) = tokio::join!(send, receive);
    writer.join().unwrap();
    assert_eq!(seen, MESSAGES);
    let kept = std::thread::spawn(move || kept.iter().map(|b| b[0]).collect::<Vec<_>>())
        .join()
        .unwrap();
    assert_eq!(kept.len(), 10);
}

/// Timer-based flush cadence: a writer whose size trigger never fires
/// hands its messages over on a 1 ms tick, so each lone message reaches the
/// sink although nothing else flushes it. The writer's task waits on its
/// message source and on the tick at once (`tokio::select!`); the driver
/// sends one message at a time and waits until the far side has framed it.
#[tokio::test(flavor = "current_thread")]
async fn a_timer_hands_over_what_the_size_trigger_holds_back() {
    use std::time::Duration;
    use zerocast::spsc;

    const LONE: u32 = 5;
    let (mut flusher, queue) = WriteFlusher::new(1, 4);
    let pool = BufferPool::new(4096, 8);
    let local = pool.register();
    let (mut to_writer, mut source) = spsc::channel::<u32>(4);
    let (mut framed, mut seen) = spsc::channel::<u32>(4);

    let write = async move {
        let mut writer = queue.writer(&local).unwrap();
        drop(queue);
        writer.flush_at(usize::MAX);
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        let mut ticks = 0u32;
        loop {
            tokio::select! {
                message = source.pop() => {
                    let Ok(i) = message else { break };
                    let mut frame = writer.reserve_frame(4).await.unwrap();
                    frame.copy_from_slice(&i.to_le_bytes());
                    frame.finish();
                    assert_eq!(writer.unflushed(), 8, "the size trigger holds it");
                }
                _ = tick.tick() => {
                    ticks += 1;
                    if writer.unflushed() > 0 {
                        writer.flush().await.unwrap();
                    }
                }
            }
        }
        ticks
    };
    let flush = async move {
        let mut framer = Framer::new(pool.register(), 64);
        let mut wire = Vec::new();
        while flusher.write_to_tokio(&mut wire).await.unwrap() > 0 {
            let buf = framer.try_write_buf().unwrap();
            buf[..wire.len()].copy_from_slice(&wire);
            framer.commit(wire.len()).unwrap();
            wire.clear();
            while let Some(p) = framer.next_frame().unwrap() {
                framed
                    .push(u32::from_le_bytes(p[..4].try_into().unwrap()))
                    .await
                    .unwrap();
            }
        }
        framer.finish().unwrap();
    };
    let drive = async move {
        for i in 0..LONE {
            to_writer.push(i).await.unwrap();
            assert_eq!(seen.pop().await, Ok(i), "message {i} framed after a tick");
        }
        drop(to_writer);
        assert_eq!(seen.pop().await, Err(zerocast::Closed), "nothing more");
    };
    let timeout = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(write, flush, drive)
    });
    let (ticks, (), ()) = timeout.await.expect("every message flushed by the timer");
    // At least one tick per message: nothing else flushes. Not one more
    // for the interval's first tick, which completes at once: when the
    // first message is written before that tick is polled, the tick flushes it.
    assert!(
        ticks >= LONE,
        "each message waited for a tick: {ticks} ticks"
    );
}
