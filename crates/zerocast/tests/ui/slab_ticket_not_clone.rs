fn main() {
    let mut pool = zerocast::pool::SlabPool::new(0, 64, 4).unwrap();
    let ticket = pool.alloc(b"once").unwrap();
    let _twice = ticket.clone();
}
