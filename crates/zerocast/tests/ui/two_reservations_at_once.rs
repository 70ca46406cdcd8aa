fn main() {
    let (_flusher, queue) = zerocast::io::WriteFlusher::new(1, 4);
    let local = zerocast::pool::BufferPool::new(64, 2).register();
    let mut writer = queue.writer(&local).unwrap();
    let first = writer.try_reserve(1).unwrap();
    // A second reservation while the first is open: the writer is `&mut`.
    let second = writer.try_reserve(1).unwrap();
    drop((first, second));
}
