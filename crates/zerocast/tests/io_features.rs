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
