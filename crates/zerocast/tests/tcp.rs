//! A million framed messages over a real socket on 127.0.0.1, through
//! `Writer` → `WriteFlusher` → TCP → `Framer`: every one arrives once, in
//! order, intact (the `tcp_frames` example's code, run as a test).
#![cfg(not(zerocast_loom))]

#[path = "../examples/tcp_frames.rs"]
mod tcp_frames;

#[test]
fn a_million_framed_messages_cross_a_tcp_socket_intact() {
    let report = tcp_frames::run(1_000_000);
    assert_eq!(report.messages, 1_000_000);
    eprintln!(
        "tcp: {:.2} M msgs/s (debug build unless run with --release)",
        report.messages as f64 / report.elapsed.as_secs_f64() / 1e6
    );
}
