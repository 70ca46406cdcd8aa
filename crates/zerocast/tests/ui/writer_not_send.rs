fn main() {
    let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    let local = zerocast::pool::BufferPool::new(64, 1).register();
    let writer = queue.writer(&local).unwrap();
    // One writer per thread: each thread registers its own.
    std::thread::spawn(move || drop(writer));
}
