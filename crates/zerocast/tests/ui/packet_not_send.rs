fn main() {
    let local = zerocast::pool::BufferPool::new(64, 1).register();
    let packet = local.try_acquire().unwrap().freeze(1);
    // A `Packet`'s count is its thread's: it must go through `send()`.
    std::thread::spawn(move || drop(packet));
}
