fn main() {
    let (_tx, rx) = zerocast::broadcast::channel::<std::cell::Cell<u32>>(4);
    std::thread::spawn(move || drop(rx));
}
