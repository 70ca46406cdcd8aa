fn main() {
    let pool: zerocast::pool::ObjectPool<u64, 4> = zerocast::pool::ObjectPool::new();
    let value = pool.acquire().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || drop(value));
    });
}
