fn main() {
    let (_tx, rx) = zerocast::watch::channel(0u32);
    let value = rx.borrow();
    std::thread::scope(|s| {
        s.spawn(move || drop(value));
    });
}
