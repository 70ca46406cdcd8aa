fn main() {
    let (tx, _rx) = zerocast::spsc::channel::<u32>(4);
    std::thread::scope(|s| {
        s.spawn(|| tx.len());
        s.spawn(|| tx.len());
    });
}
