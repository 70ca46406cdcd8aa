use zerocast::pool::{ObjectPool, Pooled};

fn lend() -> Pooled<'static, u64, 4> {
    let pool: ObjectPool<u64, 4> = ObjectPool::new();
    pool.acquire().unwrap()
}

fn main() {
    let _ = lend();
}
