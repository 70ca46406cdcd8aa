fn main() {
    let (tx, mut rx) = zerocast::broadcast::channel::<u32>(4);
    tx.send(1).unwrap();
    let guard = rx.try_recv_ref().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || drop(guard));
    });
}
