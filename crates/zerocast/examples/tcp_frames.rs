//! A million framed messages over a real TCP socket on 127.0.0.1:
//! `Writer` → `WriteFlusher` → socket → `Framer` → `Packet`s, checking that
//! every message arrives once, in order and intact, and reporting msgs/s.
//!
//! ```sh
//! cargo run --release -p zerocast --example tcp_frames [messages]
//! ```
//!
//! The integration test `tests/tcp.rs` runs this same code.

use std::io::Read;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use zerocast::io::{FrameError, Framer, WriteFlusher};
use zerocast::pool::BufferPool;

/// Bytes per pooled buffer on each side, and buffers per pool.
const BUFFER: usize = 64 * 1024;
const BUFFERS: usize = 64;

/// What a run saw.
#[derive(Debug)]
pub(crate) struct Report {
    /// Messages received, checked and counted.
    pub(crate) messages: u64,
    /// Payload bytes received.
    pub(crate) bytes: u64,
    /// From the first write to the last frame.
    pub(crate) elapsed: Duration,
}

/// Message `seq`'s payload length: 8 to 64 bytes.
fn payload_len(seq: u64) -> usize {
    8 + (seq % 57) as usize
}

/// Writes message `seq`'s payload: its sequence number, then a pattern
/// derived from it.
fn fill(seq: u64, payload: &mut [u8]) {
    payload[..8].copy_from_slice(&seq.to_le_bytes());
    for (i, byte) in payload[8..].iter_mut().enumerate() {
        *byte = (seq as u8).wrapping_mul(31) ^ i as u8;
    }
}

/// Checks that `payload` is message `seq`, whole.
fn check(seq: u64, payload: &[u8]) {
    let mut expected = [0u8; 64];
    let expected = &mut expected[..payload_len(seq)];
    fill(seq, expected);
    assert_eq!(
        payload, expected,
        "message {seq} lost, repeated, reordered or torn"
    );
}

/// Sends `messages` framed messages from a writer thread through a flusher
/// thread to a receiving thread over TCP on 127.0.0.1, and checks them all.
pub(crate) fn run(messages: u64) -> Report {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().unwrap();
    let receiver = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        receive(stream)
    });

    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).unwrap();
    let pool = BufferPool::new(BUFFER, BUFFERS);
    let (mut flusher, queue) = WriteFlusher::new(1, BUFFERS);
    let start = Instant::now();
    let flusher = thread::spawn(move || {
        let mut stream = stream;
        while flusher
            .write_to_blocking(&mut stream)
            .expect("socket write")
            > 0
        {}
        stream.shutdown(Shutdown::Write).unwrap();
    });
    let writer = thread::spawn(move || {
        let local = pool.register();
        let mut writer = queue.writer(&local).expect("a writer slot");
        writer.flush_at(16 * 1024);
        futures_executor::block_on(async {
            for seq in 0..messages {
                let mut frame = writer.reserve_frame(payload_len(seq)).await.unwrap();
                fill(seq, &mut frame);
            }
            writer.flush().await.unwrap();
        });
        // Dropping the writer and the queue tells the flusher to finish.
    });
    writer.join().unwrap();
    flusher.join().unwrap();
    let (received, bytes) = receiver.join().unwrap();
    Report {
        messages: received,
        bytes,
        elapsed: start.elapsed(),
    }
}

/// Frames the stream and checks every message; returns (messages, bytes).
fn receive(mut stream: TcpStream) -> (u64, u64) {
    let local = BufferPool::new(BUFFER, BUFFERS).register();
    let mut framer = Framer::new(local, 64);
    let (mut seq, mut bytes) = (0u64, 0u64);
    loop {
        let staging = framer.try_write_buf().expect("frames are dropped as read");
        let n = match stream.read(staging) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => panic!("socket read: {e}"),
        };
        framer
            .commit(n)
            .expect("n bytes were read into the staging area");
        while let Some(packet) = framer.next_frame().expect("a well-formed stream") {
            check(seq, &packet);
            bytes += packet.len() as u64;
            seq += 1;
        }
    }
    match framer.finish() {
        Ok(()) => {}
        Err(FrameError::Truncated { pending }) => panic!("stream cut {pending} bytes into a frame"),
        Err(e) => panic!("{e}"),
    }
    (seq, bytes)
}

#[allow(dead_code)] // the integration test includes this file and calls `run`
fn main() {
    let messages = std::env::args()
        .nth(1)
        .map_or(1_000_000, |n| n.parse().expect("messages: a number"));
    let report = run(messages);
    assert_eq!(report.messages, messages);
    let secs = report.elapsed.as_secs_f64();
    println!(
        "{} messages ({:.1} MB of payload) over TCP on 127.0.0.1 in {:.3} s: {:.2} M msgs/s, every one checked",
        report.messages,
        report.bytes as f64 / 1e6,
        secs,
        report.messages as f64 / secs / 1e6
    );
}
