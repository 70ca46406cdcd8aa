fn main() {
    let local = zerocast::pool::BufferPool::new(64, 1).register();
    let buffer = local.try_acquire().unwrap();
    std::thread::spawn(move || drop(buffer));
}
