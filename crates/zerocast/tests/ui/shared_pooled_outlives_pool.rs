fn main() {
    let value = {
        let pool = zerocast::pool::SharedObjectPool::new(1, |_| 0u32);
        pool.try_acquire().unwrap()
        // A lent value cannot outlive its pool.
    };
    drop(value);
}
