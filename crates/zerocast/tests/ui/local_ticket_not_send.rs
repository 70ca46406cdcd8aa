use zerocast::pool::SlabPool;

fn main() {
    let pool = SlabPool::new(0, 64, 2).unwrap();
    let page = pool.alloc_local(8).unwrap();
    std::thread::scope(|s| {
        // A local ticket returns its page to the free list without atomics:
        // it must stay on the pool's thread (`into_send` makes one that may leave).
        s.spawn(move || drop(page));
    });
}
